"""Mass actions ask first (data-confirm, one static script, no inline JavaScript), and the audit log
reads in words: record labels, action labels, values per field and Asia/Shanghai times."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.extensions import db
from core.tenancy import tenant
from plugins.subscription.models import Payment
from plugins.subscription.tests.test_flow import (add_partner, approve_process, rows, set_up_plan, subscribe, url,
                                                  world)  # noqa: F401  (world is a fixture)
from plugins.subscription.tests.test_work_waiting import review_id_of
from tests.conftest import login, post

TODAY = dt.date.today()
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def confirm_questions(html: str) -> list[str]:
    return re.findall(r'data-confirm="([^"]+)"', html)


def approved_project(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    set_up_plan(app, world, kj)
    approve_process(app, world, kj, hh, "capital_peak")
    add_partner(kj, world, "shiwei", "realestate")
    subscribe(app, world, "shiwei", "20,000")
    post(kj, url(world, "subscriptions/propose"))
    post(kj, url(world, "subscriptions/detail"))
    post(kj, url(world, "subscriptions/submit"))
    post(hh, f"/reviews/{review_id_of(hh)}/decide", {"decision": "pass"})
    approve_process(app, world, kj, hh, "coinvest_initiation")
    return kj, hh


def test_mass_actions_ask_for_confirmation_through_one_static_script(app, world):
    kj, hh = approved_project(app, world)
    admin = login(app.test_client(), world["admin"])
    pages = {
        "partners": (kj, url(world, "partners"), ["发送认购通知？"]),
        "payments": (kj, url(world, "payments"), ["向所有未缴清的合伙人发送所选通知？", "确认 史伟 的这笔缴款？"]),
        "processes": (hh, f"/processes/projects/{world['project']}", ["重置项目资金峰值？", "重置事业合伙立项？"]),
        "reviews": (hh, "/reviews/?state=passed", ["解锁后送审的数据可以再修改，确定？"]),
        "modules": (admin, "/admin/modules", ["停用模块“"]),
    }
    for name, (client, address, expected) in pages.items():
        html = client.get(address).get_data(as_text=True)
        questions = confirm_questions(html)
        for text in expected:
            assert any(text in q for q in questions), (name, text, questions)
        assert not INLINE_HANDLER.search(html), name
        assert '<script src="/static/confirm.js"></script>' in html, name
    script = kj.get("/static/confirm.js").get_data(as_text=True)
    assert "data-confirm" in script and "window.confirm" in script and "preventDefault" in script
    # A test message to oneself is not a mass action: only the real send asks.
    partners = kj.get(url(world, "partners")).get_data(as_text=True)
    test_button = re.search(r'<button[^>]*name="test" value="1"[^>]*>', partners).group(0)
    assert "data-confirm" not in test_button


def test_audit_log_shows_labels_and_shanghai_times(app, world):
    kj, _hh = approved_project(app, world)
    got = rows(app, world)
    post(kj, url(world, f"payments/{got['shiwei'].id}"), {"paid_on": TODAY.isoformat(), "amount": "1,000"})
    with app.app_context(), tenant(world["group"]):
        payment = db.session.scalar(sa.select(Payment))
        recorded = payment.recorded_at.replace(tzinfo=dt.UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    admin = login(app.test_client(), world["admin"])
    html = admin.get("/admin/audit-log?table=subscription_payment").get_data(as_text=True)
    assert "&lt;Payment" not in html and "<Payment" not in html
    assert f"#{payment.id}</small> 缴款" in html and "新建" in html and "金额：1000.00" in html
    assert "确认时间：" + recorded.strftime("%Y-%m-%d %H:%M:%S") in html  # the recorded time in Asia/Shanghai
    assert payment.recorded_at.isoformat() not in html
    bulk = admin.get("/admin/audit-log?table=subscription_subscription").get_data(as_text=True)
    assert f"#{got['shiwei'].id} 投资金额：" in bulk and "{&#39;" not in bulk and "{'" not in bulk
    ratios = admin.get("/admin/audit-log?table=subscription_tier_ratio").get_data(as_text=True)
    assert "&lt;TierRatio" not in ratios and re.search(r"</small> 合伙投资占比 #\d+</td>", ratios)
    processes = admin.get("/admin/audit-log?table=core_process").get_data(as_text=True)
    assert "审批通过" in processes and "状态：完成" in processes and "类型：项目资金峰值" in processes
