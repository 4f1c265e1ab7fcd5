"""The admin's pages: settings never show a secret, 测试连接 lists apps and objects to pick, 对账."""
import logging

from core.extensions import db
from core.tenancy import tenant
from core import settings
from plugins.ekuaibao import services
from plugins.ekuaibao.models import EkuaibaoReport
from plugins.ekuaibao.tests import fake_ekuaibao as F
from plugins.ekuaibao.tests.conftest import configure
from tests.conftest import form_version, login, post

SETTINGS = "/admin/modules/ekuaibao/settings"


def test_the_settings_page_never_shows_the_secret(app, world, caplog):
    caplog.set_level(logging.DEBUG)
    admin = login(app.test_client(), world["admin"])
    page = admin.get(SETTINGS).get_data(as_text=True)
    assert "appSecurity" in page and "已设置（留空则不修改）" in page and F.APP_SECURITY not in page
    tested = post(admin, "/ekuaibao/settings/test").get_data(as_text=True)
    assert "连接成功" in tested and "跟投项目" in tested and "合伙人" in tested and F.APP_SECURITY not in tested
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], world["fake"].url, app_security="wrong-" + F.APP_SECURITY)
        db.session.commit()
    failed = post(admin, "/ekuaibao/settings/test", follow_redirects=True).get_data(as_text=True)
    assert "连接失败" in failed and "appKey或appSecurity错误" in failed and F.APP_SECURITY not in failed
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], "http://127.0.0.1:1", app_security=F.APP_SECURITY)
        db.session.commit()
    unreachable = post(admin, "/ekuaibao/settings/test", follow_redirects=True).get_data(as_text=True)
    assert "连接失败" in unreachable
    logged = " ".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    tokens = [*world["fake"].tokens, *world["fake"].refresh_tokens]
    assert tokens
    for text in (page, tested, failed, unreachable, admin.get("/ekuaibao/").get_data(as_text=True), logged):
        assert F.APP_SECURITY not in text and not [t for t in tokens if t in text]


def test_the_admin_picks_the_app_and_objects_from_the_list(app, world):
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], world["fake"].url, platform_id="", project_entity_id="", partner_entity_id="")
        db.session.commit()
    admin = login(app.test_client(), world["admin"])
    tested = post(admin, "/ekuaibao/settings/test").get_data(as_text=True)
    assert f'value="{F.PROJECT_ENTITY}"' in tested and "跟投系统 / 跟投项目" in tested
    version = form_version(admin, SETTINGS)
    saved = post(admin, "/ekuaibao/settings/pick", {"platform_id": F.PLATFORM, "project_entity_id": F.PROJECT_ENTITY,
                                                    "partner_entity_id": F.PARTNER_ENTITY, "version": version},
                 follow_redirects=True).get_data(as_text=True)
    assert "已保存 3 项设置" in saved
    with app.app_context():
        cfg = settings.values(world["group"], "ekuaibao")
    assert (cfg["platform_id"], cfg["project_entity_id"], cfg["partner_entity_id"]) == (
        F.PLATFORM, F.PROJECT_ENTITY, F.PARTNER_ENTITY)
    bad = post(admin, "/ekuaibao/settings/pick", {"platform_id": "x y", "version": form_version(admin, SETTINGS)},
               follow_redirects=True).get_data(as_text=True)
    assert "请选择自建应用和业务对象" in bad


def test_only_an_admin_reaches_the_pages(app, world):
    partner = login(app.test_client(), world["partner_username"])
    assert partner.get("/ekuaibao/").status_code in (302, 403, 404)
    assert post(partner, "/ekuaibao/resync").status_code in (302, 403, 404)
    assert world["fake"].calls == []


def test_reconcile_lists_back_every_page_and_reports_what_differs(app, world):
    fake, group = world["fake"], world["group"]
    admin = login(app.test_client(), world["admin"])
    post(admin, "/ekuaibao/resync")
    store = fake.instances[F.PROJECT_ENTITY]
    store["AAA-P1"]["form"][f"E_{F.PROJECT_ENTITY}_name"] = "合思里改过的名字"
    for n in range(150):  # more than a page of instances only 合思 has
        store[f"X{n:03d}"] = {"id": f"DLX{n}", "code": f"X{n:03d}", "name": "外部", "active": True, "form": {}}
    fake.instances[F.PARTNER_ENTITY].clear()
    post(admin, "/ekuaibao/reconcile")
    with app.app_context(), tenant(group):
        report = db.session.scalar(db.select(EkuaibaoReport))
        assert report.state == "done"
    counts = [int(q["count"]) for q in fake.queries("/api/openapi/v2.1/datalink")]
    assert max(counts) == 100 and len(counts) == 3  # two pages of projects, one of partners
    page = admin.get("/ekuaibao/").get_data(as_text=True)
    assert "AAA-P1（name）" in page and "X149" in page and "aaa_p" in page, report.body
    with app.app_context():
        body = __import__("json").loads(report.body)
    assert body["project"]["differs"] == [{"code": "AAA-P1", "fields": ["name"]}]
    assert body["partner"]["missing"] == ["aaa_p"] and len(body["project"]["extra"]) == 150
    assert services.RECONCILE_JOB == "ekuaibao.reconcile"
