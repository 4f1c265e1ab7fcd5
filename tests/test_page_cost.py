"""What the cheaper pages keep: menus rendered once per process yet right for each user, roles and modules;
row links built from one URL; list pages of columns (not entities) still scoped to the tenant."""
import re

import pytest
import sqlalchemy as sa

from core import roles
from core.extensions import db
from core.fragments import FragmentCache
from core.models import Project, User
from core.modules import disable, enable
from core.tenancy import tenant
from tests.conftest import csrf_token, login
from tests.factories import make_tenant, make_user


@pytest.fixture()
def two(app):
    with app.app_context():
        a, b = make_tenant("AAA"), make_tenant("BBB")
        enable(a.group.id, "ledger", actor="test")
        db.session.commit()
        return {"a": (a.group.id, a.admin.username, a.partner.username, a.project.id),
                "b": (b.group.id, b.admin.username, b.partner.username, b.project.id)}


def nav(page: str) -> list[str]:
    return re.findall(r'class="nav-link[^"]*" href="([^"]+)"', page)


def test_menus_differ_by_role_and_company_and_follow_changes_on_the_next_request(app, two):
    admin_a, partner_a = login(app.test_client(), two["a"][1]), login(app.test_client(), two["a"][2])
    admin_b = login(app.test_client(), two["b"][1])
    for _ in range(2):  # the second round is served from the cache
        admin_page, partner_page = admin_a.get("/").get_data(as_text=True), partner_a.get("/").get_data(as_text=True)
        assert "/admin/projects" in nav(admin_page) and "/admin/projects" not in nav(partner_page)
        assert "/ledger/" in nav(admin_page) and "/ledger/" in nav(partner_page)
        assert "/ledger/" not in nav(admin_b.get("/").get_data(as_text=True))

    with app.app_context():
        disable(two["a"][0], "ledger")
        db.session.commit()
    assert "/ledger/" not in nav(admin_a.get("/").get_data(as_text=True))

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == two["a"][2]))
        user.set_roles([roles.PARTNER, roles.ADMIN])
        db.session.commit()
    assert "/admin/projects" in nav(partner_a.get("/").get_data(as_text=True))


def test_the_active_tab_is_the_current_screen(app, two):
    client = login(app.test_client(), two["a"][1])
    for path in ("/admin/projects", "/admin/users", "/admin/projects"):
        page = client.get(path).get_data(as_text=True)
        active = re.findall(r'class="nav-link active" href="([^"]+)"', page)
        assert set(active) == {path}, (path, active)  # 后台管理 in the main menu is 项目维护 too


def test_what_differs_per_user_is_never_cached(app, two):
    """Two users of the same roles share the menus, never the name, the unread count or the CSRF token."""
    with app.app_context(), tenant(two["a"][0]):
        make_user("twin1", [roles.PARTNER], name="甲一")
        make_user("twin2", [roles.PARTNER], name="乙二")
        db.session.commit()
    one, other = login(app.test_client(), "twin1"), login(app.test_client(), "twin2")
    first, second = one.get("/").get_data(as_text=True), other.get("/").get_data(as_text=True)
    assert "甲一" in first and "乙二" not in first and "乙二" in second and "甲一" not in second
    assert nav(first) == nav(second)
    response = other.post("/logout", data={"csrf_token": csrf_token(other)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert other.get("/me/messages").status_code == 302


def test_the_language_is_part_of_the_key(app, two):
    client = login(app.test_client(), two["a"][1])
    assert ">项目维护<" in client.get("/admin/projects").get_data(as_text=True)
    english = client.get("/admin/projects?lang=en").get_data(as_text=True)
    assert ">项目维护<" not in english and ">Projects<" in english


def test_row_links_point_at_each_row_and_lists_stay_in_the_tenant(app, two):
    with app.app_context(), tenant(two["a"][0]):
        city = db.session.scalar(sa.select(Project)).company_id
        db.session.add_all(Project(code=f"AAA-X{i}", name=f"甲项目{i}", company_id=city) for i in range(3))
        db.session.commit()
        ids = sorted(db.session.scalars(sa.select(Project.id)))
    client = login(app.test_client(), two["a"][1])
    page = client.get("/admin/projects").get_data(as_text=True)
    assert sorted(int(i) for i in re.findall(r'href="/admin/projects/(\d+)"', page)) == ids
    assert sorted(int(i) for i in re.findall(r'href="/admin/authorisations/(\d+)"', page)) == ids
    assert "AAA城市公司" in page and "2019年10月" in page and "BBB项目" not in page
    assert client.get(f"/admin/projects/{two['b'][3]}").status_code == 404

    users = client.get("/admin/users").get_data(as_text=True)
    assert "<td>aaa_admin</td>" in users and "bbb_admin" not in users
    assert "<td>系统管理员</td>" in users and "<td>城市公司经营会计</td>" in users
    assert "共 5 条" in users and len(re.findall(r'href="/admin/users/\d+"', users)) == 5
    partners = client.get("/admin/users?role=partner").get_data(as_text=True)
    assert "<td>aaa_p</td>" in partners and "<td>aaa_admin</td>" not in partners and "共 1 条" in partners


def test_the_pager_links_every_page_with_the_search_kept(app, two):
    with app.app_context(), tenant(two["a"][0]):
        city = db.session.scalar(sa.select(Project)).company_id
        db.session.add_all(Project(code=f"AAA-Y{i:02d}", name=f"乙项目{i}", company_id=city) for i in range(45))
        db.session.commit()
    client = login(app.test_client(), two["a"][1])
    page = client.get("/admin/projects?q=乙&page=2").get_data(as_text=True)
    links = re.findall(r'class="page-link" href="([^"]+)"', page)
    assert links == [f"/admin/projects?page={n}&amp;q=%E4%B9%99" for n in (1, 1, 2, 3, 3)], links
    assert "共 45 条" in page


def test_url_template_formats_each_id_into_the_url_built_once(app):
    from core.ui import url_template
    with app.test_request_context("/"):
        assert url_template("admin.project_form", "project_id")(42) == "/admin/projects/42"
        assert url_template("admin.projects", "page", q="甲")(3) == "/admin/projects?page=3&q=%E7%94%B2"
        with pytest.raises(ValueError):
            url_template("admin.project_form", "project_id")("42; drop")


def test_the_fragment_cache_is_bounded_least_recently_used_first():
    cache = FragmentCache(limit=2)
    cache.put(("a",), "A")
    cache.put(("b",), "B")
    assert cache.get(("a",)) == "A"  # now the most recent
    cache.put(("c",), "C")
    assert len(cache) == 2 and cache.get(("b",)) is None and cache.get(("a",)) == "A"
