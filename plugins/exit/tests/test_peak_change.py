"""A 峰值变更 after an exit (the adjustment module's round): the exited partner's stake left them, so they get no
补缴/退款 line, notice or change of their rows; the stake counts once in its tier as ``tier_totals`` counts it
(the part taken over in the new partner's row, the rest held by the platform company), so a full tier stays full
and the partners still holding get their own share of the new pot, no more."""
from decimal import Decimal

import sqlalchemy as sa

from core.extensions import db
from core.models import InboxMessage
from core.tenancy import tenant
from plugins.adjustment.events import AdditionalPaymentDue, InvestmentChanged
from plugins.exit.models import PlatformHolding
from plugins.exit.tests.test_takeover import resigns, takeover_world
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


def test_a_peak_change_after_an_exit_leaves_the_exited_partner_out(app, client):
    from plugins.adjustment.tests.helpers import act, lines, new_round, review, run_process, take_over
    from plugins.subscription import services as subscription
    world = takeover_world(app, ("zhoufeng",))
    fill_the_tier(app, world)
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    resigns(app, world, kj, hh)  # 史伟's 746,428.00 is the platform company's
    take_over(app, world, kj, hh, {"zhoufeng": "400,000.00"})  # 周峰 takes 400,000.00 of it
    with app.app_context(), tenant(world["group"]):
        assert subscription.tier_totals(world["project"])["realestate"] == Decimal("3310000.00")  # full, once
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
    page = kj.get(f"/adjustment/projects/{world['project']}/rounds/{round_id}").get_data(as_text=True)
    assert "史伟" not in page and "其中：置业集团 持有" in page

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
        assert db.session.scalar(sa.select(PlatformHolding.amount)) == Decimal("346428.00")
        held = subscription.tier_totals(world["project"])["realestate"]
    assert sorted(notified) == sorted(ids)
    assert held == Decimal("3164903.68") + Decimal("493827.16") + Decimal("346428.00")
    assert "补缴" not in login(app.test_client(), "shiwei").get("/adjustment/me").get_data(as_text=True)



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
