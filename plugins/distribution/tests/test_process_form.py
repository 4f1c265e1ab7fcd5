"""The 本金分配 process form asks for 情况说明 once (the host's own field), not twice; 我的分配 stays inside 个人中心
(both found by the browser tests)."""
import datetime as dt

from plugins.distribution.tests.helpers import make_world, new_batch
from tests.conftest import login


def test_the_start_form_has_one_description(app):
    with app.app_context():
        world = make_world(partners=[("shiwei", "史伟", "realestate", "746428.00", dt.date(2024, 1, 15))])
    kj = login(app.test_client(), world["kj"])
    new_batch(app, world, kj, "principal")
    page = kj.get(f"/processes/projects/{world['project']}/start/distribution_principal").get_data(as_text=True)
    assert page.count(">情况说明<") == 1 and 'name="description"' in page and 'name="note"' not in page
    assert "本次分配节点" in page


def test_my_distributions_is_a_tab_of_the_personal_centre(app):
    with app.app_context():
        make_world(partners=[("shiwei", "史伟", "realestate", "746428.00", dt.date(2024, 1, 15))])
    page = login(app.test_client(), "shiwei").get("/distribution/me").get_data(as_text=True)
    assert "<h1 class=\"h5 mb-2\">个人中心</h1>" in page and 'href="/me/messages"' in page
    assert 'class="nav-link active" href="/distribution/me"' in page
