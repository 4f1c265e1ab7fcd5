"""The admin's pages: settings never show the sign, 测试连接 lists worksheets and controls to map."""
import logging

from core import settings
from core.extensions import db
from core.tenancy import tenant
from plugins.mingdao.tests import fake_mingdao as F
from plugins.mingdao.tests.conftest import configure
from tests.conftest import form_version, login, post

SETTINGS = "/admin/modules/mingdao/settings"


def test_the_settings_page_never_shows_the_sign(app, world, caplog):
    caplog.set_level(logging.DEBUG)
    admin = login(app.test_client(), world["admin"])
    page = admin.get(SETTINGS).get_data(as_text=True)
    assert "Sign" in page and "已设置（留空则不修改）" in page and F.SIGN not in page
    tested = post(admin, "/mingdao/settings/test").get_data(as_text=True)
    assert "跟投台账" in tested and F.SIGN not in tested
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], world["fake"].url, sign="wrong-" + F.SIGN)
        db.session.commit()
    failed = post(admin, "/mingdao/settings/test", follow_redirects=True).get_data(as_text=True)
    assert "连接失败" in failed and "sign 不正确" in failed and F.SIGN not in failed
    logged = " ".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for text in (page, tested, failed, admin.get("/mingdao/").get_data(as_text=True), logged):
        assert F.SIGN not in text  # also not in urllib3's log of the GET's query string


def test_the_admin_picks_worksheets_then_maps_their_controls(app, world):
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], world["fake"].url, project_worksheet_id="", project_controls="",
                  payment_worksheet_id="", payment_controls="", payout_worksheet_id="", payout_controls="")
        db.session.commit()
    admin = login(app.test_client(), world["admin"])
    tested = post(admin, "/mingdao/settings/test").get_data(as_text=True)
    assert "跟投 / 跟投项目" in tested and "跟投 / 通讯录 / 联系人" in tested and "看板" not in tested
    assert "p_code" not in tested  # controls come once a worksheet is chosen
    post(admin, "/mingdao/settings/pick", {"project_worksheet_id": F.PROJECTS, "payment_worksheet_id": F.PAYMENTS,
                                           "payout_worksheet_id": F.PAYOUTS, "version": form_version(admin, SETTINGS)})
    tested = post(admin, "/mingdao/settings/test").get_data(as_text=True)
    assert 'value="p_code"' in tested and 'value="m_amount"' in tested and 'value="d_batch"' in tested
    saved = post(admin, "/mingdao/settings/pick", {
        "project_worksheet_id": F.PROJECTS, "payment_worksheet_id": F.PAYMENTS, "project__code": "p_code",
        "project__name": "p_name", "payment__code": "m_code", "payment__amount": "m_amount",
        "payout_worksheet_id": F.PAYOUTS, "payout__code": "d_code", "payout__batch": "d_batch",
        "version": form_version(admin, SETTINGS)}, follow_redirects=True).get_data(as_text=True)
    assert "已保存" in saved
    with app.app_context():
        cfg = settings.values(world["group"], "mingdao")
    assert cfg["project_controls"] == "code=p_code, name=p_name"
    assert cfg["payment_controls"] == "code=m_code, amount=m_amount"
    assert cfg["payout_worksheet_id"] == F.PAYOUTS and cfg["payout_controls"] == "code=d_code, batch=d_batch"
    # The settings form refuses a mapping it cannot read, and saves nothing.
    refused = post(admin, SETTINGS, {"app_key": F.APP_KEY, "project_controls": "code p_code",
                                     "version": form_version(admin, SETTINGS)}, follow_redirects=True)
    assert "格式不正确" in refused.get_data(as_text=True)


def test_only_an_admin_reaches_the_pages(app, world):
    partner = login(app.test_client(), world["partner_username"])
    assert partner.get("/mingdao/").status_code in (302, 403, 404)
    assert post(partner, "/mingdao/settings/test").status_code in (302, 403, 404)
    assert world["fake"].calls == []
