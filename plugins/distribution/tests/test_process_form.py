"""The 本金分配 process form asks for 情况说明 once (the host's own field), not twice (found by the browser tests)."""
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
