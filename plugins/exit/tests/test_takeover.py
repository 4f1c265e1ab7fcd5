"""The platform company's stake taken over by two new partners through the 新增合伙 round of the adjustment
module (its stake_sources / stake_taken hooks): the holding goes down by exactly what they take."""
from decimal import Decimal

import sqlalchemy as sa

from core import roles
from core.extensions import db
from core.tenancy import tenant
from plugins.exit.models import PlatformHolding
from plugins.exit.tests.helpers import calculate, decide, exit_world, page, start
from tests.conftest import login, post
from tests.factories import make_user


def test_two_new_partners_take_over_part_of_the_platform_company_holding(app, client):
    from plugins.adjustment.tests.helpers import act, investments, new_round, review, run_process
    from plugins.adjustment.tests.test_rounds import partner
    with app.app_context():
        world = exit_world()
        from core.modules import enable
        with tenant(world["group"]):
            enable(world["group"], "adjustment", actor="test")
            for username in ("zhoufeng", "xuli"):
                world["users"][username] = make_user(username, [roles.PARTNER], name=username.upper()).id
            db.session.commit()
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    start(kj, world, calculate(kj, world, "shiwei", "resign", "2025-02-28")[0])
    decide(app, world, hh)
    with app.app_context(), tenant(world["group"]):
        from plugins.exit.models import PartnerExit
        exit_id, version = db.session.execute(sa.select(PartnerExit.id, PartnerExit.version)).one()
    post(kj, f"{page(world)}/exits/{exit_id}/transfer", {"version": str(version)})
    assert "置业集团持有份额（平台公司承接）" in kj.get(f"/adjustment/projects/{world['project']}").get_data(as_text=True)

    round_id = new_round(app, world, kj, "new_partners", source="exit:platform", payment_deadline="2030-05-31")
    partner(kj, world, round_id, "zhoufeng", amount="400,000.00")
    partner(kj, world, round_id, "xuli", amount="300,000.01")
    act(kj, world, round_id, "compute")
    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    run_process(app, world, kj, hh, "new_partners_initiation")
    got = investments(app, world)
    assert (got["zhoufeng"], got["xuli"]) == (Decimal("400000.00"), Decimal("300000.01"))
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(PlatformHolding.amount)) == Decimal("46427.99")  # 746,428.00 − 700,000.01
    subscriptions = kj.get(f"/subscription/projects/{world['project']}/subscriptions").get_data(as_text=True)
    assert "其中：置业集团 持有" in subscriptions and "46,427.99" in subscriptions
