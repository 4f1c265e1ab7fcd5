"""The platform company's stake taken over by two new partners through the 新增合伙 round of the adjustment
module (its stake_sources / stake_taken hooks): the holding goes down by exactly what they take."""
import re
from decimal import Decimal

import sqlalchemy as sa

from core import roles
from core.extensions import db
from core.tenancy import tenant
from plugins.exit.models import PlatformHolding
from plugins.exit.tests.helpers import calculate, decide, exit_world, page, start
from tests.conftest import login, post
from tests.factories import make_user


def takeover_world(app, new_partners=("zhoufeng", "xuli")) -> dict:
    """exit_world with the adjustment module on and the new partners' accounts."""
    with app.app_context():
        world = exit_world()
        from core.modules import enable
        with tenant(world["group"]):
            enable(world["group"], "adjustment", actor="test")
            for username in new_partners:
                world["users"][username] = make_user(username, [roles.PARTNER], name=username.upper()).id
            db.session.commit()
    return world


def resigns(app, world, kj, hh, username="shiwei") -> None:
    """The partner resigns: 测算, 发起, approved, 合伙投资过户给平台公司 (史伟: 746,428.00)."""
    start(kj, world, calculate(kj, world, username, "resign", "2025-02-28")[0])
    decide(app, world, hh)
    with app.app_context(), tenant(world["group"]):
        from plugins.exit.models import PartnerExit
        exit_id, version = db.session.execute(sa.select(PartnerExit.id, PartnerExit.version).where(
            PartnerExit.user_id == world["users"][username])).one()
    post(kj, f"{page(world)}/exits/{exit_id}/transfer", {"version": str(version)})


def test_two_new_partners_take_over_part_of_the_platform_company_holding(app, client):
    from plugins.adjustment.tests.helpers import investments, take_over
    world = takeover_world(app)
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    resigns(app, world, kj, hh)
    assert "置业集团持有份额（平台公司承接）" in kj.get(f"/adjustment/projects/{world['project']}").get_data(as_text=True)

    take_over(app, world, kj, hh, {"zhoufeng": "400,000.00", "xuli": "300,000.01"})
    got = investments(app, world)
    assert (got["zhoufeng"], got["xuli"]) == (Decimal("400000.00"), Decimal("300000.01"))
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(PlatformHolding.amount)) == Decimal("46427.99")  # 746,428.00 − 700,000.01
    subscriptions = kj.get(f"/subscription/projects/{world['project']}/subscriptions").get_data(as_text=True)
    assert "其中：置业集团 持有" in subscriptions and "46,427.99" in subscriptions


# Who holds an exited stake now, counted once: the exited partner's stake counts in its tier while the platform
# company holds it, and in the new partners' rows once a 新增合伙 round took it over (``stakes_passed_on``). The
# 认购明细 tier sums and the room a later 补投 round shares follow; the exited partner's own rows stay.
# exit_world: peak 100,000,000.00; 置业集团 3.310 % (pot 3,310,000.00): 史伟 746,428.00 and 金涛 288,940.00;
# 城市公司 0.600 % (pot 600,000.00): 刘乔 288,940.00. Financing 40 %.


def subtotal(html: str, label: str) -> list[str]:
    """The money cells of a tier's 小计 row (or of the 合计 row) of the 认购明细."""
    found = re.search(re.escape(label) + r"(.*?)</tr>", html, re.S)
    assert found, label
    return re.findall(r'<td class="money[^"]*">([^<]*)</td>', found.group(1))


def figures(html: str, tier: str) -> dict[str, str]:
    _subscribed, investment, self_funded, financed = subtotal(html, tier + "小计")
    return {"investment": investment, "self_funded": self_funded, "financed": financed}


def test_an_exited_stake_taken_over_is_counted_once_in_the_tier_sums_and_the_remaining_pot(app, client):
    from plugins.adjustment import services as adjustment
    from plugins.adjustment.tests.helpers import (TODAY, act, investments, lines, new_round, review, run_process,
                                                  take_over)
    from plugins.adjustment.tests.test_rounds import partner, subscribe
    world = takeover_world(app, ("zhoufeng", "xuli", "wanglei"))
    url = f"/subscription/projects/{world['project']}/subscriptions"
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    before = kj.get(url).get_data(as_text=True)

    # 史伟 resigns: his stake (746,428.00) is the platform company's, still counted once in 置业集团.
    resigns(app, world, kj, hh)
    table = kj.get(url).get_data(as_text=True)
    assert figures(table, "置业集团") == figures(before, "置业集团") == {
        "investment": "1,035,368.00", "self_funded": "621,220.80", "financed": "414,147.20"}
    assert "其中：置业集团 持有" in table and "746,428.00" in table and "已由新合伙人承接" not in table
    with app.app_context(), tenant(world["group"]):
        assert adjustment.remaining(world["project"], Decimal("100000000.00")) == {
            "holding": Decimal("0.00"), "realestate": Decimal("2274632.00"), "city": Decimal("311060.00"),
            "other": Decimal("0.00")}

    # Two new partners take 700,000.01 of it over (新增合伙): counted in their rows, no longer in his.
    take_over(app, world, kj, hh, {"zhoufeng": "400,000.00", "xuli": "300,000.01"})
    table = kj.get(url).get_data(as_text=True)
    assert "减：史伟 已由新合伙人承接的份额" in table
    assert subtotal(table, "减：史伟 已由新合伙人承接的份额") == ["-700,000.01", "-420,000.01", "-280,000.00"]
    # 746,428.00 − 700,000.01 + 288,940.00 + 400,000.00 + 300,000.01: the same as before the exit.
    assert figures(table, "置业集团") == {"investment": "1,035,368.00", "self_funded": "621,220.80",
                                      "financed": "414,147.20"}
    assert subtotal(table, "合计")[1] == "1,324,308.00"  # 1,035,368.00 + 288,940.00 (城市公司)
    assert "其中：置业集团 持有" in table and "46,427.99" in table
    # His own row stays as it was, marked 离 (history; 个人中心 shows it).
    assert re.search(r"史伟.*?离.*?746,428\.00", table, re.S)
    assert "746,428.00" in login(app.test_client(), "shiwei").get("/subscription/me").get_data(as_text=True)

    # A 补投 round shares what is really left of 置业集团's pot: 2,274,632.00, to the cent.
    with app.app_context(), tenant(world["group"]):
        assert adjustment.remaining(world["project"], Decimal("100000000.00"))["realestate"] == Decimal("2274632.00")
    round_id = new_round(app, world, kj, "supplementary", deadline=TODAY.isoformat(), payment_deadline="2030-06-30")
    assert "已添加" in partner(kj, world, round_id, "jintao", low="1,000", high="3,000,000")
    assert "已添加" in partner(kj, world, round_id, "wanglei", low="1,000", high="3,000,000")
    act(kj, world, round_id, "notify")
    assert "已提交认购" in subscribe(app, world, "jintao", round_id, "2,000,000.00")
    assert "已提交认购" in subscribe(app, world, "wanglei", round_id, "1,000,000.00")
    act(kj, world, round_id, "compute")
    got = lines(app, world, round_id)
    # 3,000,000.00 subscribed for 2,274,632.00: pro rata, largest remainder.
    assert (got["jintao"].difference, got["wanglei"].difference) == (Decimal("1516421.33"), Decimal("758210.67"))
    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    run_process(app, world, kj, hh, "supplementary_initiation")
    invested = investments(app, world)
    assert (invested["jintao"], invested["wanglei"]) == (Decimal("1805361.33"), Decimal("758210.67"))
    assert invested["shiwei"] == Decimal("746428.00")  # his row is kept
    table = kj.get(url).get_data(as_text=True)
    assert figures(table, "置业集团")["investment"] == "3,310,000.00"  # exactly the pot, not over it
    assert not re.search(r'text-danger">3,310,000\.00', table)
    with app.app_context(), tenant(world["group"]):
        assert adjustment.remaining(world["project"], Decimal("100000000.00"))["realestate"] == Decimal("0.00")
        assert db.session.scalar(sa.select(PlatformHolding.amount)) == Decimal("46427.99")


def test_a_takeover_of_stakes_from_two_tiers_passes_on_exactly_what_was_taken(app, client):
    """史伟 (置业集团) and 刘乔 (城市公司) exit; 500,000.00 of the 1,035,368.00 held is taken over: the part passed
    on is split over the tiers as the holding is (in proportion to what was transferred), to the cent, and the
    tiers together still hold what the partners invested."""
    from plugins.adjustment.tests.helpers import take_over
    from plugins.subscription import services as subscription
    world = takeover_world(app, ("zhoufeng",))
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    resigns(app, world, kj, hh, "shiwei")
    resigns(app, world, kj, hh, "liuqiao")
    with app.app_context(), tenant(world["group"]):
        held = subscription.tier_totals(world["project"])
        assert (held["realestate"], held["city"]) == (Decimal("1035368.00"), Decimal("288940.00"))
    take_over(app, world, kj, hh, {"zhoufeng": "500,000.00"})
    with app.app_context(), tenant(world["group"]):
        passed = subscription.passed_on(world["project"])
        held = subscription.tier_totals(world["project"])
        assert db.session.scalar(sa.select(PlatformHolding.amount)) == Decimal("535368.00")
        from plugins.exit.services import sharing
        # The platform company's distribution lines hold, per tier, exactly what was not passed on.
        platform = {h.tier: h.investment for h in sharing(world["project"])}
    assert platform == {"realestate": Decimal("385962.93"), "city": Decimal("149405.07")}
    ids = world["subscriptions"]
    # 535,368.00 kept: 385,962.93 for 置业集团 (× 746,428 / 1,035,368), 149,405.07 for 城市公司.
    assert passed == {ids["shiwei"]: Decimal("360465.07"), ids["liuqiao"]: Decimal("139534.93")}
    assert sum(passed.values()) == Decimal("500000.00")
    assert held["realestate"] == Decimal("746428.00") - Decimal("360465.07") + Decimal("288940.00") + Decimal("500000.00")
    assert held["city"] == Decimal("149405.07")
    assert held["realestate"] + held["city"] == Decimal("1324308.00")  # what the partners invested, once
    table = kj.get(f"/subscription/projects/{world['project']}/subscriptions").get_data(as_text=True)
    assert subtotal(table, "城市公司小计")[1] == "149,405.07" and subtotal(table, "合计")[1] == "1,324,308.00"


def test_a_takeover_is_refused_above_the_pot_of_the_tier_it_goes_to(app, client):
    """史伟 (置业集团) and 刘乔 (城市公司) exit. 城市公司's pot is 600,000.00 and it holds 288,940.00 (刘乔's stake):
    700,000.00 into 城市公司 is refused when computed (even all of 刘乔's stake going would leave 700,000.00);
    500,000.00 passes that bound but the holding passes on only 139,534.93 of it from 城市公司 (in proportion to
    what each tier transferred), so 城市公司 would hold 649,405.07: the approval is refused, nothing saved."""
    from plugins.adjustment.tests.helpers import (act, flashes, investments, lines, new_round, review,
                                                  run_process)
    world = takeover_world(app, ("zhoufeng",))
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    resigns(app, world, kj, hh, "shiwei")
    resigns(app, world, kj, hh, "liuqiao")
    round_id = new_round(app, world, kj, "new_partners", source="exit:platform", payment_deadline="2030-05-31")
    act(kj, world, round_id, "partners", {"username": "zhoufeng", "tier": "city", "amount": "700,000.00"})
    html = act(kj, world, round_id, "compute")
    assert "承接后城市公司合计 700,000.00 将超过该层级额度 600,000.00" in html, flashes(html)
    act(kj, world, round_id, f"lines/{lines(app, world, round_id)['zhoufeng'].id}/delete")
    act(kj, world, round_id, "partners", {"username": "zhoufeng", "tier": "city", "amount": "500,000.00"})
    assert "已计算新增合伙 #1的调整明细" in act(kj, world, round_id, "compute")
    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    process_id = run_process(app, world, kj, hh, "new_partners_initiation")
    html = hh.get(f"/processes/{process_id}").get_data(as_text=True)
    assert "承接后城市公司合计 649,405.07 将超过该层级额度 600,000.00" in html, flashes(html)
    assert "zhoufeng" not in investments(app, world)
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(PlatformHolding.amount)) == Decimal("1035368.00")
