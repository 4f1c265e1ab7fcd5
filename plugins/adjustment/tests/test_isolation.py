"""Tenancy, authorisation and partner isolation on every route of the plugin; constant query counts of the
立项调整 pages whatever the number of partners."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.tenancy import tenant
from plugins.adjustment.models import Line, Round
from plugins.adjustment.tests.helpers import (TODAY, act, base, lines, make_world, new_round, review, run_process,
                                              staff)
from tests.conftest import login, post
from tests.test_demo_and_queries import QueryCounter


def partners(prefix, n):
    return [(f"{prefix}{i:04d}", "realestate" if i % 3 else "city", f"{100 + i}.{i % 100:02d}", None) for i in range(n)]


@pytest.fixture
def worlds(app):
    with app.app_context():
        a = make_world("AAA", partners=[("aaa_p1", "realestate", "33100.00", "33100.00")], others=("aaa_p2",))
        b = make_world("BBB", partners=[("bbb_p1", "realestate", "33100.00", "33100.00")])
    return a, b


def routes(app, world, round_id, line_id):
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("adjustment.") and "project_id" in rule.arguments:
            path = (rule.rule.replace("<int:project_id>", str(world["project"])).replace("<int:round_id>", str(round_id))
                    .replace("<int:line_id>", str(line_id)).replace("<int:holder_id>", str(line_id)))
            out.append((path, rule.methods))
    return out


def test_every_project_route_refuses_other_tenants_unauthorised_staff_and_partners(app, worlds):
    a, b = worlds
    kj, _ = staff(app, a)
    round_id = new_round(app, a, kj, "supplementary", deadline=TODAY.isoformat())
    act(kj, a, round_id, "partners", {"username": "aaa_p1", "tier": "realestate", "min_amount": "1", "max_amount": "9"})
    line = lines(app, a, round_id)["aaa_p1"]
    urls = routes(app, a, round_id, line.id)
    assert len(urls) == 13
    for username, expected in ((b["kj"], {404}), (b["hh"], {403, 404}), (a["outsider"], {404}),
                               (a["partner"], {403}), ("aaa_p1", {403})):
        client = login(app.test_client(), username)
        for path, methods in urls:
            if "GET" in methods:
                assert client.get(path).status_code in expected, (username, path)
            if "POST" in methods:
                response = post(client, path, {"kind": "peak", "new_peak": "2", "username": "aaa_p2",
                                               "tier": "realestate", "min_amount": "1", "max_amount": "2"})
                assert response.status_code in expected, (username, path)
    # the business admin of the company reads but does not act
    hh = login(app.test_client(), a["hh"])
    assert hh.get(f"{base(a)}/rounds/{round_id}").status_code == 200
    assert post(hh, f"{base(a)}/rounds/{round_id}/compute").status_code == 403
    with app.app_context(), tenant(a["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Line)) == 1
        assert not db.session.get(Round, round_id).computed
    # Another company's staff see none of it in their own lists either.
    assert "AAA项目" not in login(app.test_client(), b["kj"]).get("/adjustment/").get_data(as_text=True)


def test_a_partner_subscribes_and_sees_only_their_own_lines(app, worlds):
    a, b = worlds
    kj, _ = staff(app, a)
    round_id = new_round(app, a, kj, "supplementary", deadline=TODAY.isoformat())
    act(kj, a, round_id, "partners", {"username": "aaa_p1", "tier": "realestate", "min_amount": "1", "max_amount": "9"})
    line = lines(app, a, round_id)["aaa_p1"]
    other = login(app.test_client(), "aaa_p2")
    assert "AAA项目" not in other.get("/adjustment/me").get_data(as_text=True)
    assert post(other, f"/adjustment/me/{line.token}", {"amount": "5"}).status_code == 404
    assert post(login(app.test_client(), "bbb_p1"), f"/adjustment/me/{line.token}", {"amount": "5"}).status_code == 404
    assert kj.get("/adjustment/me").status_code == 403
    assert lines(app, a, round_id)["aaa_p1"].subscribed_amount is None
    mine = login(app.test_client(), "aaa_p1").get("/adjustment/me").get_data(as_text=True)
    assert "AAA项目 · 补投认购 #1" in mine


def queries(app, client, url):
    with app.app_context():
        engine = db.engine
    client.get(url)
    with QueryCounter(engine) as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_the_adjustment_pages_use_a_constant_number_of_queries(app):
    counts = []
    for code, n in (("TEN", 10), ("THO", 1000)):
        with app.app_context():
            world = make_world(code, partners=partners(code.lower(), n), peak="100000000.00")
        kj, hh = staff(app, world)
        round_id = new_round(app, world, kj, "peak", new_peak="123,456,789.01")
        run_process(app, world, kj, hh, "peak_adjustment")
        act(kj, world, round_id, "compute")
        before = queries(app, kj, f"{base(world)}/rounds/{round_id}")
        act(kj, world, round_id, "submit")
        review(app, world, hh, round_id)
        run_process(app, world, kj, hh, "initiation_change")
        with app.app_context(), tenant(world["group"]):
            changed = db.session.scalar(sa.select(sa.func.count()).select_from(Line).where(
                Line.round_id == round_id, Line.new_investment != Line.old_investment))
        assert changed == n
        counts.append((before, queries(app, kj, f"{base(world)}/rounds/{round_id}"), queries(app, kj, base(world)),
                       queries(app, kj, f"{base(world)}/payments")))
    assert counts[0] == counts[1], counts
