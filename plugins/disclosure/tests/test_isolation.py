"""Tenancy, authorisation and partner isolation on every route of the plugin."""
import io
import re

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.tenancy import tenant
from plugins.disclosure.models import ProfitVersion
from plugins.disclosure.tests.helpers import (PDF, add_version, approve, dynamics_url, last_process, make_world,
                                              start_disclosure)
from tests.conftest import login, post
from tests.factories import make_tenant

FIGURES = {"as_of": "2024-06-30", "net_profit": "1,000.00", "progress": "开工"}


@pytest.fixture
def worlds(app):
    with app.app_context():
        a = make_world("AAA")
        b = make_world("BBB", partners=(("bbb_p1", "100000.00"),), others=(("bbb_o1", "1000.00"),))
    kj, hh = login(app.test_client(), a["kj"]), login(app.test_client(), a["hh"])
    version = add_version(kj, a, **FIGURES)
    assert start_disclosure(kj, a, files=[(io.BytesIO(PDF), "测算.pdf")]).status_code == 302
    assert approve(hh, last_process(app, a)).status_code == 302
    detail = login(app.test_client(), "aaa_p1").get(f"/disclosure/me/{version}").get_data(as_text=True)
    token = re.search(r"/files/([0-9a-f]+)", detail).group(1)
    return a, b, version, token


def urls(app, world, version_id, token):
    """Every URL of the plugin (GET or POST), ids filled in."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("disclosure."):
            path = (rule.rule.replace("<int:project_id>", str(world["project"]))
                    .replace("<int:version_id>", str(version_id)).replace("<token>", token))
            out.append((rule.endpoint, path, rule.methods))
    return out


def test_every_route_refuses_other_tenants_unauthorised_staff_and_the_wrong_role(app, worlds):
    a, b, version, token = worlds
    routes = urls(app, a, version, token)
    assert len(routes) == 9
    staff = {"disclosure.index", "disclosure.dynamics", "disclosure.edit_version"}
    admin = {"disclosure.review", "disclosure.review_version", "disclosure.send"}
    personal = {"disclosure.me", "disclosure.my_disclosure", "disclosure.my_attachment"}
    assert staff | admin | personal == {endpoint for endpoint, _path, _m in routes}

    def expected(username, endpoint, method):
        """What each kind of user gets; None: any answer that changes and shows nothing of company A's."""
        if username in (b["kj"], b["hh"], "bbb_p1"):  # another company: its own lists, never A's records
            if endpoint in ("disclosure.index", "disclosure.review", "disclosure.me", "disclosure.send"):
                return None
            return {404} if (endpoint in staff and username == b["kj"]) or (endpoint in admin and username == b["hh"]) \
                or (endpoint in personal and username == "bbb_p1") else {403, 404}
        if username == a["outsider"]:  # an accountant of A without the project's 项目授权
            if endpoint == "disclosure.index":
                return None
            return {404} if endpoint in ("disclosure.dynamics", "disclosure.edit_version") else {403}
        if username in ("aaa_o1", a["partner"]):  # a partner of A's other project, or of none
            return {403} if endpoint in staff | admin else (None if endpoint == "disclosure.me" else {404})
        if username == a["hh"]:  # reads and reviews; enters nothing
            return {403} if endpoint in personal or method == "POST" else {200}
        raise AssertionError(username)

    for username in (b["kj"], b["hh"], "bbb_p1", a["outsider"], "aaa_o1", a["partner"], a["hh"]):
        client = login(app.test_client(), username)
        for endpoint, path, methods in routes:
            if endpoint == "disclosure.send" and username == a["hh"]:
                continue  # A's own business admin sending is the feature
            for method in sorted({"GET", "POST"} & methods):
                want = expected(username, endpoint, method)
                response = client.get(path) if method == "GET" else post(client, path, {**FIGURES, "note": "x"})
                if want is None:
                    assert "AAA项目" not in response.get_data(as_text=True), (username, path)
                else:
                    assert response.status_code in want, (username, method, path, response.status_code)
    # the accountant reads and enters but neither reviews nor reads 个人中心; the business admin only reads
    kj = login(app.test_client(), a["kj"])
    for path in ("/disclosure/review", f"/disclosure/review/{version}", "/disclosure/me", f"/disclosure/me/{version}"):
        assert kj.get(path).status_code == 403, path
    assert post(kj, "/disclosure/review/send").status_code == 403
    hh = login(app.test_client(), a["hh"])
    assert hh.get(dynamics_url(a)).status_code == 200
    assert post(hh, dynamics_url(a), {**FIGURES, "as_of": "2025-01-01"}).status_code == 403
    # nothing was written by any of them: still A's one version, nobody notified
    with app.app_context(), tenant(a["group"]):
        rows = db.session.scalars(sa.select(ProfitVersion)).all()
        assert [(r.number, r.note) for r in rows] == [(1, "")]
    from plugins.disclosure.models import DisclosureReceipt
    with app.app_context(), tenant(b["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DisclosureReceipt)) == 0


def test_a_company_without_the_module_gets_404(app):
    with app.app_context():
        t = make_tenant("CCC", modules=["subscription"])
        kj, project = t.accountant.username, t.project.id
    client = login(app.test_client(), kj)
    assert client.get(f"/disclosure/projects/{project}/dynamics").status_code == 404
    assert client.get("/disclosure/").status_code == 404
    # and the 立项 page shows the pointer as text, with no link to a module it does not have
    page = client.get(f"/subscription/projects/{project}/initiation").get_data(as_text=True)
    assert "【披露/盈亏动态】" in page and "/disclosure/" not in page


def test_page_queries_do_not_grow_with_versions_or_partners(app):
    from tests.test_demo_and_queries import QueryCounter
    from plugins.subscription.models import Subscription
    from core.models import User
    from tests.factories import _HASH
    import datetime as dt
    from decimal import Decimal

    def count(client, url):
        with app.app_context():
            engine = db.engine
        client.get(url)
        with QueryCounter(engine) as counter:
            assert client.get(url).status_code == 200
        return counter.count

    counts = []
    for code, versions, partners in (("QQA", 1, 5), ("QQB", 6, 500)):
        with app.app_context():
            world = make_world(code, partners=((f"{code.lower()}_p1", "1000.00"),),
                               others=((f"{code.lower()}_o1", "1.00"),))
            with tenant(world["group"]):
                db.session.execute(sa.insert(User.__table__), [
                    {"group_id": world["group"], "username": f"bulk{code}{i}", "name": f"合伙人{i}", "password_hash": _HASH,
                     "mobile": "", "email": "", "active": True, "locale": "", "version": 1, "failed_logins": 0,
                     "session_token": f"bulk{code}{i}"} for i in range(partners)])
                ids = db.session.scalars(sa.select(User.id).where(User.username.like(f"bulk{code}%"))).all()
                db.session.execute(sa.insert(Subscription.__table__), [
                    {"group_id": world["group"], "project_id": world["project"], "user_id": u, "tier": "city",
                     "token": f"{code}{u}", "min_amount": Decimal(0), "max_amount": Decimal(1), "version": 1,
                     "deadline": dt.date(2030, 1, 1), "investment": Decimal(1)} for u in ids])
                db.session.commit()
        kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
        for n in range(versions):
            version = add_version(kj, world, **{**FIGURES, "as_of": f"2024-0{n + 1}-28"})
            assert start_disclosure(kj, world).status_code == 302
            assert approve(hh, last_process(app, world)).status_code == 302
        partner = login(app.test_client(), f"{code.lower()}_p1")
        counts.append((count(kj, dynamics_url(world)), count(hh, "/disclosure/review"),
                       count(hh, f"/disclosure/review/{version}"), count(partner, "/disclosure/me"),
                       count(partner, f"/disclosure/me/{version}")))
    assert counts[0] == counts[1], counts
