"""后台管理 screens as an admin uses them: projects, companies, batches, users, authorisation, log."""
import pytest

from core import roles
from core.extensions import db
from core.models import AuditLog, Batch, Company, Project, ProjectAuthorisation, User
from core.tenancy import tenant
from tests.conftest import login, post, save
from tests.factories import make_tenant


@pytest.fixture
def setup(app):
    with app.app_context():
        a = make_tenant("AAA")
        b = make_tenant("BBB")
        ids = dict(group=a.group.id, city=a.city.id, batch=a.batch.id, project=a.project.id,
                   b_city=b.city.id, accountant=a.accountant.id, admin=a.admin.username)
    return ids


@pytest.fixture
def admin(app, setup):
    return login(app.test_client(), setup["admin"])


def count(app, group_id, model, *where):
    with app.app_context(), tenant(group_id):
        return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def project_data(setup, **changes):
    data = {"code": "AAA-P9", "name": "靖江项目", "company_id": str(setup["city"]), "land_acquired_on": "2019-10-21",
            "batch_id": str(setup["batch"]), "is_open": "y", "operator": "side", "acquisition_method": "招拍挂"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_create_project_with_every_field(app, admin, setup):
    response = post(admin, "/admin/projects/new", project_data(setup, is_joint_operation="y"))
    assert response.status_code == 302
    page = admin.get("/admin/projects").get_data(as_text=True)
    for text in ("AAA-P9", "靖江项目", "AAA城市公司", "2019-10-21", "2019年10月", "AAA方", "招拍挂"):
        assert text in page
    with app.app_context(), tenant(setup["group"]):
        p = db.session.scalar(db.select(Project).where(Project.code == "AAA-P9"))
        assert (p.is_open, p.is_settled, p.is_joint_operation, p.operator) == (True, False, True, "side")
        log = db.session.scalar(db.select(AuditLog).where(AuditLog.record_table == "core_project",
                                                          AuditLog.action == "create", AuditLog.record_id == str(p.id)))
        assert log.after["code"] == "AAA-P9" and log.actor == "aaa_admin" and log.user_id is not None


@pytest.mark.parametrize("changes, message", [
    ({"code": ""}, "请输入项目编码"),
    ({"code": "AAA-P1"}, "项目编码 AAA-P1 已存在"),
    ({"name": "  "}, "请输入项目名称"),
    ({"land_acquired_on": "2019-13-45"}, "日期"),
    ({"land_acquired_on": "昨天"}, "日期"),
    ({"company_id": "foreign"}, "不是有效的选择"),
    ({"operator": "boss"}, "不是有效的选择"),
])
def test_bad_project_input_is_refused_and_nothing_saved(app, admin, setup, changes, message):
    if changes.get("company_id") == "foreign":
        changes["company_id"] = str(setup["b_city"])
    before = count(app, setup["group"], Project)
    response = post(admin, "/admin/projects/new", project_data(setup, **changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page, page[page.find("invalid-feedback") - 300:page.find("invalid-feedback") + 300]
    assert count(app, setup["group"], Project) == before


def test_edit_project_is_audited_with_before_and_after(app, admin, setup):
    url = f"/admin/projects/{setup['project']}"
    form = admin.get(url).get_data(as_text=True)
    assert 'name="version"' in form
    response = post(admin, url, project_data(setup, code="AAA-P1", name="改名项目", version="1", is_settled="y"))
    assert response.status_code == 302
    with app.app_context(), tenant(setup["group"]):
        log = db.session.scalar(db.select(AuditLog).where(AuditLog.record_table == "core_project",
                                                          AuditLog.action == "update"))
        assert log.before["name"] == "AAA项目" and log.after["name"] == "改名项目"
        assert log.before["is_settled"] is False and log.after["is_settled"] is True
    page = admin.get("/admin/audit-log?table=core_project&action=update").get_data(as_text=True)
    assert "改名项目" in page and "AAA项目" in page


def test_concurrent_edit_loses_with_a_message(app, admin, setup):
    url = f"/admin/projects/{setup['project']}"
    assert post(admin, url, project_data(setup, code="AAA-P1", name="第一个", version="1")).status_code == 302
    page = post(admin, url, project_data(setup, code="AAA-P1", name="第二个", version="1"),
                follow_redirects=True).get_data(as_text=True)
    assert "该记录已被他人修改" in page
    with app.app_context(), tenant(setup["group"]):
        assert db.session.get(Project, setup["project"]).name == "第一个"


def test_search_by_name_batch_or_region_and_paging(app, admin, setup):
    with app.app_context(), tenant(setup["group"]):
        other_batch = Batch(name="2018年11月")
        west = Company(name="昆明城市公司", kind="city", region="云南")
        db.session.add_all([other_batch, west])
        db.session.flush()
        for i in range(45):
            db.session.add(Project(code=f"K{i:03d}", name=f"昆明-{i:03d}", company_id=west.id, batch_id=other_batch.id))
        db.session.commit()
    assert "AAA项目" in admin.get("/admin/projects?q=AAA项目").get_data(as_text=True)
    by_batch = admin.get("/admin/projects?q=2018年11月").get_data(as_text=True)
    assert "共 45 条" in by_batch and "AAA项目" not in by_batch
    by_region = admin.get("/admin/projects?q=云南").get_data(as_text=True)
    assert "共 45 条" in by_region
    page3 = admin.get("/admin/projects?q=云南&page=3").get_data(as_text=True)
    assert "昆明-044" in page3 and "昆明-000" not in page3
    first = admin.get("/admin/projects").get_data(as_text=True)
    assert "共 46 条" in first and "?page=2" in first


def test_company_tree_and_parent_from_own_group_only(app, admin, setup):
    response = post(admin, "/admin/companies", {"name": "泰安直属项目公司", "kind": "direct",
                                                "parent_id": str(setup["city"]), "region": "山东"})
    assert response.status_code == 302
    page = admin.get("/admin/companies").get_data(as_text=True)
    assert "泰安直属项目公司" in page and "直属项目公司" in page
    before = count(app, setup["group"], Company)
    page = post(admin, "/admin/companies", {"name": "越界公司", "kind": "city",
                                            "parent_id": str(setup["b_city"])}).get_data(as_text=True)
    assert "不是有效的选择" in page
    page = post(admin, "/admin/companies", {"name": "AAA城市公司", "kind": "city", "parent_id": "0"}).get_data(as_text=True)
    assert "名称已存在" in page
    page = post(admin, f"/admin/companies/{setup['city']}", {"name": "AAA城市公司", "kind": "city",
                                                             "parent_id": str(setup["city"])}).get_data(as_text=True)
    assert "不是有效的选择" in page  # not its own parent
    assert count(app, setup["group"], Company) == before


def test_batches_are_managed_and_used_ones_kept(app, admin, setup):
    assert post(admin, "/admin/batches", {"name": "2020年1月"}).status_code == 302
    assert "批次已存在" in post(admin, "/admin/batches", {"name": "2020年1月"}).get_data(as_text=True)
    page = post(admin, f"/admin/batches/{setup['batch']}/delete", follow_redirects=True).get_data(as_text=True)
    assert "仍被项目使用" in page
    with app.app_context(), tenant(setup["group"]):
        new_id = db.session.scalar(db.select(Batch.id).where(Batch.name == "2020年1月"))
    post(admin, f"/admin/batches/{new_id}/delete")
    assert count(app, setup["group"], Batch) == 1


def test_create_user_with_roles_and_rules(app, admin, setup):
    data = {"username": "newkj", "name": "新会计", "mobile": "13800001111", "company_id": str(setup["city"]),
            "roles": [roles.CITY_ACCOUNTANT, roles.PARTNER], "password": "short", "active": "y", "locale": ""}
    page = post(admin, "/admin/users/new", data).get_data(as_text=True)
    assert "密码至少需要 8 位" in page
    page = post(admin, "/admin/users/new", {**data, "username": "aaa_kj", "password": "long-enough"}).get_data(as_text=True)
    assert "账号 aaa_kj 已存在" in page
    page = post(admin, "/admin/users/new", {**data, "username": "bbb_kj", "password": "long-enough"}).get_data(as_text=True)
    assert "账号 bbb_kj 已存在" in page  # usernames are unique across group companies
    page = post(admin, "/admin/users/new", {**data, "mobile": "abc", "password": "long-enough"}).get_data(as_text=True)
    assert "手机号格式不正确" in page
    assert count(app, setup["group"], User, User.username == "newkj") == 0
    assert post(admin, "/admin/users/new", {**data, "password": "long-enough"}).status_code == 302
    with app.app_context(), tenant(setup["group"]):
        user = db.session.scalar(db.select(User).where(User.username == "newkj"))
        assert user.roles == {roles.CITY_ACCOUNTANT, roles.PARTNER} and user.check_password("long-enough")
    listing = admin.get(f"/admin/users?role={roles.PARTNER}").get_data(as_text=True)
    assert "新会计" in listing and "aaa_kj2" not in listing
    new_client = login(app.test_client(), "newkj", "long-enough")
    assert new_client.get("/").status_code == 200


def test_edit_user_keeps_password_when_left_blank(app, admin, setup):
    data = {"username": "aaa_kj", "name": "改名会计", "company_id": "0", "roles": [roles.CITY_ACCOUNTANT],
            "password": "", "active": "y", "locale": "en"}
    assert save(admin, f"/admin/users/{setup['accountant']}", data).status_code == 302
    client = login(app.test_client(), "aaa_kj")
    assert "Log out" in client.get("/").get_data(as_text=True)  # their language setting applies


def test_project_authorisation_per_role(app, admin, setup):
    url = f"/admin/authorisations/{setup['project']}"
    page = admin.get(url).get_data(as_text=True)
    assert "城市公司经营会计" in page and "aaa_kj2" in page
    with app.app_context(), tenant(setup["group"]):
        outsider = db.session.scalar(db.select(User.id).where(User.username == "aaa_kj2"))
        partner = db.session.scalar(db.select(User.id).where(User.username == "aaa_p"))
    response = save(admin, url, {roles.CITY_ACCOUNTANT: [str(outsider)], roles.BUSINESS_ADMIN: [str(partner)]})
    assert response.status_code == 302
    with app.app_context(), tenant(setup["group"]):
        rows = db.session.execute(db.select(ProjectAuthorisation.user_id, ProjectAuthorisation.role)).all()
    # The previously authorised accountant was unticked; a partner cannot be authorised as business admin.
    assert rows == [(outsider, roles.CITY_ACCOUNTANT)]
    assert "AAA项目" in login(app.test_client(), "aaa_kj2").get("/").get_data(as_text=True)
    assert "AAA项目" not in login(app.test_client(), "aaa_kj").get("/").get_data(as_text=True)


def test_audit_log_filters(app, admin, setup):
    post(admin, "/admin/batches", {"name": "2021年5月"})
    page = admin.get("/admin/audit-log?table=core_batch").get_data(as_text=True)
    assert "2021年5月" in page and "aaa_admin" in page
    page = admin.get("/admin/audit-log?table=core_batch&actor=nobody").get_data(as_text=True)
    assert "没有日志" in page
    page = admin.get("/admin/audit-log?start=2000-01-01&end=2000-01-02").get_data(as_text=True)
    assert "没有日志" in page


def test_a_record_s_own_history_is_one_click_from_its_page(app, admin, setup):
    import html
    import re
    url = f"/admin/projects/{setup['project']}"
    assert post(admin, url, project_data(setup, code="AAA-P1", name="改名项目", version="1")).status_code == 302
    post(admin, "/admin/batches", {"name": "2021年5月"})  # another record's entry, not in this history
    link = re.search(r'href="([^"]*/admin/audit-log\?[^"]*)">系统日志</a>', admin.get(url).get_data(as_text=True))
    assert link and "table=core_project" in link.group(1) and f"record={setup['project']}" in link.group(1)
    history = admin.get(html.unescape(link.group(1))).get_data(as_text=True)
    assert "改名项目" in history and "2021年5月" not in history
