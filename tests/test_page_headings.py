"""Every page has a main heading (the browser tests check it on every page they visit): 后台管理, 个人中心 and
方案审核 too."""
import re

from tests.conftest import login
from tests.factories import make_tenant


def test_admin_and_personal_centre_pages_have_a_main_heading(app):
    with app.app_context():
        t = make_tenant("AAA")
        admin, partner, reviewer = t.admin.username, t.accountant.username, t.business_admin.username
    for username, url, heading in ((admin, "/admin/projects", "后台管理"), (admin, "/admin/users", "后台管理"),
                                   (partner, "/me/messages", "个人中心"), (partner, "/me/password", "个人中心"),
                                   (reviewer, "/reviews/", "方案审核")):
        page = login(app.test_client(), username).get(url).get_data(as_text=True)
        assert re.search(rf"<main[^>]*>.*?<h1[^>]*>{heading}</h1>", page, re.S), (url, page[:2000])
        page = login(app.test_client(), username).get(f"{url}?lang=en").get_data(as_text=True)
        assert re.search(r"<h1[^>]*>(Administration|Personal centre|Reviews)</h1>", page), url
