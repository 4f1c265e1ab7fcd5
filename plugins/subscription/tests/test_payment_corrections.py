"""Payments can be corrected: no date after today, 冲销 of a wrong entry with a reason (kept, audited,
out of the totals), the overpaid amount shown and refunded (退款), partners' names on the 缴款记录."""
import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.extensions import db
from core.models import AuditLog
from core.tenancy import tenant
from plugins.subscription.events import PaymentConfirmed, PaymentRefunded, PaymentReversed
from plugins.subscription.models import Payment
from plugins.subscription.tests.test_flow import (add_partner, approve_process, flashes, rows, set_up_plan,  # noqa: F401
                                                  subscribe, url, world)
from tests.conftest import STALE, login, post, two_saves
from tests.sample_plugins.event_recorder.hooks import EVENTS

TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def ready_for_payments(app, world):
    """史伟 invests 20,000.00 and 金涛 10,000.00, confirmed by 事业合伙立项; returns the accountant's client."""
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    set_up_plan(app, world, kj)
    approve_process(app, world, kj, hh, "capital_peak")
    for username, amount in (("shiwei", "20,000"), ("jintao", "10,000")):
        add_partner(kj, world, username, "realestate")
        subscribe(app, world, username, amount)
    for step in ("propose", "detail", "submit"):
        post(kj, url(world, f"subscriptions/{step}"))
    review_id = re.search(r"/reviews/(\d+)/decide", hh.get("/reviews/").get_data(as_text=True)).group(1)
    post(hh, f"/reviews/{review_id}/decide", {"decision": "pass", "comment": "同意"})
    approve_process(app, world, kj, hh, "coinvest_initiation")
    return kj


def pay(kj, world, sub_id, amount, on=TODAY):
    return post(kj, url(world, f"payments/{sub_id}"), {"paid_on": on.isoformat(), "amount": amount},
                follow_redirects=True).get_data(as_text=True)


def entries(app, world):
    with app.app_context(), tenant(world["group"]):
        return db.session.scalars(sa.select(Payment).order_by(Payment.id)).all()


def line_of(page: str, name: str) -> str:
    return re.sub(r"\s+", " ", re.search(rf"<tr><td>{name}</td>.*?</tr>", page, re.S).group(0))


def card(page: str, label: str) -> str:
    return re.search(rf"{label}</div><div[^>]*>([^<]*)<", page).group(1)


def test_a_payment_dated_after_today_is_refused(app, world):
    kj = ready_for_payments(app, world)
    shiwei = rows(app, world)["shiwei"].id
    page = pay(kj, world, shiwei, "1,000", on=TODAY + dt.timedelta(days=1))
    assert f"缴款日期不能晚于今天（{TODAY.isoformat()}）" in " ".join(flashes(page))
    assert entries(app, world) == []
    assert "已确认 史伟 缴款 1,000.00 元" in pay(kj, world, shiwei, "1,000", on=TODAY)
    assert f'max="{TODAY.isoformat()}"' in kj.get(url(world, "payments")).get_data(as_text=True)


def test_a_wrong_entry_is_reversed_with_a_reason_kept_and_out_of_the_totals(app, world):
    kj = ready_for_payments(app, world)
    shiwei = rows(app, world)["shiwei"].id
    pay(kj, world, shiwei, "10,000.01")
    pay(kj, world, shiwei, "9,999.99")
    page = kj.get(url(world, "payments")).get_data(as_text=True)
    assert "已缴清" in line_of(page, "史伟") and card(page, "已缴合计") == "20,000.00"
    wrong = entries(app, world)[1]
    reverse = url(world, f"payments/entries/{wrong.id}/reverse")
    page = post(kj, reverse, {"reason": " "}, follow_redirects=True).get_data(as_text=True)
    assert "请填写冲销原因" in page and entries(app, world)[1].reversed_at is None
    page = post(kj, reverse, {"reason": "重复录入"}, follow_redirects=True).get_data(as_text=True)
    assert "已冲销 缴款 9,999.99" in " ".join(flashes(page))
    # Kept on the list with its reason and who reversed it; out of every total; no longer paid in full.
    records = page[page.index("缴款记录"):]
    assert "史伟" in records and "<del>9,999.99</del>" in records and "重复录入" in records
    assert card(page, "已缴合计") == "10,000.01" and card(page, "未缴合计") == "19,999.99"
    assert "部分缴款" in line_of(page, "史伟") and "9,999.99" in line_of(page, "史伟")
    assert "2 位合伙人未缴清" in kj.get("/").get_data(as_text=True)  # the accountant's 待办 counts what stands
    assert "尚有 9,999.99 元未缴" in login(app.test_client(), "shiwei").get("/").get_data(as_text=True)
    assert [(e.amount, e.reversed_by, e.reversal_reason) for e in entries(app, world)] == [
        (Decimal("10000.01"), "", ""), (Decimal("9999.99"), world["kj"], "重复录入")]
    with app.app_context(), tenant(world["group"]):
        audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "reverse"))
    assert audit.actor == world["kj"] and audit.after == {"reversed": True, "reason": "重复录入"}
    assert "史伟" in audit.summary
    [reversed_event] = [e for e in EVENTS if isinstance(e, PaymentReversed)]
    assert (reversed_event.amount, reversed_event.paid_total) == ("9999.99", "10000.01")
    # Reversed once only; the next payment counts from what remains.
    assert "该记录已冲销" in post(kj, reverse, {"reason": "再来"}, follow_redirects=True).get_data(as_text=True)
    pay(kj, world, shiwei, "9,999.99")
    assert [e.paid_total for e in EVENTS if isinstance(e, PaymentConfirmed)] == ["10000.01", "20000.00", "20000.00"]
    assert "已缴清" in line_of(kj.get(url(world, "payments")).get_data(as_text=True), "史伟")
    # The partner sees the same.
    me = login(app.test_client(), "shiwei").get("/subscription/me").get_data(as_text=True)
    assert "已缴清" in me and "29,999.98" not in me


def test_the_overpaid_amount_is_shown_and_refunded(app, world):
    kj = ready_for_payments(app, world)
    jintao = rows(app, world)["jintao"].id
    pay(kj, world, jintao, "10,000.37")
    page = kj.get(url(world, "payments")).get_data(as_text=True)
    assert "多缴" in line_of(page, "金涛") and "0.37" in line_of(page, "金涛") and card(page, "多缴合计") == "0.37"
    refund = url(world, f"payments/{jintao}/refund")
    version = re.search(rf'action="{refund}".*?name="version" value="(\d+)"', page, re.S).group(1)
    stale = post(kj, refund, {"refunded_on": TODAY.isoformat(), "amount": "0.30", "version": version},
                 follow_redirects=True).get_data(as_text=True)
    assert "多缴金额已变为 0.37，请刷新后重试" in stale
    late = post(kj, refund, {"refunded_on": (TODAY + dt.timedelta(days=1)).isoformat(), "amount": "0.37",
                             "version": version}, follow_redirects=True).get_data(as_text=True)
    assert "退款日期不能晚于今天" in late and len(entries(app, world)) == 1
    page = post(kj, refund, {"refunded_on": TODAY.isoformat(), "amount": "0.37", "version": version},
                follow_redirects=True).get_data(as_text=True)
    assert "已向 金涛 退款 0.37 元" in " ".join(flashes(page))
    assert "已缴清" in line_of(page, "金涛") and card(page, "多缴合计") == "0.00" and card(page, "已缴合计") == "10,000.00"
    assert "退款" in page[page.index("缴款记录"):]
    refund_entry = entries(app, world)[-1]
    assert (refund_entry.kind, refund_entry.amount, refund_entry.recorded_by) == ("refund", Decimal("-0.37"), world["kj"])
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
            AuditLog.record_table == "subscription_payment", AuditLog.action == "create")) == 2
    [refunded] = [e for e in EVENTS if isinstance(e, PaymentRefunded)]
    assert (refunded.amount, refunded.paid_total) == ("0.37", "10000.00")
    again = post(kj, refund, {"refunded_on": TODAY.isoformat(), "amount": "0.37", "version": str(int(version) + 1)},
                 follow_redirects=True).get_data(as_text=True)
    assert "金涛 没有多缴金额" in again and len(entries(app, world)) == 2
    # A refund entered by mistake is reversed like any entry: the overpayment is back.
    post(kj, url(world, f"payments/entries/{refund_entry.id}/reverse"), {"reason": "未实际退款"})
    assert card(kj.get(url(world, "payments")).get_data(as_text=True), "多缴合计") == "0.37"


def test_two_accountants_refunding_at_once_refund_once(app, world):
    kj = ready_for_payments(app, world)
    jintao = rows(app, world)["jintao"].id
    pay(kj, world, jintao, "10,500")
    form = {"refunded_on": TODAY.isoformat(), "amount": "500.00"}
    page = two_saves(app, world["kj"], url(world, f"payments/{jintao}/refund"), form, form,
                     page=url(world, "payments"))
    assert STALE in page
    assert [e.amount for e in entries(app, world)] == [Decimal("10500.00"), Decimal("-500.00")]


def test_only_accountants_correct_and_only_their_projects(app, world):
    kj = ready_for_payments(app, world)
    pay(kj, world, rows(app, world)["shiwei"].id, "1,000")
    [entry] = entries(app, world)
    hh = login(app.test_client(), world["hh"])
    assert post(hh, url(world, f"payments/entries/{entry.id}/reverse"), {"reason": "x"}).status_code == 403
    assert post(kj, f"/subscription/projects/{world['project']}/payments/entries/{entry.id + 99}/reverse",
                {"reason": "x"}).status_code == 404
    assert entries(app, world)[0].reversed_at is None
