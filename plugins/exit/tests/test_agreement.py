"""合伙投资过户给平台公司 ends the exited partner's agreement (the ``holding_ended`` hook, agreements knows
nothing of exit): it shows 已退出 with the exit date and kind, is no longer the one in force, and stays
downloadable by the partner and the staff and verifiable; the other partners' agreements are untouched."""
import re

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.tenancy import tenant
from plugins.agreements.models import SEALED, TERMINATED, Agreement
from plugins.agreements.tests.test_agreements import verify_page
from plugins.exit.tests.helpers import exit_world, transfer
from tests.conftest import login, post


@pytest.fixture
def world(app):
    with app.app_context():
        world = exit_world()
        from core.models import GroupCompany
        from core.modules import enable
        from plugins.agreements.services import generate, generate_seal
        with tenant(world["group"]):
            enable(world["group"], "agreements", actor="test")
            generate_seal(db.session.get(GroupCompany, world["group"]))
            world["tokens"] = {name: generate(world["subscriptions"][name]).token for name in ("shiwei", "jintao")}
            db.session.commit()
        return world


def _agreement(app, world, name) -> Agreement:
    with app.app_context(), tenant(world["group"]):
        found = db.session.scalar(sa.select(Agreement).where(Agreement.token == world["tokens"][name]))
        db.session.expunge(found)
        return found


def _sign(app, name):
    client = login(app.test_client(), name)
    shown = re.search(r'name="sha256" value="(\w+)"', client.get("/agreements/me").get_data(as_text=True))
    token = re.search(r'action="/agreements/(\w+)/sign"', client.get("/agreements/me").get_data(as_text=True))
    post(client, f"/agreements/{token.group(1)}/sign", {"password": _password(), "sha256": shown.group(1)})
    return client


def _password():
    from tests.factories import PASSWORD
    return PASSWORD


def test_the_transfer_ends_the_exited_partners_agreement(app, client, world):
    partner = _sign(app, "shiwei")
    _sign(app, "jintao")
    assert _agreement(app, world, "shiwei").state == SEALED
    signed = partner.get(f"/agreements/{world['tokens']['shiwei']}/download").data

    kj = transfer(app, client, world, "shiwei")

    ended = _agreement(app, world, "shiwei")
    assert (ended.state, ended.ended_on.isoformat(), ended.ended_reason) == (TERMINATED, "2025-02-28", "离职")
    assert _agreement(app, world, "jintao").state == SEALED  # the others stay in force
    label = "已退出（离职，2025-02-28）"
    mine = partner.get("/agreements/me").get_data(as_text=True)
    assert label in mine and "border-secondary text-muted" in mine and 'name="sha256"' not in mine
    staff = kj.get(f"/agreements/projects/{world['project']}").get_data(as_text=True)
    assert label in staff and staff.count("已签署盖章") == 1  # 金涛's
    # Still downloadable, by the partner and by the staff, the very file signed; still verifiable.
    for who in (partner, kj):
        response = who.get(f"/agreements/{world['tokens']['shiwei']}/download")
        assert response.status_code == 200 and response.data == signed
    verified = verify_page(app, signed)
    assert "验证通过" in verified and label in verified
    # No longer signable, and no new version is generated for the exited partner.
    response = post(partner, f"/agreements/{world['tokens']['shiwei']}/sign",
                    {"password": _password(), "sha256": ended.sha256}, follow_redirects=True)
    assert "合伙人已退出本项目，该协议已终止" in response.get_data(as_text=True)
    with app.app_context(), tenant(world["group"]):
        from plugins.agreements.services import generate
        assert generate(world["subscriptions"]["shiwei"]) is None
        assert db.session.scalar(sa.select(sa.func.count(Agreement.id)).where(
            Agreement.subscription_id == world["subscriptions"]["shiwei"])) == 1
