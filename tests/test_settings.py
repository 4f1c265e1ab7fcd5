"""Per-company module settings: secrets encrypted, never shown back, never in the audit log."""
import sqlalchemy as sa

from core import settings
from core.extensions import db
from core.models import AuditLog, ModuleSetting
from tests.conftest import login, post, save
from tests.factories import make_tenant


def test_settings_page_stores_secrets_encrypted_and_never_shows_them(app):
    with app.app_context():
        a = make_tenant("AAA", modules=["ledger"])
        b = make_tenant("BBB")
        ids = (a.group.id, a.admin.username, b.admin.username, b.group.id)
    admin = login(app.test_client(), ids[1])
    page = admin.get("/admin/modules/ledger/settings").get_data(as_text=True)
    assert "AppSecret" in page and "未设置" in page and "https://ledger.example" in page
    page = post(admin, "/admin/modules/ledger/settings", {"api_base": "ftp://x", "retries": "three"},
                follow_redirects=True).get_data(as_text=True)
    assert "格式不正确：API 地址、重试次数" in page
    save(admin, "/admin/modules/ledger/settings", {"api_base": "http://127.0.0.1:9", "app_key": "dingkey",
                                                    "app_secret": "s3cr3t-value", "retries": "5"})
    with app.app_context():
        rows = {r.key: r.value for r in db.session.scalars(sa.select(ModuleSetting))}
        assert rows["app_secret"].startswith("enc:") and "s3cr3t" not in rows["app_secret"]
        assert settings.values(ids[0], "ledger") == {"api_base": "http://127.0.0.1:9", "app_key": "dingkey",
                                                     "app_secret": "s3cr3t-value", "retries": "5"}
    page = admin.get("/admin/modules/ledger/settings").get_data(as_text=True)
    assert "s3cr3t" not in page and "已设置" in page
    save(admin, "/admin/modules/ledger/settings", {"api_base": "http://127.0.0.1:9", "app_key": "dingkey",
                                                    "app_secret": "", "retries": "5"})  # empty keeps the secret
    with app.app_context():
        assert settings.get(ids[0], "ledger", "app_secret") == "s3cr3t-value"
        logged = db.session.scalars(sa.select(AuditLog).where(AuditLog.record_table == "core_module_setting")).all()
        assert {r.record_id for r in logged} == {"ledger.api_base", "ledger.app_key", "ledger.app_secret",
                                                 "ledger.retries"}
        assert all("s3cr3t" not in str(r.before) + str(r.after) for r in logged)
    # Another group company: the module is disabled there, and it has its own values anyway.
    other = login(app.test_client(), ids[2])
    assert other.get("/admin/modules/ledger/settings").status_code == 404
    with app.app_context():
        assert settings.values(ids[3], "ledger")["app_secret"] == ""
