"""The admin's pages: settings (secrets never shown), 测试连接, 同步记录; the project's CRM payments
(查询) through a job, paged 100 a call, marked against Gentou's records; who may open what."""
import json
import re

from core.extensions import db
from core.tenancy import tenant
from plugins.crm.models import CrmQuery
from plugins.crm.tests import fake_crm as F
from plugins.crm.tests.conftest import configure, confirm, reverse, rows, run_due_now, run_worker, scheduled
from tests.conftest import login, post

QUERY = "/cgi/crm/v2/data/query"


def flashes(page: str) -> str:
    return " ".join(re.findall(r'class="alert[^"]*"[^>]*>\s*(.*?)\s*<', page, re.S))


def test_the_settings_page_never_shows_a_secret(app, world):
    admin = login(app.test_client(), world["admin"])
    page = admin.get("/admin/modules/crm/settings").get_data(as_text=True)
    assert F.APP_SECRET not in page and F.PERMANENT_CODE not in page
    assert page.count("已设置（留空则不修改）") == 2 and F.APP_ID in page and "测试连接" in page
    # Wrong credentials: the reason, never the secret, in the message.
    with app.app_context():
        configure(world["group"], world["fake"].url, app_secret="wrong-secret-value-99")
        db.session.commit()
    page = post(admin, "/crm/settings/test", follow_redirects=True).get_data(as_text=True)
    assert "连接失败：CRM 的 appId、appSecret 或永久授权码不正确 (20001)" in page
    assert "wrong-secret-value-99" not in page and F.PERMANENT_CODE not in page


def test_test_connection_fetches_a_token_and_finds_the_operator(app, world):
    fake = world["fake"]
    admin = login(app.test_client(), world["admin"])
    page = post(admin, "/crm/settings/test", follow_redirects=True).get_data(as_text=True)
    assert f"连接成功：企业 {F.CORP_ID}，操作人 {F.OPERATOR_ID}" in page
    assert fake.count(F.TOKEN_PATH) == 1 and fake.bodies("/cgi/user/getByMobile")[0]["mobile"] == F.OPERATOR_MOBILE
    with app.app_context():
        configure(world["group"], fake.url, operator_mobile="13900000000")
        db.session.commit()
    page = post(admin, "/crm/settings/test", follow_redirects=True).get_data(as_text=True)
    assert "CRM 中找不到手机号为 13900000000 的员工（操作人）" in page
    # Only the admin; another company's admin sees only their own company's settings.
    accountant = login(app.test_client(), world["accountant"])
    assert post(accountant, "/crm/settings/test").status_code == 403
    assert accountant.get("/crm/").status_code == 403


def test_a_project_query_pages_100_a_call_and_marks_gentou_records(app, world):
    fake = world["fake"]
    mine = confirm(app, world, "1000")
    changed = confirm(app, world, "2000")
    run_worker(app)
    synced = {r.key: r.data_id for r in rows(app, world)}
    fake.objects[synced[f"P{changed}"]]["payment_amount"] = "2500.00"  # someone edited it in the CRM
    for n in range(248):  # entered in the CRM by others, for this project and for another
        fake.add_payment(payment_amount=f"{n}.00", payment_time=1795104000000, remark=f"其它 | AAA-P1 | {n}")
    fake.add_payment(payment_amount="1.00", payment_time=1795104000000, remark="其它 | ZZZ-P9 |")
    kj = login(app.test_client(), world["accountant"])
    url = f"/crm/projects/{world['project']}/payments"
    page = post(kj, url, {"field0": "", "value0": ""}, follow_redirects=True).get_data(as_text=True)
    assert "正在查询 CRM" in page and 'http-equiv="refresh"' in page
    run_worker(app)
    calls = [b["data"]["search_query_info"] for b in fake.bodies(QUERY)]
    assert [(c["limit"], c["offset"]) for c in calls] == [(100, 0), (100, 100), (100, 200)]
    assert calls[0]["filters"][:2] == [
        {"field_name": "remark", "field_values": ["| AAA-P1 |"], "operator": "LIKE"},
        {"field_name": "account_id", "field_values": [F.ACCOUNT_ID], "operator": "EQ"}]
    page = kj.get(url).get_data(as_text=True)
    assert "CRM 共 250 条" in page and page.count("本系统无此记录") == 48  # page 1 of 5: 2 ours, 48 others
    assert "一致" in page and "金额不一致：本系统 2,000.00" in page
    assert kj.get(url + "?page=5").get_data(as_text=True).count("本系统无此记录") == 50
    # A reversed payment is expected at 0.00 once the CRM has the update.
    reverse(app, world, mine)
    run_worker(app)
    post(kj, url, {"field0": "payment_amount", "op0": "LTE", "value0": "0"})
    run_worker(app)
    page = kj.get(url).get_data(as_text=True)
    assert "CRM 共 2 条" in page and page.count("一致") == 1  # 0.00 (reversed) and the CRM's own 0.00


def test_filters_are_checked_before_anything_is_asked(app, world):
    kj = login(app.test_client(), world["accountant"])
    url = f"/crm/projects/{world['project']}/payments"
    cases = [({"field0": "payment_amount", "op0": "GT", "value0": "abc"}, "回款金额不是有效的数字：abc"),
             ({"field0": "payment_amount", "op0": "BETWEEN", "value0": "1"}, "回款金额介于两个值之间：用分号分隔"),
             ({"field0": "payment_time", "op0": "GTE", "value0": "2026-13-01"}, "回款日期应为日期，例如 2026-11-28"),
             ({"field0": "remark", "op0": "DROP", "value0": "x"}, "第 1 个条件的字段或比较方式不正确"),
             ({"field0": "payment_amount", "op0": "EQ", "value0": ""}, "请填写回款金额的值")]
    for form, message in cases:
        page = post(kj, url, form, follow_redirects=True).get_data(as_text=True)
        assert message in page, form
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(db.select(db.func.count()).select_from(CrmQuery)) == 0
    post(kj, url, {"field0": "payment_time", "op0": "BETWEEN", "value0": "2026-11-01; 2026-11-30",
                   "field1": "payment_amount", "op1": "IN", "value1": "1,000.5；2"})
    with app.app_context(), tenant(world["group"]):
        query = db.session.scalar(db.select(CrmQuery))
        assert json.loads(query.filters) == [
            {"field_name": "payment_time", "field_values": [1793462400000, 1795968000000], "operator": "BETWEEN"},
            {"field_name": "payment_amount", "field_values": ["1000.50", "2.00"], "operator": "IN"}]
    assert world["fake"].calls == []  # nothing until the job runs
    page = kj.get(url).get_data(as_text=True)  # the form shows the query it is running again
    assert 'value="2026-11-01; 2026-11-30"' in page and 'value="1000.50; 2.00"' in page


def test_the_query_stops_at_the_crms_offset_limit_and_waits_out_its_rate_limit(app, world):
    fake = world["fake"]
    for n in range(10150):
        fake.add_payment(payment_amount="1.00", payment_time=1795104000000, remark=f"| AAA-P1 | {n}")
    kj = login(app.test_client(), world["accountant"])
    url = f"/crm/projects/{world['project']}/payments"
    post(kj, url)
    run_worker(app)  # 100 calls in 20 s is the CRM's limit: the job keeps what it has and comes back
    first_run = fake.count(QUERY)
    if first_run < 101:  # a slow machine lets the 20 s window slide enough for all 101 pages
        assert first_run >= 100 and "正在查询" in kj.get(url).get_data(as_text=True)
        [(delay, kwargs)] = scheduled()
        assert 0 < delay <= 20 and set(kwargs) == {"query_id"}
    run_due_now(app, fake)
    offsets = [b["data"]["search_query_info"]["offset"] for b in fake.bodies(QUERY)]
    assert offsets == list(range(0, 10001, 100)) and fake.violations == []
    page = kj.get(url).get_data(as_text=True)
    assert "CRM 共 10150 条" in page and "只列出了前 10100 条" in page


def test_who_may_open_a_projects_crm_payments(app, world):
    url = f"/crm/projects/{world['project']}/payments"
    assert login(app.test_client(), world["outsider"]).get(url).status_code == 404  # not authorised on it
    assert login(app.test_client(), world["b_admin"]).get(url).status_code == 404   # another company's
    assert login(app.test_client(), world["admin"]).get(url).status_code == 200
    assert app.test_client().get(url).status_code in (302, 401)
    kj = login(app.test_client(), world["accountant"])
    page = kj.get("/").get_data(as_text=True)
    assert 'href="/crm/projects"' in page and "CRM同步" not in page  # the menu: 回款 for staff, 同步 for the admin
    assert f'href="{url}"' in kj.get("/crm/projects").get_data(as_text=True)
    assert f'href="{url}"' not in login(app.test_client(), world["outsider"]).get("/crm/projects").get_data(as_text=True)
    assert "AAA项目" not in login(app.test_client(), world["b_admin"]).get("/crm/projects").get_data(as_text=True)
    assert login(app.test_client(), "aaa_p").get("/crm/projects").status_code == 403  # a partner


def test_the_sync_page_lists_each_record_with_its_state(app, world):
    world["fake"].fail_next("/cgi/crm/v2/data/create", 500)
    confirm(app, world, "4321.09")
    run_worker(app)
    admin = login(app.test_client(), world["admin"])
    page = admin.get("/crm/").get_data(as_text=True)
    assert "4,321.09" in page and "待同步" in page and "HTTP 500" in page and "下次尝试" in page
    assert "重新同步" not in page  # only a failed record has the button
    [row] = rows(app, world)
    assert post(admin, f"/crm/payments/{row.id}/resync", follow_redirects=True).status_code == 200
    b_admin = login(app.test_client(), world["b_admin"])
    assert post(b_admin, f"/crm/payments/{row.id}/resync").status_code == 404
    assert "4,321.09" not in b_admin.get("/crm/").get_data(as_text=True)


def test_settings_are_saved_through_the_form_with_the_secrets_encrypted(app, world):
    from core.models.module import ModuleSetting
    from core import settings
    from tests.conftest import save
    admin = login(app.test_client(), world["admin"])
    url = "/admin/modules/crm/settings"
    form = {"app_id": "FSAID_new", "app_secret": "", "permanent_code": "new-permanent-code-0001",
            "operator_mobile": "1380000abcd", "account_id": F.ACCOUNT_ID, "order_id": "", "record_type": "default__c",
            "api_base": "https://open.71360.com"}
    page = save(admin, url, form, follow_redirects=True).get_data(as_text=True)
    assert "格式不正确：操作人手机号" in page
    with app.app_context():
        assert settings.values(world["group"], "crm")["app_id"] == F.APP_ID  # nothing saved half-way
    page = save(admin, url, {**form, "operator_mobile": "13800000002"}, follow_redirects=True).get_data(as_text=True)
    assert "已保存" in page and "new-permanent-code-0001" not in page and F.APP_SECRET not in page
    with app.app_context(), tenant(world["group"]):
        values = settings.values(world["group"], "crm")
        assert (values["app_id"], values["app_secret"], values["permanent_code"]) == (
            "FSAID_new", F.APP_SECRET, "new-permanent-code-0001")  # an empty secret keeps its value
        stored = db.session.scalar(db.select(ModuleSetting.value).where(ModuleSetting.module == "crm",
                                                                        ModuleSetting.key == "permanent_code"))
        assert "new-permanent-code-0001" not in stored
