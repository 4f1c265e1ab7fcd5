"""Lists kept per session (core.fragments.cached_rows): 项目维护, 账号及角色, a partner's 认购明细 and 待办.

A kept list costs no query of its own; a change made through the app, in another process, or to a table the
list joins shows on the next GET; a kept list is never shown to another group company, user or session (its
forms post with their own session's CSRF token), nor in another language, search or page; LIST_CACHE_SECONDS
0 turns it off, and a write no engine of the app made is seen once the entry is LIST_CACHE_SECONDS old."""
import datetime as dt
import re
import time
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from core import roles
from core.extensions import db
from core.models import Batch, Project
from core.tenancy import tenant
from tests.conftest import login, make_app, post, reset_database, save
from tests.factories import make_tenant, make_user
from tests.test_demo_and_queries import QueryCounter
from tests.test_signins import _in_another_process

ROWS_SELECT = "core_project.land_acquired_on"  # a column only the project list's rows select reads


class Statements(QueryCounter):
    """QueryCounter that also keeps the SQL it counted."""

    def __enter__(self):
        self.sql = []
        return super().__enter__()

    def _count(self, conn, cursor, statement, *rest):
        super()._count()
        self.sql.append(statement)


@pytest.fixture
def site():
    """An app (with ``config``) on an emptied database holding group companies ONE and TWO."""
    def build(**config):
        app = make_app(**config)
        reset_database(app)
        with app.app_context():
            made = {code: make_tenant(code) for code in ("ONE", "TWO")}
            ids = {code.lower(): SimpleNamespace(group=t.group.id, city=t.city.id, realestate=t.realestate.id,
                                                 batch=t.batch.id, project=t.project.id, admin=t.admin.username,
                                                 accountant=t.accountant.id) for code, t in made.items()}
        return app, SimpleNamespace(**ids)
    return build


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def statements(app, client, url) -> list[str]:
    with app.app_context():
        engine = db.engine
    with Statements(engine) as counted:
        page(client, url)
    return counted.sql


def project_data(t, **changes):
    data = {"code": "ONE-P9", "name": "靖江项目", "company_id": str(t.city), "land_acquired_on": "2019-10-21",
            "batch_id": str(t.batch), "is_open": "y", "operator": "side", "acquisition_method": "招拍挂"}
    return {**data, **changes}


def user_row(listing: str, username: str) -> str:
    found = re.search(rf"<tr><td>{username}</td>.*?</tr>", listing, re.S)
    assert found, f"{username} is not listed"
    return found.group(0)


def test_a_kept_list_costs_no_query_of_its_own(site):
    app, t = site()
    admin = login(app.test_client(), t.one.admin)
    first, second = statements(app, admin, "/admin/projects"), statements(app, admin, "/admin/projects")
    assert any(ROWS_SELECT in sql for sql in first)
    assert not any(ROWS_SELECT in sql for sql in second)
    # Of the second GET, at most the unread badge's count remains (none where the badge is kept as well).
    assert all("core_inbox_message" in sql for sql in second)
    assert len(second) == (0 if "gentou_unread" in app.extensions else 1) < len(first)


def test_changes_made_through_the_app_show_on_the_next_get(site):
    app, t = site()
    admin = login(app.test_client(), t.one.admin)
    assert "ONE项目" in page(admin, "/admin/projects")
    assert post(admin, "/admin/projects/new", project_data(t.one)).status_code == 302
    assert "靖江项目" in page(admin, "/admin/projects")
    assert save(admin, f"/admin/projects/{t.one.project}",
                project_data(t.one, code="ONE-P1", name="改名项目")).status_code == 302
    listed = page(admin, "/admin/projects")
    assert "改名项目" in listed and "ONE项目" not in listed

    assert "one_kj" in page(admin, "/admin/users")
    person = {"username": "newkj", "name": "新会计", "company_id": "0", "roles": [roles.CITY_ACCOUNTANT],
              "password": "long-enough", "active": "y", "locale": ""}
    assert post(admin, "/admin/users/new", person).status_code == 302
    row = user_row(page(admin, "/admin/users"), "newkj")
    assert "新会计" in row and "城市公司经营会计" in row and "<td>启用</td>" in row
    url = re.search(r'href="([^"]*/admin/users/\d+)"', row).group(1)
    assert save(admin, url, {**person, "roles": [roles.PARTNER], "password": ""}).status_code == 302
    row = user_row(page(admin, "/admin/users"), "newkj")
    assert "合伙人" in row and "城市公司经营会计" not in row
    assert save(admin, url, {**person, "roles": [roles.PARTNER], "password": "", "active": ""}).status_code == 302
    assert "<td>停用</td>" in user_row(page(admin, "/admin/users"), "newkj")


def test_a_change_made_in_another_process_shows_on_the_next_get(site):
    app, t = site()
    admin = login(app.test_client(), t.one.admin)
    assert "ONE项目" in page(admin, "/admin/projects") and "<td>启用</td>" in user_row(page(admin, "/admin/users"), "one_kj")
    _in_another_process(f"""
        from core.models import Project
        db.session.get(Project, {t.one.project}).name = "别处改名"
        db.session.get(User, {t.one.accountant}).active = False
    """)
    assert "别处改名" in page(admin, "/admin/projects")
    assert "<td>停用</td>" in user_row(page(admin, "/admin/users"), "one_kj")


def test_a_change_to_a_joined_table_shows_on_the_next_get(site):
    app, t = site()
    admin = login(app.test_client(), t.one.admin)
    assert "ONE城市公司" in page(admin, "/admin/projects")
    assert save(admin, f"/admin/companies/{t.one.city}", {"name": "泰安城市公司", "kind": "city",
                                                          "parent_id": str(t.one.realestate)}).status_code == 302
    listed = page(admin, "/admin/projects")
    assert "泰安城市公司" in listed and "ONE城市公司" not in listed
    with app.app_context(), tenant(t.one.group):
        db.session.get(Batch, t.one.batch).name = "2020年1月"
        db.session.commit()
    listed = page(admin, "/admin/projects")
    assert "2020年1月" in listed and "2019年10月" not in listed


def test_each_group_company_and_user_sees_only_its_own(site):
    app, t = site()
    one, two = (login(app.test_client(), admin) for admin in (t.one.admin, t.two.admin))
    for _ in range(2):
        for client, own, other in ((one, "ONE", "TWO"), (two, "TWO", "ONE")):
            projects, users = page(client, "/admin/projects"), page(client, "/admin/users")
            assert f"{own}项目" in projects and f"{other}项目" not in projects
            assert f"{own.lower()}_kj" in users and f"{other.lower()}_kj" not in users


@pytest.fixture
def partners():
    """The subscription plugin's app: partner aaa_p on two projects' 合伙名单, aaa_p2 on a third."""
    app = make_app(plugins=["plugins.subscription"])
    reset_database(app)
    from plugins.subscription.models import Subscription
    with app.app_context():
        t = make_tenant("AAA", modules=["subscription"])
        with tenant(t.group.id):
            other = make_user("aaa_p2", [roles.PARTNER], name="金涛")
            projects = [t.project] + [Project(code=f"AAA-P{i}", name=f"第{i}项目", company_id=t.city.id, is_open=True)
                                      for i in (2, 3)]
            db.session.add_all(projects[1:])
            db.session.flush()
            for user, project in ((t.partner, projects[0]), (t.partner, projects[1]), (other, projects[2])):
                db.session.add(Subscription(token=uuid.uuid4().hex, project_id=project.id, user_id=user.id, tier="city",
                                            min_amount=Decimal("1000"), max_amount=Decimal("9000"),
                                            deadline=dt.date.today() + dt.timedelta(days=7)))
            db.session.commit()
    return app


def forms(listing: str) -> list[tuple[str, str, str]]:
    """Each 认购 form on a 认购明细 page: (action, CSRF token, version)."""
    return re.findall(r'<form method="post" action="(/subscription/me/[^"]+)".*?name="csrf_token" value="([^"]+)"'
                      r'.*?name="version"[^>]* value="(\d+)"', listing, re.S)


def test_partners_and_sessions_see_only_their_own(partners):
    app = partners
    mine, theirs = login(app.test_client(), "aaa_p"), login(app.test_client(), "aaa_p2")
    for _ in range(2):
        listed = page(mine, "/subscription/me")
        assert "AAA项目" in listed and "第2项目" in listed and "第3项目" not in listed
        listed = page(theirs, "/subscription/me")
        assert "第3项目" in listed and "AAA项目" not in listed and "第2项目" not in listed

    again = login(app.test_client(), "aaa_p")  # the same partner in a second browser
    first, second = forms(page(mine, "/subscription/me")), forms(page(again, "/subscription/me"))
    assert len(first) == len(second) == 2
    for client, (action, token, version) in ((mine, first[0]), (again, second[1])):
        response = client.post(action, data={"amount": "5,000", "csrf_token": token, "version": version},
                               follow_redirects=True)
        assert response.status_code == 200 and "已提交认购" in response.get_data(as_text=True)
    assert page(mine, "/subscription/me").count("我的认购：5,000.00") == 2


def test_the_list_follows_the_language(site):
    app, t = site()
    admin = login(app.test_client(), t.one.admin)
    assert "<th>项目名称</th>" in page(admin, "/admin/projects")
    page(admin, "/admin/projects?lang=en")
    listed = page(admin, "/admin/projects")
    assert "<th>Project name</th>" in listed and "<th>项目名称</th>" not in listed
    page(admin, "/admin/projects?lang=zh")
    listed = page(admin, "/admin/projects")
    assert "<th>项目名称</th>" in listed and "<th>Project name</th>" not in listed


def test_a_search_and_a_page_show_their_own_rows(site):
    app, t = site()
    with app.app_context(), tenant(t.one.group):
        db.session.add_all([Project(code=f"B{i:03d}", name=f"批量{i:03d}", company_id=t.one.city) for i in range(25)])
        db.session.commit()
    admin = login(app.test_client(), t.one.admin)
    first = page(admin, "/admin/projects")
    assert "ONE项目" in first and "批量000" in first and "批量024" not in first
    second = page(admin, "/admin/projects?page=2")
    assert "批量024" in second and "批量000" not in second and "ONE项目" not in second
    found = page(admin, "/admin/projects?q=批量007")
    assert "批量007" in found and "批量000" not in found and "ONE项目" not in found
    assert "ONE项目" in page(admin, "/admin/projects") and "批量024" in page(admin, "/admin/projects?page=2")


def rename_outside(app, project_id, name):
    """As psql would: a connection of no engine of the app, so no epoch moves."""
    outside = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with outside.begin() as conn:
        conn.execute(sa.text("UPDATE core_project SET name = :name WHERE id = :id"), {"name": name, "id": project_id})
    outside.dispose()


def test_list_cache_seconds(site):
    app, t = site(LIST_CACHE_SECONDS=0)
    admin = login(app.test_client(), t.one.admin)
    for _ in range(2):
        assert any(ROWS_SELECT in sql for sql in statements(app, admin, "/admin/projects"))

    app, t = site()
    assert app.config["LIST_CACHE_SECONDS"] == 60
    admin = login(app.test_client(), t.one.admin)
    assert "ONE项目" in page(admin, "/admin/projects")
    rename_outside(app, t.one.project, "外部改名")
    assert "ONE项目" in page(admin, "/admin/projects")  # kept: within the 60 seconds

    app, t = site(LIST_CACHE_SECONDS=1)
    admin = login(app.test_client(), t.one.admin)
    assert "ONE项目" in page(admin, "/admin/projects")
    rename_outside(app, t.one.project, "外部改名")
    time.sleep(1.1)
    listed = page(admin, "/admin/projects")
    assert "外部改名" in listed and "ONE项目" not in listed


def test_the_home_todo_follows_new_messages_although_the_unread_count_is_kept(site):
    """The 待办 (a kept list) shows the unread count, itself kept (core.personal): the list depends on the
    messages' table through it, so a message delivered after the list was kept shows on the next GET."""
    from core.outbox import notify
    app, t = site()
    with app.app_context():
        partner = make_user("one_p2", [roles.PARTNER], group_id=t.one.group)
        db.session.commit()
        partner_id = partner.id
    client = login(app.test_client(), "one_p2")
    assert "条未读消息" not in page(client, "/")
    assert "条未读消息" not in page(client, "/")  # kept, with the count it showed
    with app.app_context(), tenant(t.one.group):
        notify(t.one.group, [partner_id], "缴款通知")
        db.session.commit()
    home = page(client, "/")
    assert "1 条未读消息" in home and 'id="unread-count">1<' in home
