"""审批流程 (后台管理): the admin chooses the approval provider of each process kind of the enabled modules; the
form carries the version it was read at; audited; per group company; admins only."""
import re

from core.extensions import db
from core.models import AuditLog, ModuleSetting
from core.processes import service
from tests.conftest import STALE, login, post
from tests.factories import make_tenant
from tests.sample_plugins.ledger.hooks import OA_OFFERED

URL = "/admin/approval-providers"


def versions(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="kind" value="(\w+)">\s*<input type="hidden" name="version" value="(\d+)"', page))


def test_the_admin_chooses_the_provider_of_each_kind(app):
    OA_OFFERED[:] = ["ledger_oa"]
    try:
        with app.app_context():
            a, b = make_tenant("AAA", modules=["ledger"]), make_tenant("BBB", modules=["ledger"])
            ids, b_admin, partner = (a.group.id, b.group.id), b.admin.username, a.partner.username
            admin = a.admin.username
        client = login(app.test_client(), admin)
        page = client.get(URL).get_data(as_text=True)
        assert "审批流程" in page and "离职退休测算" in page and "ledger_calc" in page and "系统内审核" in page
        assert "ledger_oa" in page  # one OA offered and none chosen: it decides
        read = versions(page)
        assert read["ledger_calc"] == "0"
        refused = post(client, URL, {"kind": "ledger_calc", "provider": "nobody_oa", "version": "0"},
                       follow_redirects=True)
        assert "所选审批方式不可用" in refused.get_data(as_text=True)
        saved = post(client, URL, {"kind": "ledger_calc", "provider": "inapp", "version": "0"},
                       follow_redirects=True)
        assert "离职退休测算 由 系统内审核 审批" in saved.get_data(as_text=True)
        with app.app_context():
            assert service.approval_provider(ids[0], "ledger_calc").name == "inapp"
            assert service.approval_provider(ids[0], "ledger_disclosure").name == "ledger_oa"
            assert service.approval_provider(ids[1], "ledger_calc").name == "ledger_oa"  # BBB's own, unchanged
            audit = db.session.scalar(db.select(AuditLog).where(AuditLog.record_id == "approval_provider.ledger_calc"))
            assert (audit.group_id, audit.after) == (ids[0], {"value": "inapp"})
        # A form read before that save (version 0) is refused, nothing saved; read again, it saves.
        stale = post(client, URL, {"kind": "ledger_calc", "provider": "ledger_oa", "version": "0"},
                       follow_redirects=True)
        assert STALE in stale.get_data(as_text=True)
        version = versions(client.get(URL).get_data(as_text=True))["ledger_calc"]
        assert version == "1"  # the choice made above, read again
        chosen = {"kind": "ledger_calc", "provider": "ledger_oa", "version": version}
        assert post(client, URL, chosen).status_code == 302
        with app.app_context():
            assert service.chosen_provider(ids[0], "ledger_calc") == "ledger_oa"
            assert db.session.scalar(db.select(db.func.count()).select_from(ModuleSetting)) == 1
        english = client.get(f"{URL}?lang=en").get_data(as_text=True)
        assert "Process" in english and "Save" in english
        # Another company's admin, a partner: their own kinds only / no access.
        other = login(app.test_client(), b_admin)
        assert post(other, URL, {"kind": "ledger_calc", "provider": "inapp", "version": "0"}).status_code == 302
        with app.app_context():
            assert service.chosen_provider(ids[0], "ledger_calc") == "ledger_oa"
            assert service.chosen_provider(ids[1], "ledger_calc") == "inapp"
        outsider = login(app.test_client(), partner)
        assert outsider.get(URL).status_code == 403
        assert post(outsider, URL, {"kind": "ledger_calc", "provider": "inapp", "version": "3"}).status_code == 403
        assert post(client, URL, {"kind": "no_such_kind", "provider": "inapp", "version": "0"}).status_code == 404
    finally:
        OA_OFFERED.clear()


def test_a_kind_of_a_disabled_module_is_not_listed_nor_chosen(app):
    with app.app_context():
        admin = make_tenant("AAA").admin.username
    client = login(app.test_client(), admin)
    page = client.get(URL).get_data(as_text=True)
    assert "ledger_calc" not in page and "已启用的模块没有审批流程" in page
    assert post(client, URL, {"kind": "ledger_calc", "provider": "inapp", "version": "0"}).status_code == 404
