"""峰值变更 through its processes: 资金峰值调整 → 峰值调整投资计算 → 送审 → 审核 → 立项信息变更 → 补缴/退款
notices → 变更缴款确认, with awkward numbers; the history of the peak and of each partner's investment."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import AuditLog, InboxMessage
from core.tenancy import tenant
from plugins.adjustment.events import AdditionalPaymentDue, InvestmentChanged, RefundDue
from plugins.adjustment.models import Round
from plugins.adjustment.tests.helpers import (TODAY, act, base, flashes, investments, lines, make_world, new_round, plan,
                                              review, run_process, staff, the_round)
from plugins.subscription.models import Payment, Shareholder
from tests.conftest import form_version
from tests.sample_plugins.event_recorder.hooks import EVENTS

# A full plan at a peak of 1,000,000.00: 置业集团 pot 33,100.00, 城市公司 pot 6,000.00, everyone paid in full.
PARTNERS = [("shiwei", "realestate", "14711.11", "14711.11"), ("jintao", "realestate", "11033.33", "11033.33"),
            ("wanglei", "realestate", "7355.56", "7355.56"), ("liuqiao", "city", "6000.00", "6000.00")]


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world(partners=PARTNERS)


def peak_round(app, world, kj, hh, new_peak, shareholders=None):
    round_id = new_round(app, world, kj, "peak", new_peak=new_peak, payment_deadline="2030-06-30", note="土地款追加")
    if shareholders:
        data = {"rows": str(len(shareholders)), "version": form_version(kj, f"{base(world)}/rounds/{round_id}")}
        for i, (name, ours, stake) in enumerate(shareholders):
            data.update({f"name-{i}": name, f"ours-{i}": "1" if ours else "0", f"stake-{i}": stake})
        page = act(kj, world, round_id, "shareholders", data)
        assert "已保存新股东信息" in page, flashes(page)
    page = act(kj, world, round_id, "compute")
    assert "须先完成：资金峰值调整" in page  # the new peak must be approved first
    peak_process = run_process(app, world, kj, hh, "peak_adjustment")
    assert plan(app, world).capital_peak == Decimal("1000000.00")  # nothing counts yet
    if shareholders:  # the draft is part of the approved process and no longer changes
        page = act(kj, world, round_id, "shareholders", {"rows": "1", "name-0": "x", "stake-0": "100",
                                                          "version": str(the_round(app, world, round_id).version)})
        assert "资金峰值调整已发起，股东信息不能再修改" in page
    act(kj, world, round_id, "compute")
    return round_id, peak_process


def test_a_raised_peak_asks_each_partner_for_more_and_the_payments_are_confirmed(app, world):
    kj, hh = staff(app, world)
    EVENTS.clear()
    with app.app_context(), tenant(world["group"]):
        db.session.add_all([Shareholder(project_id=world["project"], name="锦艺置业", ours=True, stake=Decimal("51")),
                            Shareholder(project_id=world["project"], name="合作方甲", ours=False, stake=Decimal("49"))])
        db.session.commit()
    round_id, peak_process = peak_round(app, world, kj, hh, "1,234,567.89",
                                        [("锦艺置业", True, "60"), ("合作方甲", False, "40")])
    page = kj.get(f"{base(world)}/rounds/{round_id}").get_data(as_text=True)
    for text in ("1,000,000.00", "1,234,567.89", "40,864.20", "7,407.41", "+7,764.20", "+1,407.41"):
        assert text in page, text
    got = lines(app, world, round_id)
    new = {u: got[u].new_investment for u in got}
    # 置业集团's new pot 40,864.20 shared pro rata to the old investments, largest remainder to the cent.
    assert new == {"shiwei": Decimal("18161.86"), "jintao": Decimal("13621.40"), "wanglei": Decimal("9080.94"),
                   "liuqiao": Decimal("7407.41")}
    assert sum(new[u] for u in ("shiwei", "jintao", "wanglei")) == Decimal("40864.20")
    # The change of every partner adds up to the change of the tier pots.
    assert sum(r.difference for r in got.values()) == (Decimal("40864.20") - Decimal("33100.00")) + (
        Decimal("7407.41") - Decimal("6000.00"))
    assert investments(app, world)["shiwei"] == Decimal("14711.11")  # not before the review and the process
    act(kj, world, round_id, "submit")
    assert "已送审或已完成" in act(kj, world, round_id, "compute")
    review(app, world, hh, round_id)
    process_id = run_process(app, world, kj, hh, "initiation_change")
    assert plan(app, world).capital_peak == Decimal("1234567.89")
    with app.app_context(), tenant(world["group"]):
        stakes = dict(db.session.execute(sa.select(Shareholder.name, Shareholder.stake)).all())
    assert stakes == {"锦艺置业": Decimal("60.000"), "合作方甲": Decimal("40.000")}
    assert investments(app, world) == new
    changed = [e for e in EVENTS if isinstance(e, InvestmentChanged)]
    assert sorted((e.old, e.new) for e in changed) == sorted(
        (f"{o.old_investment:.2f}", f"{o.new_investment:.2f}") for o in got.values())
    assert {e.process_id for e in changed} == {process_id}
    assert sorted(e.amount for e in EVENTS if isinstance(e, AdditionalPaymentDue)) == [
        "1407.41", "1725.38", "2588.07", "3450.75"]
    with app.app_context(), tenant(world["group"]):
        bodies = dict(db.session.execute(sa.select(InboxMessage.recipient_id, InboxMessage.body)
                                         .where(InboxMessage.title.like("补缴通知%"))).all())
    assert len(bodies) == 4 and "补缴 3,450.75 元" in bodies[world["users"]["shiwei"]]
    assert "2030-06-30" in bodies[world["users"]["shiwei"]]
    # History: the 事业合伙立项 and this round, each with the process that approved it.
    page = kj.get(base(world)).get_data(as_text=True)
    assert "事业合伙立项" in page and f"#{process_id}" in page and "峰值变更 #1" in page
    assert the_round(app, world, round_id).process_id == process_id
    assert the_round(app, world, round_id).peak_process_id == peak_process
    result = app.test_cli_runner().invoke(args=["gentou", "adjustment", "versions", "--company", "AAA", "AAA-P1"])
    assert result.exit_code == 0, result.output
    assert "事业合伙立项\tpeak 1000000.00" in result.output
    assert f"峰值变更 #1\tpeak 1234567.89\tprocess #{process_id} by {world['hh']}" in result.output
    assert "  shiwei\t14711.11 -> 18161.86" in result.output
    result = app.test_cli_runner().invoke(args=["gentou", "adjustment", "versions", "--company", "AAA", "NOPE"])
    assert result.exit_code != 0 and "no project NOPE in AAA" in result.output
    # 变更缴款确认: more than owed is refused; two parts are confirmed with their dates and amounts.
    url = f"{base(world)}/rounds/{round_id}/lines/{got['shiwei'].id}/settle"
    page = act(kj, world, round_id, f"lines/{got['shiwei'].id}/settle",
               {"settled_on": TODAY.isoformat(), "amount": "3,450.76", "version": str(got["shiwei"].version)})
    assert "尚需补缴 3,450.75 元" in page, flashes(page)
    for amount in ("3,000.00", "450.75"):  # on 缴款/变更缴款确认
        version = lines(app, world, round_id)["shiwei"].version
        page = act(kj, world, round_id, f"lines/{got['shiwei'].id}/settle",
                   {"settled_on": TODAY.isoformat(), "amount": amount, "version": str(version), "back": "payments"})
        assert "已确认 SHIWEI 补缴" in page and "变更缴款确认" in page, flashes(page)
    page = kj.get(f"{base(world)}/payments").get_data(as_text=True)
    assert "补缴 3,450.75 / 3,450.75" in page and "补缴 0.00 / 2,588.07" in page
    assert url
    with app.app_context(), tenant(world["group"]):
        paid = db.session.scalar(sa.select(sa.func.sum(Payment.amount)).where(
            Payment.subscription_id == got["shiwei"].subscription_id))
    assert paid == Decimal("18161.86")
    assert lines(app, world, round_id)["shiwei"].settled_amount == Decimal("3450.75")


def test_a_lowered_peak_refunds_what_was_paid_beyond_the_new_investment(app, world):
    kj, hh = staff(app, world)
    EVENTS.clear()
    with app.app_context(), tenant(world["group"]):  # wanglei has paid only part of his investment
        db.session.execute(sa.update(Payment).where(Payment.amount == Decimal("7355.56")).values(amount=Decimal("5000")))
        db.session.commit()
    round_id, _ = peak_round(app, world, kj, hh, "876,543.21")
    got = lines(app, world, round_id)
    new = {u: r.new_investment for u, r in got.items()}
    # 置业集团: 29,013.58 (876,543.21 × 3.310 %), 城市公司: 5,259.26.
    assert sum(new[u] for u in ("shiwei", "jintao", "wanglei")) == Decimal("29013.58")
    assert new["liuqiao"] == Decimal("5259.26")
    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    run_process(app, world, kj, hh, "initiation_change")
    refunds = {e.user_id: Decimal(e.amount) for e in EVENTS if isinstance(e, RefundDue)}
    # A refund never exceeds what the partner paid beyond the new investment: wanglei paid 5,000.00 < new.
    assert refunds[world["users"]["wanglei"]] == Decimal("0.00")
    assert refunds[world["users"]["shiwei"]] == -got["shiwei"].difference
    with app.app_context(), tenant(world["group"]):
        titles = db.session.scalars(sa.select(InboxMessage.title)).all()
    assert titles.count(f"退款通知：{world['project'] and 'AAA项目'}") == 4
    page = act(kj, world, round_id, f"lines/{got['shiwei'].id}/settle",
               {"settled_on": TODAY.isoformat(), "amount": "1.00", "version": str(got["shiwei"].version)})
    assert f"应退款 {-got['shiwei'].difference:,} 元" in page
    page = act(kj, world, round_id, f"lines/{got['shiwei'].id}/settle",
               {"settled_on": TODAY.isoformat(), "amount": f"{-got['shiwei'].difference}",
                "version": str(lines(app, world, round_id)["shiwei"].version)})
    assert "已确认 SHIWEI 退款" in page, flashes(page)
    with app.app_context(), tenant(world["group"]):
        paid = db.session.scalar(sa.select(sa.func.sum(Payment.amount)).where(
            Payment.subscription_id == got["shiwei"].subscription_id))
        audited = db.session.scalars(sa.select(AuditLog.summary).where(AuditLog.record_table == "adjustment_line")).all()
    assert paid == new["shiwei"]
    assert any("SHIWEI" in s for s in audited)
    # wanglei has nothing to get back; no second refund of shiwei.
    assert "没有需要确认的补缴或退款" in act(kj, world, round_id, f"lines/{got['wanglei'].id}/settle", {
        "settled_on": TODAY.isoformat(), "amount": "1.00", "version": str(got["wanglei"].version)})


def test_one_round_at_a_time_and_only_after_the_initiation(app, world):
    kj, hh = staff(app, world)
    new_round(app, world, kj, "peak", new_peak="1,100,000")
    page = post_page(kj, world, {"kind": "supplementary", "deadline": TODAY.isoformat()})
    assert "峰值变更 #1尚未完成，不能再发起新的调整" in page
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 1


def test_bad_input_saves_nothing(app, world):
    kj, _ = staff(app, world)
    round_id = new_round(app, world, kj, "peak", new_peak="1,100,000")
    shareholders = {"rows": "2", "name-0": "甲", "ours-0": "1", "stake-0": "51", "name-1": "乙", "ours-1": "0",
                    "stake-1": "40", "version": form_version(kj, f"{base(world)}/rounds/{round_id}")}
    assert "持股比例合计须为 100%，现为 91.000%" in act(kj, world, round_id, "shareholders", shareholders)
    assert "请填写股东名称" in act(kj, world, round_id, "shareholders", {**shareholders, "name-1": ""})
    assert the_round(app, world, round_id).shareholders is None
    assert "已撤销" in act(kj, world, round_id, "cancel")
    assert "请填写新资金峰值" in post_page(kj, world, {"kind": "peak", "new_peak": ""})
    assert "不是有效的数字" in post_page(kj, world, {"kind": "peak", "new_peak": "一百万"})
    assert "最多 2 位小数" in post_page(kj, world, {"kind": "peak", "new_peak": "1000000.001"})
    assert "新资金峰值与现资金峰值相同" in post_page(kj, world, {"kind": "peak", "new_peak": "1,000,000"})
    assert "请填写认购截至日期" in post_page(kj, world, {"kind": "supplementary"})
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 1  # the cancelled one


def post_page(kj, world, data) -> str:
    from tests.conftest import post
    return post(kj, f"{base(world)}/rounds", data, follow_redirects=True).get_data(as_text=True)
