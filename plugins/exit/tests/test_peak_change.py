"""A 峰值变更 after an exit (the adjustment module's round): the exited partner's stake left them, so they get no
补缴/退款 line, notice or change of their rows; the stake counts once in its tier as ``tier_totals`` counts it
(the part taken over in the new partner's row, the rest held by the platform company), and the platform company's
part takes its share of the new pot as the partners' do (``holding_adjusted``), kept apart from what new partners
took: a full tier lands exactly on its new pot, raised or lowered, and the platform company's 补缴 or 退款 is
confirmed with its date (``holding_settled``)."""
from decimal import Decimal

import sqlalchemy as sa

from core import holders
from core.extensions import db
from core.models import InboxMessage
from core.tenancy import tenant
from plugins.adjustment.events import AdditionalPaymentDue, InvestmentChanged
from plugins.adjustment.models import HolderLine
from plugins.exit.models import HoldingChange, PlatformHolding
from plugins.exit.tests.test_takeover import resigns, subtotal, takeover_world
from plugins.subscription.models import Payment, Subscription
from tests.conftest import login
from tests.sample_plugins.event_recorder.hooks import EVENTS


def fill_the_tier(app, world) -> None:
    """金涛 invested 2,563,572.00: with 史伟's 746,428.00, 置业集团 holds its whole pot of 3,310,000.00."""
    with app.app_context(), tenant(world["group"]):
        amount = Decimal("2563572.00")
        row = db.session.get(Subscription, world["subscriptions"]["jintao"])
        row.subscribed_amount = row.max_amount = row.investment = amount
        row.financed, row.self_funded = Decimal("1025428.80"), Decimal("1538143.20")
        db.session.execute(sa.update(Payment).where(Payment.subscription_id == row.id).values(amount=amount))
        db.session.commit()


def after_a_takeover(app, client):
    """置业集团 full; 史伟 resigns (his 746,428.00 is the platform company's), 周峰 takes 400,000.00 of it."""
    from plugins.adjustment.tests.helpers import take_over
    from plugins.subscription import services as subscription
    world = takeover_world(app, ("zhoufeng",))
    fill_the_tier(app, world)
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    resigns(app, world, kj, hh)
    take_over(app, world, kj, hh, {"zhoufeng": "400,000.00"})
    with app.app_context(), tenant(world["group"]):
        assert subscription.tier_totals(world["project"])["realestate"] == Decimal("3310000.00")  # full, once
    return world, kj, hh


def change_the_peak(app, world, kj, hh, new_peak) -> int:
    """A 峰值变更 to ``new_peak`` through 资金峰值调整, 计算, 送审, 审核 and 立项信息变更."""
    from plugins.adjustment.tests.helpers import act, new_round, review, run_process
    round_id = new_round(app, world, kj, "peak", new_peak=new_peak, payment_deadline="2030-06-30")
    run_process(app, world, kj, hh, "peak_adjustment")
    act(kj, world, round_id, "compute")
    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    run_process(app, world, kj, hh, "initiation_change")
    return round_id


def platform_line(app, world, round_id) -> HolderLine:
    with app.app_context(), tenant(world["group"]):
        row = db.session.scalar(sa.select(HolderLine).where(HolderLine.round_id == round_id))
        db.session.expunge(row)
        return row


def settle_platform(kj, world, round_id, line, amount) -> str:
    from plugins.adjustment.tests.helpers import TODAY, act
    return act(kj, world, round_id, f"holders/{line.id}/settle",
               {"settled_on": TODAY.isoformat(), "amount": amount, "version": str(line.version)})


def test_a_raised_peak_after_an_exit_leaves_the_exited_partner_out_and_fills_the_tier_to_its_new_pot(app, client):
    from plugins.adjustment import services as adjustment
    from plugins.adjustment.tests.helpers import TODAY, act, flashes, lines, new_round, review, run_process
    from plugins.subscription import services as subscription
    world, kj, hh = after_a_takeover(app, client)
    with app.app_context(), tenant(world["group"]):
        shiwei = db.session.get(Subscription, world["subscriptions"]["shiwei"])
        shiwei_before = (shiwei.investment, shiwei.share, shiwei.financed, shiwei.version)

    EVENTS.clear()
    round_id = new_round(app, world, kj, "peak", new_peak="123,456,789.00", payment_deadline="2030-06-30")
    run_process(app, world, kj, hh, "peak_adjustment")
    act(kj, world, round_id, "compute")
    got = lines(app, world, round_id)
    assert set(got) == {"jintao", "zhoufeng", "liuqiao"}  # no line of 史伟
    new = {u: r.new_investment for u, r in got.items()}
    # 置业集团 was full: it takes its new pot 4,086,419.72, shared pro rata over what it holds, counted once:
    # 金涛 2,563,572.00, 周峰 400,000.00 and the platform company's 346,428.00 (its share 427,688.88).
    assert (new["jintao"], new["zhoufeng"]) == (Decimal("3164903.68"), Decimal("493827.16"))
    assert new["liuqiao"] == Decimal("356716.05")  # 城市公司 was not full: her share of the peak
    platform = platform_line(app, world, round_id)
    assert (platform.name, platform.tier, platform.old_investment, platform.new_investment) == (
        "置业集团", "realestate", Decimal("346428.00"), Decimal("427688.88"))
    page = kj.get(f"/adjustment/projects/{world['project']}/rounds/{round_id}").get_data(as_text=True)
    assert "史伟" not in page and "其中：置业集团 持有" in page and "+81,260.88" in page
    assert "4,086,419.72" in page  # the tier's new total, the platform company's part in it

    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    run_process(app, world, kj, hh, "initiation_change")
    ids = {world["users"][u] for u in ("jintao", "zhoufeng", "liuqiao")}
    assert {e.user_id for e in EVENTS if isinstance(e, InvestmentChanged)} == ids
    assert {e.user_id for e in EVENTS if isinstance(e, AdditionalPaymentDue)} == ids
    with app.app_context(), tenant(world["group"]):
        notified = db.session.scalars(sa.select(InboxMessage.recipient_id).where(
            InboxMessage.title.like("补缴通知%"))).all()
        shiwei = db.session.get(Subscription, world["subscriptions"]["shiwei"])
        assert (shiwei.investment, shiwei.share, shiwei.financed, shiwei.version) == shiwei_before  # history
        assert db.session.scalar(sa.select(PlatformHolding.amount)) == Decimal("427688.88")
        totals = subscription.tier_totals(world["project"])
        # the takeover and the peak change kept apart: 周峰 took 400,000.00, the peak change added 81,260.88
        assert subscription.passed_on(world["project"]) == {world["subscriptions"]["shiwei"]: Decimal("400000.00")}
        assert subscription.adjusted(world["project"]) == {world["subscriptions"]["shiwei"]: Decimal("81260.88")}
        assert adjustment.remaining(world["project"], Decimal("123456789.00"))["realestate"] == Decimal("0.00")
    assert sorted(notified) == sorted(ids)  # no notice for the platform company
    # exactly the new pot, to the cent: nothing left for a later 补投 round
    assert totals["realestate"] == Decimal("4086419.72") == Decimal("3164903.68") + Decimal("493827.16") + Decimal(
        "427688.88")
    assert totals["city"] == Decimal("356716.05")
    assert "补缴" not in login(app.test_client(), "shiwei").get("/adjustment/me").get_data(as_text=True)
    table = kj.get(f"/subscription/projects/{world['project']}/subscriptions").get_data(as_text=True)
    assert subtotal(table, "置业集团小计")[1] == "4,086,419.72"
    assert subtotal(table, "峰值变更调整：史伟 已过户的份额") == ["81,260.88", "81,260.88", "0.00"]

    # 变更缴款确认 of the platform company's 补缴: all of it at once, with its date
    platform = platform_line(app, world, round_id)
    assert "置业集团：置业集团 补缴须一次确认全部 81,260.88 元" in flashes(
        settle_platform(kj, world, round_id, platform, "80,000.00"))
    html = settle_platform(kj, world, round_id, platform, "81,260.88")
    assert "已确认 置业集团 补缴 81,260.88 元" in flashes(html), flashes(html)
    with app.app_context(), tenant(world["group"]):
        assert [(a.amount, a.settled_on) for a in holders.adjustments(world["project"])] == [
            (Decimal("81260.88"), TODAY)]
    platform = platform_line(app, world, round_id)
    assert (platform.settled_amount, platform.settled_on) == (Decimal("81260.88"), TODAY)
    again = settle_platform(kj, world, round_id, platform, "81,260.88")
    assert "置业集团：置业集团 没有需要确认的补缴或退款" in flashes(again)
    payments = kj.get(f"/adjustment/projects/{world['project']}/payments").get_data(as_text=True)
    assert "置业集团" in payments and "补缴 81,260.88 / 81,260.88" in payments


def test_a_lowered_peak_after_an_exit_brings_the_tier_down_to_its_new_pot_and_refunds_the_platform_company(
        app, client):
    from plugins.adjustment.tests.helpers import TODAY, flashes, lines
    from plugins.subscription import services as subscription
    world, kj, hh = after_a_takeover(app, client)
    round_id = change_the_peak(app, world, kj, hh, "87,654,321.00")
    new = {u: r.new_investment for u, r in lines(app, world, round_id).items()}
    # 置业集团's new pot 2,901,358.03 over 金涛, 周峰 and the platform company (346,428.00 → 303,659.11)
    assert new == {"jintao": Decimal("2247081.63"), "zhoufeng": Decimal("350617.29"), "liuqiao": Decimal("253268.40")}
    platform = platform_line(app, world, round_id)
    assert (platform.old_investment, platform.new_investment) == (Decimal("346428.00"), Decimal("303659.11"))
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(PlatformHolding.amount)) == Decimal("303659.11")
        totals = subscription.tier_totals(world["project"])
        assert subscription.passed_on(world["project"]) == {world["subscriptions"]["shiwei"]: Decimal("400000.00")}
        changes = db.session.execute(sa.select(HoldingChange.kind, HoldingChange.amount)
                                     .order_by(HoldingChange.id)).all()
    assert totals["realestate"] == Decimal("2901358.03")  # the new pot, not above it
    assert changes == [("taken", Decimal("-400000.00")), ("peak", Decimal("-42768.89"))]
    table = kj.get(f"/subscription/projects/{world['project']}/subscriptions").get_data(as_text=True)
    assert subtotal(table, "置业集团小计")[1] == "2,901,358.03"
    assert "text-danger" not in table.split("置业集团小计")[1].split("</tr>")[0]

    page = kj.get(f"/adjustment/projects/{world['project']}/rounds/{round_id}").get_data(as_text=True)
    assert "退款 0.00 / 42,768.89" in page
    html = settle_platform(kj, world, round_id, platform, "42,768.89")
    assert "已确认 置业集团 退款 42,768.89 元" in flashes(html), flashes(html)
    with app.app_context(), tenant(world["group"]):
        assert [(a.amount, a.settled_on) for a in holders.adjustments(world["project"])] == [
            (Decimal("-42768.89"), TODAY)]
        assert db.session.scalar(sa.select(PlatformHolding.amount)) == Decimal("303659.11")  # settling moves nothing


def test_a_partner_who_exits_while_the_round_is_prepared_is_left_out_when_it_is_computed_again(app, client):
    from plugins.adjustment.tests.helpers import act, lines, new_round, run_process
    world = takeover_world(app, ())
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    round_id = new_round(app, world, kj, "peak", new_peak="125,000,000.00")
    run_process(app, world, kj, hh, "peak_adjustment")
    act(kj, world, round_id, "compute")
    assert "shiwei" in lines(app, world, round_id)
    resigns(app, world, kj, hh)
    act(kj, world, round_id, "compute")  # his line is gone; the others keep their share of the peak
    got = {u: r.new_investment for u, r in lines(app, world, round_id).items()}
    assert got == {"jintao": Decimal("361175.00"), "liuqiao": Decimal("361175.00")}


def test_an_exit_after_the_review_refuses_the_approval_and_nothing_is_saved(app, client):
    from plugins.adjustment.tests.helpers import act, flashes, investments, new_round, plan, review, run_process
    world = takeover_world(app, ())
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    before = investments(app, world)
    round_id = new_round(app, world, kj, "peak", new_peak="125,000,000.00")
    run_process(app, world, kj, hh, "peak_adjustment")
    act(kj, world, round_id, "compute")
    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    resigns(app, world, kj, hh)
    process_id = run_process(app, world, kj, hh, "initiation_change")
    page = hh.get(f"/processes/{process_id}").get_data(as_text=True)
    assert "史伟 已退出本项目，峰值变更 #1不能生效，请撤销后重新发起" in page, flashes(page)
    assert investments(app, world) == before and plan(app, world).capital_peak == Decimal("100000000.00")


def _exit_module(app, world, on: bool) -> None:
    from core.modules import disable, enable
    with app.app_context():
        enable(world["group"], "exit", actor="test") if on else disable(world["group"], "exit")
        db.session.commit()


def test_with_the_exit_module_disabled_the_platform_companys_change_is_refused_not_skipped(app, client):
    """The platform company's line was computed while exit was enabled: approving the change, or confirming
    its 退款, with exit disabled would leave its holding as it was while the tier's pot moved. Both are refused
    with a message and nothing is saved; with exit enabled again both go through."""
    from plugins.adjustment.tests.helpers import act, flashes, investments, new_round, plan, review, run_process
    world, kj, hh = after_a_takeover(app, client)
    before = investments(app, world)
    round_id = new_round(app, world, kj, "peak", new_peak="87,654,321.00", payment_deadline="2030-06-30")
    run_process(app, world, kj, hh, "peak_adjustment")
    act(kj, world, round_id, "compute")
    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    _exit_module(app, world, on=False)
    process_id = run_process(app, world, kj, hh, "initiation_change")
    page = hh.get(f"/processes/{process_id}").get_data(as_text=True)
    assert "置业集团的持有份额由已停用的模块管理，请先启用该模块（如退出模块）后再审批" in page, flashes(page)
    assert investments(app, world) == before and plan(app, world).capital_peak == Decimal("100000000.00")
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(PlatformHolding.amount)) == Decimal("346428.00")

    _exit_module(app, world, on=True)
    run_process(app, world, kj, hh, "initiation_change")
    assert plan(app, world).capital_peak == Decimal("87654321.00")
    platform = platform_line(app, world, round_id)
    _exit_module(app, world, on=False)
    html = settle_platform(kj, world, round_id, platform, "42,768.89")
    assert flashes(html) == ["置业集团：其持有份额由已停用的模块管理，请先启用该模块（如退出模块）后再确认"]
    assert platform_line(app, world, round_id).settled_on is None
    _exit_module(app, world, on=True)
    html = settle_platform(kj, world, round_id, platform_line(app, world, round_id), "42,768.89")
    assert "已确认 置业集团 退款 42,768.89 元" in flashes(html), flashes(html)
