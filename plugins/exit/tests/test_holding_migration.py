"""0002_exit_holding_changes: what new partners took of the platform company's holding before the migration is
written as ``taken`` changes, split as it was read until then, so each stake passes on what it passed on before."""
import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.money import MONEY
from tests.conftest import database_url, make_app


def test_what_new_partners_took_before_the_migration_stays_passed_on(tmp_path):
    if not database_url().startswith("sqlite"):
        pytest.skip("the data step is checked on SQLite (the other heads' tables need not exist)")
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/exit.db",
                   plugins=["plugins.subscription", "plugins.distribution", "plugins.exit"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade", "0001_exit"])
    assert result.exit_code == 0, result.output
    subscriptions = sa.table("subscription_subscription", *(sa.column(c) for c in (
        "id", "group_id", "token", "project_id", "user_id", "tier", "deadline", "version")),
        sa.column("min_amount", MONEY), sa.column("max_amount", MONEY), sa.column("investment", MONEY))
    exits = sa.table("exit_exit", *(sa.column(c) for c in (
        "id", "group_id", "project_id", "subscription_id", "user_id", "calculation_id", "process_id", "kind",
        "exit_on", "state", "payout_reason", "version")), sa.column("transferred", MONEY))
    holdings = sa.table("exit_platform_holding", *(sa.column(c) for c in (
        "id", "group_id", "project_id", "company_id", "version")), sa.column("amount", MONEY))
    on = dt.date(2025, 2, 28)
    with app.app_context():
        with db.engine.begin() as conn:
            # 史伟 (置业集团) 746,428.00 and 刘乔 (城市公司) 288,940.00 transferred; 500,000.00 taken over since
            for sid, tier, amount in ((1, "realestate", "746428.00"), (2, "city", "288940.00")):
                conn.execute(subscriptions.insert().values(
                    id=sid, group_id=1, token=f"t{sid}", project_id=1, user_id=sid, tier=tier, deadline=on, version=1,
                    min_amount=Decimal("0"), max_amount=Decimal(amount), investment=Decimal(amount)))
                conn.execute(exits.insert().values(
                    id=sid, group_id=1, project_id=1, subscription_id=sid, user_id=sid, calculation_id=sid,
                    process_id=sid, kind="resign", exit_on=on, state="transferred", payout_reason="", version=1,
                    transferred=Decimal(amount)))
            conn.execute(holdings.insert().values(id=1, group_id=1, project_id=1, company_id=1, version=2,
                                                  amount=Decimal("535368.00")))
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    from plugins.exit.models import HoldingChange
    with app.app_context():
        changes = db.session.execute(sa.select(HoldingChange.exit_id, HoldingChange.kind, HoldingChange.amount)
                                     .execution_options(all_tenants=True).order_by(HoldingChange.exit_id)).all()
        db.session.remove()
        db.engine.dispose()
    # as read before: 535,368.00 kept over the tiers by what they transferred (385,962.93 and 149,405.07)
    assert changes == [(1, "taken", Decimal("-360465.07")), (2, "taken", Decimal("-139534.93"))]
