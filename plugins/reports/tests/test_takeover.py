"""An exited partner's stake, transferred to the platform company and taken over by new partners (新增合伙), is
counted once in the reports, as in the subscription stage's tier sums (``stakes_passed_on``)."""
from decimal import Decimal as D

from core.extensions import db
from core.tenancy import tenant
from plugins.reports.tests.test_reports import footer, money
from tests.conftest import login


def takeover(app, client, username="shiwei", amounts=None):
    """exit_world with 报表 on: ``username`` resigns and is transferred to the platform company, then a 新增合伙
    round takes ``amounts`` of the holding over (by default 700,000.01 of 史伟's 746,428.00, in 置业集团)."""
    from plugins.adjustment.tests.helpers import take_over
    from plugins.exit.tests.test_takeover import resigns, takeover_world
    world = takeover_world(app)
    with app.app_context():
        from core.modules import enable
        enable(world["group"], "reports", actor="test")
        db.session.commit()
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    resigns(app, world, kj, hh, username)
    round_id = take_over(app, world, kj, hh, amounts or {"zhoufeng": "400,000.00", "xuli": "300,000.01"})
    return world, kj, hh, round_id


def tier_totals(app, world) -> D:
    from plugins.subscription import services
    with app.app_context(), tenant(world["group"]):
        return sum(services.tier_totals(world["project"]).values(), D("0.00"))


def subscriptions_total(kj, world) -> list[str]:
    """The 合计 row of the 认购明细: subscribed, investment, self-funded, financed."""
    from plugins.exit.tests.test_takeover import subtotal
    return subtotal(kj.get(f"/subscription/projects/{world['project']}/subscriptions").get_data(as_text=True), "合计")


def test_a_stake_taken_over_is_counted_once_in_the_project_summaries(app, client):
    world, kj, hh, round_id = takeover(app, client)
    held = tier_totals(app, world)
    assert held == D("1324308.00") == money(subscriptions_total(kj, world)[1])  # as before the exit
    # 资金峰值, 合伙投资额度, 合伙人数, 认购, 投资, 已缴, 未缴, 已缴清人数: the new partners have not paid yet, and
    # the 700,000.01 史伟 paid for what they took over is theirs to pay now.
    summary = footer(hh.get("/reports/payments").get_data(as_text=True))
    assert money(summary[4]) == held
    assert summary[5:] == ["624,307.99", "700,000.01", "3"]
    realtime = footer(hh.get("/reports/realtime").get_data(as_text=True))
    assert (money(realtime[2]), realtime[3]) == (held, "624,307.99")

    # the new partners pay (变更缴款确认): the project is paid in full, nothing is paid twice
    from plugins.adjustment.tests.helpers import act, lines, TODAY
    for username, amount in (("zhoufeng", "400,000.00"), ("xuli", "300,000.01")):
        line = lines(app, world, round_id)[username]
        act(kj, world, round_id, f"lines/{line.id}/settle",
            {"settled_on": TODAY.isoformat(), "amount": amount, "version": str(line.version)})
    summary = footer(hh.get("/reports/payments").get_data(as_text=True))
    assert (money(summary[4]), summary[5:]) == (held, ["1,324,308.00", "0.00", "5"])
    assert money(footer(hh.get("/reports/realtime").get_data(as_text=True))[3]) == held


def test_a_stake_taken_over_in_the_partner_rows(app, client):
    """员工合伙信息查询表: 史伟's row keeps what the platform company still holds of his stake (46,427.99) and
    shows what new partners took over; the 投资金额 column sums to the tier totals."""
    world, kj, hh, _round = takeover(app, client)
    page = hh.get("/reports/partners").get_data(as_text=True)
    investment, passed, _paid, owed = footer(page)[:4]  # 投资金额, 新合伙人承接, 已缴金额, 未缴金额
    assert money(investment) == tier_totals(app, world) == D("1324308.00")
    assert (passed, owed) == ("700,000.01", "700,000.01")  # what the new partners have still to pay
    assert "新合伙人承接" in page and "离职" in page
    searched = footer(hh.get("/reports/partners?q=shiwei").get_data(as_text=True))
    assert searched[:4] == ["46,427.99", "700,000.01", "46,427.99", "0.00"]  # 投资, 承接, 已缴, 未缴


def test_the_big_table_agrees_with_the_subscription_stage(app, client):
    """事业合伙明细大表: 投资金额, 自有资金 and 配资 total as the 认购明细's 合计 row (the part passed on split as the
    认购明细 splits it: the financed part in proportion, to the cent)."""
    from plugins.reports.tests.test_reports import export_file
    world, kj, hh, _round = takeover(app, client, amounts={"zhoufeng": "500,000.00"})
    _link, rows = export_file(app, login(app.test_client(), "aaa_admin"), "partners")
    header, total = rows[0], rows[-1]
    _subscribed, investment, self_funded, financed = subscriptions_total(kj, world)
    for label, expected in (("投资金额", investment), ("自有资金", self_funded), ("配资", financed)):
        column = header.index(label)
        assert D(str(total[column])) == money(expected) == sum(D(str(r[column] or 0)) for r in rows[1:-1]), label
    shiwei = next(r for r in rows if r[0] == "史伟")
    assert D(str(shiwei[header.index("新合伙人承接")])) == D("500000.00")
    assert D(str(shiwei[header.index("投资金额")])) == D("246428.00")


def test_query_counts_do_not_grow_with_partners_after_a_takeover(app, client):
    from plugins.reports.tests.helpers import add_partners
    from plugins.reports.tests.test_reports import counted
    world, _kj, hh, _round = takeover(app, client)
    urls = ["/reports/payments", "/reports/partners", "/reports/realtime", "/reports/payments?export=1"]
    for url in urls:
        hh.get(url)
    counts = []
    for url in urls:
        with counted(app) as statements:
            assert hh.get(url).status_code == 200
        counts.append(len(statements))
    with app.app_context():
        add_partners({"group": world["group"], "p1": world["project"]}, 300, "many")
    assert hh.get("/").status_code == 200  # the sign-in loads the user again once: users were added
    for url, before in zip(urls, counts):
        with counted(app) as statements:
            assert hh.get(url).status_code == 200
        assert len(statements) == before, url
    assert footer(hh.get("/reports/payments").get_data(as_text=True))[4] == "1,624,308.00"  # 300 × 1,000.00 more
