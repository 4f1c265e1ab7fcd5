"""Tenancy and roles on every route of the plugin: another company's users, unauthorised accountants,
partners and the system admin are refused; the business admin reads and reviews but does not edit; the
外部股东 tab shows the admins their own group only."""
import pytest

from core.extensions import db
from core.modules import disable
from core.tenancy import tenant
from plugins.minority.tests.helpers import approved, credit_code, id_number, make_world, new_batch, register, url
from tests.conftest import login, post


@pytest.fixture
def worlds(app):
    with app.app_context():
        a, b = make_world("AAA"), make_world("BBB")
    for world, name, body in ((a, "甲方股东", "35010219800101001"), (b, "乙方股东", "35010219800101002")):
        kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
        world["shareholder"] = approved(kj, hh, world, name=name, kind="person", number=id_number(body), stake="10")
        world["batch"] = new_batch(kj, world)
    return a, b


def routes(app, world, shareholder_id, batch_id):
    """Every URL of the plugin that belongs to a project, with its methods."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("minority.") and "project_id" in rule.arguments:
            path = (rule.rule.replace("<int:project_id>", str(world["project"]))
                    .replace("<int:shareholder_id>", str(shareholder_id)).replace("<int:batch_id>", str(batch_id)))
            out.append((path, rule.methods & {"GET", "POST"}))
    return out


def call(client, path, method):
    return client.get(path) if method == "GET" else post(client, path)


def test_every_project_route_refuses_other_tenants_unauthorised_staff_partners_and_the_admin(app, worlds):
    a, b = worlds
    urls = routes(app, a, a["shareholder"], a["batch"])
    assert len(urls) == 12
    others = {"other tenant": (login(app.test_client(), b["kj"]), {"GET": 404, "POST": 404}),
              # a business admin never edits: refused by role before the project is looked up
              "other tenant's business admin": (login(app.test_client(), b["hh"]), {"GET": 404, "POST": 403}),
              "unauthorised accountant": (login(app.test_client(), a["outsider"]), {"GET": 404, "POST": 404}),
              "partner": (login(app.test_client(), a["partner"]), {"GET": 403, "POST": 403}),
              "system admin": (login(app.test_client(), a["admin"]), {"GET": 403, "POST": 403})}
    for who, (client, status) in others.items():
        for path, methods in urls:
            for method in methods:
                assert call(client, path, method).status_code == status[method], (who, method, path)
    # The business admin reads every page but edits nothing.
    hh = login(app.test_client(), a["hh"])
    for path, methods in urls:
        for method in methods:
            assert call(hh, path, method).status_code == (200 if method == "GET" else 403), (method, path)
    # A's accountant with B's records in A's project: not found.
    kj = login(app.test_client(), a["kj"])
    for path, methods in routes(app, a, b["shareholder"], b["batch"]):
        if str(b["shareholder"]) in path.split("/") or str(b["batch"]) in path.split("/"):
            for method in methods:
                assert call(kj, path, method).status_code == 404, (method, path)
    assert kj.get("/minority/").status_code == 200
    assert login(app.test_client(), a["partner"]).get("/minority/").status_code == 403


def test_nothing_of_another_tenant_changed(app, worlds):
    a, b = worlds
    kj = login(app.test_client(), a["kj"])
    post(kj, url(b, f"shareholders/{b['shareholder']}/delete"))
    post(kj, url(b, f"batches/{b['batch']}/delete"))
    with app.app_context(), tenant(b["group"]):
        from plugins.minority.models import MinorityBatch, MinorityShareholder
        assert db.session.get(MinorityShareholder, b["shareholder"]) is not None
        assert db.session.get(MinorityBatch, b["batch"]) is not None


def test_the_admins_list_of_outside_shareholders_with_search(app, worlds):
    a, b = worlds
    kj = login(app.test_client(), a["kj"])
    register(kj, a, name="福州某某投资有限公司", kind="company", number=credit_code(), stake="5")
    for username in (a["admin"], a["hh"]):
        admin = login(app.test_client(), username)
        page = admin.get("/minority/admin/shareholders").get_data(as_text=True)
        assert "甲方股东" in page and "福州某某投资有限公司" in page and "乙方股东" not in page
        assert "外部股东" in page  # the 后台管理 tab
        found = admin.get("/minority/admin/shareholders?q=某某投资").get_data(as_text=True)
        assert "福州某某投资有限公司" in found and "甲方股东" not in found
        found = admin.get(f"/minority/admin/shareholders?q={id_number('35010219800101001')}").get_data(as_text=True)
        assert "甲方股东" in found and "福州某某" not in found
        assert "乙方股东" not in admin.get("/minority/admin/shareholders?q=乙方").get_data(as_text=True)
        assert "没有记录" in admin.get("/minority/admin/shareholders?q=%25").get_data(as_text=True)
    for username in (a["kj"], a["partner"]):
        assert login(app.test_client(), username).get("/minority/admin/shareholders").status_code == 403


def test_a_company_that_has_not_enabled_the_module_gets_404(app, worlds):
    a, _b = worlds
    with app.app_context():
        disable(a["group"], "minority")
        db.session.commit()
    kj = login(app.test_client(), a["kj"])
    assert kj.get(url(a, "shareholders")).status_code == 404
    assert login(app.test_client(), a["admin"]).get("/minority/admin/shareholders").status_code == 404
