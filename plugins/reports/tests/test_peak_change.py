"""A 峰值变更 after a takeover changes the platform company's part of an exited stake (``stakes_adjusted``): the
reports count it in the exited partner's row, as the subscription stage's tier sums do, and its 补缴 in 已缴 once
confirmed, so every report agrees with the tiers to the cent."""
from decimal import Decimal as D

from plugins.reports.tests.test_reports import export_file, footer, money
from plugins.reports.tests.test_takeover import subscriptions_total, takeover, tier_totals
from tests.conftest import login


def test_the_platform_company_share_of_a_peak_change_agrees_in_every_report(app, client):
    from plugins.exit.tests.test_peak_change import change_the_peak, platform_line, settle_platform
    world, kj, hh, _round = takeover(app, client)  # 史伟's 746,428.00: 700,000.01 taken over, 46,427.99 held
    round_id = change_the_peak(app, world, kj, hh, "123,456,789.00")
    platform = platform_line(app, world, round_id)
    # 置业集团 was not full: each holder keeps its share of the peak, the platform company too
    assert (platform.old_investment, platform.new_investment) == (D("46427.99"), D("57318.50"))
    held = tier_totals(app, world)
    table = subscriptions_total(kj, world)
    assert money(table[1]) == held

    summary = footer(hh.get("/reports/payments").get_data(as_text=True))
    assert money(summary[4]) == held
    paid, owed = money(summary[5]), money(summary[6])
    assert paid + owed == held
    realtime = footer(hh.get("/reports/realtime").get_data(as_text=True))
    assert (money(realtime[2]), money(realtime[3])) == (held, paid)
    page = hh.get("/reports/partners").get_data(as_text=True)
    assert money(footer(page)[0]) == held
    shiwei = footer(hh.get("/reports/partners?q=shiwei").get_data(as_text=True))[:4]
    assert shiwei == ["57,318.50", "700,000.01", "46,427.99", "10,890.51"]  # 投资, 承接, 已缴, 未缴
    _link, rows = export_file(app, login(app.test_client(), "aaa_admin"), "partners")
    header, total = rows[0], rows[-1]
    for label, expected in (("投资金额", table[1]), ("自有资金", table[2]), ("配资", table[3])):
        column = header.index(label)
        assert D(str(total[column])) == money(expected) == sum(D(str(r[column] or 0)) for r in rows[1:-1]), label

    # the platform company pays its 补缴 (变更缴款确认): 已缴 takes it, nothing else moves
    settle_platform(kj, world, round_id, platform, "10,890.51")
    summary = footer(hh.get("/reports/payments").get_data(as_text=True))
    assert (money(summary[4]), money(summary[5]), money(summary[6])) == (held, paid + D("10890.51"),
                                                                        owed - D("10890.51"))
    shiwei = footer(hh.get("/reports/partners?q=shiwei").get_data(as_text=True))[:4]
    assert shiwei == ["57,318.50", "700,000.01", "57,318.50", "0.00"]
    assert money(footer(hh.get("/reports/realtime").get_data(as_text=True))[3]) == paid + D("10890.51")
