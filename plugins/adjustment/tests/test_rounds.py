"""补投认购 (事业合伙补充立项), repeatable, and 新增合伙 with new money or taking over a holding another
plugin offers."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import InboxMessage
from core.tenancy import tenant
from plugins.adjustment.events import InvestmentChanged
from plugins.adjustment.tests.helpers import (TODAY, act, base, flashes, investments, lines, make_world, new_round,
                                              review, run_process, staff)
from plugins.adjustment.tests.stake_holder.hooks import FAULT, HOLDINGS, TAKEN
from plugins.subscription.events import SubscriptionConfirmed
from plugins.subscription.models import Payment, Subscription
from tests.conftest import login, post
from tests.sample_plugins.event_recorder.hooks import EVENTS

# 置业集团's pot is 33,100.00 of which 20,000.00 is invested: 13,100.00 remain; 城市公司 is full.
PARTNERS = [("shiwei", "realestate", "12000.00", "12000.00"), ("jintao", "realestate", "8000.00", "8000.00"),
            ("liuqiao", "city", "6000.00", "6000.00")]


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world(partners=PARTNERS, others=("wanglei", "zhoufeng", "xuli"))


def subscribe(app, world, username, round_id, amount) -> str:
    token = lines(app, world, round_id)[username].token
    client = login(app.test_client(), username)
    version = lines(app, world, round_id)[username].version
    return post(client, f"/adjustment/me/{token}", {"amount": amount, "version": str(version)},
                follow_redirects=True).get_data(as_text=True)


def partner(kj, world, round_id, username, low="1,000", high="10,000", tier="realestate", amount=None) -> str:
    data = {"username": username, "tier": tier}
    data.update({"amount": amount} if amount else {"min_amount": low, "max_amount": high})
    return act(kj, world, round_id, "partners", data)


def supplementary_round(app, world, kj, hh, subscriptions: dict[str, str]) -> int:
    round_id = new_round(app, world, kj, "supplementary", deadline=TODAY.isoformat(), payment_deadline="2030-03-31")
    for username in subscriptions:
        assert "已添加" in partner(kj, world, round_id, username)
    assert "已向 %d 位合伙人发送补投认购通知" % len(subscriptions) in act(kj, world, round_id, "notify")
    # 待办: the partner is asked to subscribe, the accountant to compute and submit.
    home = login(app.test_client(), next(iter(subscriptions))).get("/").get_data(as_text=True)
    assert "请于 %s 前提交认购" % TODAY.isoformat() in home and f"/adjustment/me" in home
    assert "待计算并送审" in kj.get("/").get_data(as_text=True)
    for username, amount in subscriptions.items():
        assert "已提交认购" in subscribe(app, world, username, round_id, amount)
    act(kj, world, round_id, "compute")
    act(kj, world, round_id, "submit")
    assert "补投方案已送审，不能再修改认购" in subscribe(app, world, next(iter(subscriptions)), round_id, "1,000")
    review(app, world, hh, round_id)
    run_process(app, world, kj, hh, "supplementary_initiation")
    return round_id


def test_two_supplementary_rounds_within_the_remaining_pot(app, world):
    kj, hh = staff(app, world)
    EVENTS.clear()
    first = supplementary_round(app, world, kj, hh, {"shiwei": "5,000.00", "wanglei": "3,333.33"})
    got = investments(app, world)
    assert got["shiwei"] == Decimal("17000.00") and got["wanglei"] == Decimal("3333.33")  # within the pot: as subscribed
    # Only the partners whose investment changed get a confirmation (and so a supplementary agreement).
    confirmed = {e.user_id: e.investment for e in EVENTS if isinstance(e, SubscriptionConfirmed)}
    assert confirmed == {world["users"]["shiwei"]: "17000.00", world["users"]["wanglei"]: "3333.33"}
    # A second round: 4,766.67 remain, 5,000.01 subscribed, shared pro rata to the cent.
    second = supplementary_round(app, world, kj, hh, {"jintao": "3,000.00", "wanglei": "2,000.01"})
    got = investments(app, world)
    assert got["jintao"] == Decimal("10860.00") and got["wanglei"] == Decimal("5240.00")
    assert sum(v for k, v in got.items() if k != "liuqiao") == Decimal("33100.00")
    assert len([e for e in EVENTS if isinstance(e, InvestmentChanged)]) == 4
    second_lines = lines(app, world, second)
    assert second_lines["wanglei"].old_investment == Decimal("3333.33")
    with app.app_context(), tenant(world["group"]):
        notified = db.session.scalars(sa.select(InboxMessage.recipient_id).where(
            InboxMessage.title.like("补缴通知%"))).all()
    assert sorted(notified) == sorted(world["users"][u] for u in ("shiwei", "wanglei", "jintao", "wanglei"))
    # A third round has nothing left to share.
    third = new_round(app, world, kj, "supplementary", deadline=TODAY.isoformat())
    page = kj.get(f"{base(world)}/rounds/{third}").get_data(as_text=True)
    assert "补投认购 #3" in page
    assert "补投认购 #1" in kj.get(base(world)).get_data(as_text=True) and first


def test_supplementary_subscription_refusals(app, world):
    kj, _ = staff(app, world)
    round_id = new_round(app, world, kj, "supplementary", deadline=TODAY.isoformat())
    assert "已添加" in partner(kj, world, round_id, "shiwei")
    assert "LIUQIAO 在合伙名单中的层级为城市公司" in partner(kj, world, round_id, "liuqiao", tier="realestate")
    assert "已在本轮名单中" in partner(kj, world, round_id, "shiwei")
    assert "认购上限不能小于认购下限" in partner(kj, world, round_id, "wanglei", low="5,000", high="1,000")
    assert "没有账号为 nobody 的合伙人" in partner(kj, world, round_id, "nobody")
    assert "认购金额须在 1,000.00 至 10,000.00 之间" in subscribe(app, world, "shiwei", round_id, "10,000.01")
    assert "不是有效的数字" in subscribe(app, world, "shiwei", round_id, "一万")
    assert lines(app, world, round_id)["shiwei"].subscribed_amount is None
    assert "请先计算调整明细" in act(kj, world, round_id, "submit")


def test_new_partners_take_over_a_holding_offered_by_another_plugin(app, world):
    kj, hh = staff(app, world)
    HOLDINGS[world["project"]] = Decimal("5000.00")
    TAKEN.clear()
    assert "平台公司持有份额（5,000.00）" in kj.get(base(world)).get_data(as_text=True)
    round_id = new_round(app, world, kj, "new_partners", source="stake_holder:platform", payment_deadline="2030-05-31")
    assert "不是新合伙人" in partner(kj, world, round_id, "shiwei", amount="1,000")
    partner(kj, world, round_id, "zhoufeng", amount="3,000.00")
    partner(kj, world, round_id, "xuli", amount="2,000.01")
    page = act(kj, world, round_id, "compute")
    assert "新合伙人合计 5,000.01 超过平台公司持有份额可承接份额 5,000.00" in page, flashes(page)
    # The accountant takes xuli off the list and adds him again without the cent.
    page = act(kj, world, round_id, f"lines/{lines(app, world, round_id)['xuli'].id}/delete")
    assert "已移除 XULI" in page, flashes(page)
    partner(kj, world, round_id, "xuli", amount="2,000.00")
    act(kj, world, round_id, "compute")
    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    # Meanwhile the holding shrank: the approval is refused and nothing of it is saved.
    HOLDINGS[world["project"]] = Decimal("4999.99")
    process_id = run_process(app, world, kj, hh, "new_partners_initiation")
    page = hh.get(f"/processes/{process_id}").get_data(as_text=True)
    assert "平台公司持有份额可承接份额已不足" in page, flashes(page)
    assert "zhoufeng" not in investments(app, world) and TAKEN == []
    HOLDINGS[world["project"]] = Decimal("5000.00")
    post(hh, f"/processes/{process_id}/decide", {"decision": "approve", "comment": "同意"})
    got = investments(app, world)
    assert got["zhoufeng"] == Decimal("3000.00") and got["xuli"] == Decimal("2000.00")
    assert TAKEN == [(world["project"], "stake_holder:platform",
                      {world["users"]["zhoufeng"]: Decimal("3000.00"), world["users"]["xuli"]: Decimal("2000.00")})]
    assert HOLDINGS[world["project"]] == Decimal("0.00")
    with app.app_context(), tenant(world["group"]):
        notified = db.session.scalars(sa.select(InboxMessage.recipient_id).where(
            InboxMessage.title.like("缴款通知%"))).all()
        financed = db.session.scalar(sa.select(Subscription.financed).where(
            Subscription.user_id == world["users"]["zhoufeng"]))
    assert sorted(notified) == sorted([world["users"]["zhoufeng"], world["users"]["xuli"]])  # to them only
    assert financed == Decimal("1200.00")
    line = lines(app, world, round_id)["zhoufeng"]
    page = act(kj, world, round_id, f"lines/{line.id}/settle", {"settled_on": TODAY.isoformat(), "amount": "3,000",
                                                                   "version": str(line.version)})
    assert "已确认 ZHOUFENG 补缴 3,000.00 元" in page, flashes(page)
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.sum(Payment.amount)).where(
            Payment.subscription_id == line.subscription_id)) == Decimal("3000.00")
    HOLDINGS.clear()


def test_the_offering_plugin_s_refusal_is_shown_and_its_fault_is_not(app, world):
    """A Refusal from stake_taken is the user's message; any other exception is a fault: never shown, and in
    both cases nothing of the approval is saved."""
    from core.declarations import Refusal
    kj, hh = staff(app, world)
    HOLDINGS[world["project"]] = Decimal("5000.00")
    TAKEN.clear()
    round_id = new_round(app, world, kj, "new_partners", source="stake_holder:platform", payment_deadline="2030-05-31")
    partner(kj, world, round_id, "zhoufeng", amount="3,000.00")
    act(kj, world, round_id, "compute")
    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    FAULT[:] = [Refusal("平台公司今日不办理承接")]
    try:
        process_id = run_process(app, world, kj, hh, "new_partners_initiation")
        page = hh.get(f"/processes/{process_id}").get_data(as_text=True)
        assert "平台公司今日不办理承接" in page, flashes(page)
        assert "zhoufeng" not in investments(app, world)
        FAULT[:] = [ValueError("postgresql://gentou:s3cret@db/prod")]
        with pytest.raises(ValueError):  # a fault propagates (a 500 in production), it is not a message
            post(hh, f"/processes/{process_id}/decide", {"decision": "approve", "comment": "同意"})
        assert "s3cret" not in hh.get(f"/processes/{process_id}").get_data(as_text=True)
        assert "zhoufeng" not in investments(app, world) and TAKEN == []
    finally:
        FAULT.clear()
        HOLDINGS.clear()


def test_taking_over_a_holding_is_refused_above_the_pot_of_the_tier_it_goes_to(app, world):
    kj, hh = staff(app, world)
    HOLDINGS[world["project"]] = Decimal("20000.00")
    TAKEN.clear()
    round_id = new_round(app, world, kj, "new_partners", source="stake_holder:platform", payment_deadline="2030-05-31")
    partner(kj, world, round_id, "zhoufeng", amount="0.01", tier="city")  # 城市公司 holds its whole pot
    page = act(kj, world, round_id, "compute")
    assert "承接后城市公司合计 6,000.01 将超过该层级额度 6,000.00" in page, flashes(page)
    assert lines(app, world, round_id)["zhoufeng"].new_investment is None
    assert "请先计算调整明细" in act(kj, world, round_id, "submit")  # nothing was computed
    act(kj, world, round_id, f"lines/{lines(app, world, round_id)['zhoufeng'].id}/delete")
    partner(kj, world, round_id, "zhoufeng", amount="13,100.01")  # 置业集团: 20,000.00 of 33,100.00
    page = act(kj, world, round_id, "compute")
    assert "承接后置业集团合计 33,100.01 将超过该层级额度 33,100.00" in page, flashes(page)
    act(kj, world, round_id, f"lines/{lines(app, world, round_id)['zhoufeng'].id}/delete")
    partner(kj, world, round_id, "zhoufeng", amount="13,100.00")
    act(kj, world, round_id, "compute")
    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    run_process(app, world, kj, hh, "new_partners_initiation")
    assert investments(app, world)["zhoufeng"] == Decimal("13100.00")
    assert HOLDINGS[world["project"]] == Decimal("6900.00")
    HOLDINGS.clear()


def test_new_partners_with_new_money_only_within_the_remaining_pot(app, world):
    kj, hh = staff(app, world)
    round_id = new_round(app, world, kj, "new_partners")
    partner(kj, world, round_id, "zhoufeng", amount="13,100.01")
    assert "置业集团新合伙人合计 13,100.01 超过该层级剩余额度 13,100.00" in act(kj, world, round_id, "compute")
    round_page = kj.get(f"{base(world)}/rounds/{round_id}").get_data(as_text=True)
    assert "新增资金" in round_page
    # 撤销: the round never counted; another may start.
    assert "已撤销新增合伙 #1" in act(kj, world, round_id, "cancel")
    assert "已撤销" in kj.get(base(world)).get_data(as_text=True)
    assert "已送审或已完成" in act(kj, world, round_id, "partners", {"username": "xuli", "tier": "realestate",
                                                                  "amount": "1"})
    assert new_round(app, world, kj, "supplementary", deadline=TODAY.isoformat())
    assert investments(app, world).get("zhoufeng") is None


def test_a_round_whose_process_runs_cannot_be_cancelled(app, world):
    kj, _ = staff(app, world)
    round_id = new_round(app, world, kj, "peak", new_peak="1,100,000")
    post(kj, f"/processes/projects/{world['project']}/start/peak_adjustment", {"description": "请审批"},
         content_type="multipart/form-data")
    assert "峰值变更 #1的审批流程已发起或已完成，不能撤销" in act(kj, world, round_id, "cancel")
