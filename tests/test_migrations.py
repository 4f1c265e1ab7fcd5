"""The migrations (core branch + each plugin's branch) build exactly the schema of the models."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.extensions import db
from tests.conftest import database_url, make_app

SCHEMA = "gentou_migrations"


@pytest.fixture
def fresh_url(tmp_path):
    url = database_url()
    if url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/migrated.db"
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
    yield url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{SCHEMA}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


def every_plugin() -> list[str]:
    from core.config import ROOT
    from core.plugins.discovery import discover
    from tests.conftest import SAMPLE_PLUGINS
    return SAMPLE_PLUGINS + ["tests.sample_plugins.event_recorder"] + discover(ROOT / "plugins")


def test_db_upgrade_builds_the_schema_of_the_models(fresh_url):
    app = make_app(SQLALCHEMY_DATABASE_URI=fresh_url, plugins=every_plugin())
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.connect() as conn:
            heads = {row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
            # Each plugin branch depends on the core branch, so their heads stand for all.
            assert heads == {"3c568d6739a1", "0002_agreements_ended", "0001_dingtalk",  # agreements depends on subscription
                             "h20_message_ids", "h5b_payment_corrections", "0002_distribution_holders",
                             "0001_minority",  # minority depends on distribution
                             "0003_adjustment_holder_lines",  # adjustment depends on subscription
                             "0001_disclosure",  # disclosure depends on subscription
                             "0002_exit_holding_changes",  # exit depends on distribution
                             "0002_reports_params",  # reports depends on distribution
                             "0001_mandatory",  # mandatory depends on subscription
                             "0002_crm_alert",  # crm depends on subscription
                             "0001_ekuaibao", "0002_mingdao_payouts"}
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
            differences = compare_metadata(context, db.metadata)
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert differences == [], differences
    assert {"core_project", "core_user", "core_audit_log", "ledger_entry", "subscription_subscription",
            "agreements_agreement"} <= tables


def test_core_branch_alone_builds_the_host(tmp_path):
    url = database_url()
    if not url.startswith("sqlite"):
        pytest.skip("the plugin-free upgrade is checked on SQLite")
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/core.db", plugins=[])
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert "core_project" in tables and "ledger_entry" not in tables


def test_sqlite_numbers_written_before_exact_numeric_read_back_the_same(tmp_path):
    """h4a_exact_numeric: NUMERIC values SQLite kept as REAL or INTEGER become scaled integers."""
    import datetime as dt
    from decimal import Decimal

    from core.tenancy import tenant
    url = database_url()
    if not url.startswith("sqlite"):
        pytest.skip("only SQLite stored money as a float")
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/old.db", plugins=["plugins.subscription"])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0001_subscription"]).exit_code == 0
    with app.app_context():
        with db.engine.begin() as conn:
            for pid, amount in ((1, 1234.5), (2, 100), (3, 0.01)):  # as Numeric(18, 2) left them on SQLite
                conn.execute(sa.text("INSERT INTO subscription_payment (id, group_id, subscription_id, project_id, "
                                     "paid_on, amount, recorded_by, recorded_at) VALUES (:id, 1, 1, 1, :on, :amount, "
                                     "'kj', :at)"), {"id": pid, "on": dt.date(2030, 1, 1), "amount": amount,
                                                     "at": dt.datetime(2030, 1, 1)})
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    from plugins.subscription.models import Payment
    with app.app_context(), tenant(1):
        amounts = db.session.scalars(sa.select(Payment.amount).order_by(Payment.id)).all()
        db.session.remove()
        db.engine.dispose()
    assert amounts == [Decimal("1234.50"), Decimal("100.00"), Decimal("0.01")]
