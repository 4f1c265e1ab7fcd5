"""Tenant and partner isolation: another group company's staff, an accountant not authorised on the project,
and partners get 404 / 403 on every exit route; a partner reads only their own exits."""
import pytest
import sqlalchemy as sa

from core.extensions import db
from core.tenancy import tenant
from plugins.exit.models import ExitCalculation, PartnerExit
from plugins.exit.tests.helpers import calculate, decide, exit_world, page, start
from tests.conftest import login, post


@pytest.fixture
def worlds(app):
    with app.app_context():
        return exit_world(), exit_world("BBB")


def _ids(app, world):
    with app.app_context(), tenant(world["group"]):
        return (db.session.scalar(sa.select(ExitCalculation.id)), db.session.scalar(sa.select(PartnerExit.id)),
                db.session.scalar(sa.select(PartnerExit.version)))


def test_other_companies_unauthorised_accountants_and_partners_reach_nothing(app, client, worlds):
    ours, theirs = worlds
    kj = login(client, ours["kj"])
    calculation, _ = calculate(kj, ours, "shiwei", "resign", "2025-02-28")
    start(kj, ours, calculation)
    decide(app, ours, login(app.test_client(), ours["hh"]))
    calculation_id, exit_id, version = _ids(app, ours)
    base = page(ours)
    routes = [("get", base, None), ("post", base + "/calculate",
                                     {"subscription": str(ours["subscriptions"]["shiwei"]), "kind": "resign",
                                      "exit_on": "2025-03-01"}),
              ("post", f"{base}/calculations/{calculation_id}/start", {}),
              ("post", f"{base}/exits/{exit_id}/transfer", {"version": str(version)}),
              ("post", f"{base}/exits/{exit_id}/payout", {"version": str(version), "amount": "1.00",
                                                           "paid_on": "2025-03-01"})]
    # (their business admin may not act on any project: 403 before the project is looked up)
    for username, expected in ((theirs["kj"], {404}), (theirs["hh"], {403, 404}), (ours["outsider"], {404}),
                               ("shiwei", {403}), (ours["partner"], {403})):
        other = login(app.test_client(), username)
        for method, url, data in routes:
            response = other.get(url) if method == "get" else post(other, url, data)
            assert response.status_code in expected, (username, url, response.status_code)
    # The business admin reads and acts on nothing.
    hh = login(app.test_client(), ours["hh"])
    assert hh.get(base).status_code == 200
    assert post(hh, f"{base}/exits/{exit_id}/transfer", {"version": str(version)}).status_code == 403
    # Ours, through their project's URL: not found.
    their_kj = login(app.test_client(), theirs["kj"])
    assert post(their_kj, f"{page(theirs)}/exits/{exit_id}/transfer", {"version": str(version)}).status_code == 404
    assert post(their_kj, f"{page(theirs)}/calculations/{calculation_id}/start").status_code == 404
    # Another company's subscription in a 测算 of theirs: refused.
    post(their_kj, page(theirs) + "/calculate", {"subscription": str(ours["subscriptions"]["shiwei"]),
                                                 "kind": "resign", "exit_on": "2025-03-01"})
    with app.app_context(), tenant(theirs["group"]):
        assert db.session.scalar(sa.select(sa.func.count(ExitCalculation.id))) == 0
    # Nothing changed by any of them.
    with app.app_context(), tenant(ours["group"]):
        assert db.session.scalar(sa.select(PartnerExit.state)) == "approved"
        assert db.session.scalar(sa.select(sa.func.count(ExitCalculation.id))) == 1
    # Partners read only their own exits; the process of 流程 page of another company is not theirs either.
    assert "扣减配资利息" in login(app.test_client(), "shiwei").get("/exit/me").get_data(as_text=True)
    assert "扣减配资利息" not in login(app.test_client(), "jintao").get("/exit/me").get_data(as_text=True)
    assert "扣减配资利息" not in login(app.test_client(), theirs["partner"]).get("/exit/me").get_data(as_text=True)
    assert login(app.test_client(), ours["kj"]).get("/exit/me").status_code == 403
