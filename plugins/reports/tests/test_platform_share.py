"""After 合伙投资过户给平台公司 the platform company takes the exited partner's share of a distribution with its own
line: the 分配汇总表 counts the partners as the other reports do, and shows the platform company's part apart, so
that its whole total is the batches' to the cent."""
from decimal import Decimal as D

from core.extensions import db
from core.tenancy import tenant
from plugins.distribution import notices, services
from plugins.distribution.tests.helpers import approve, batch_url, new_batch, page_url
from plugins.exit.tests.helpers import exit_world, transfer
from plugins.reports.tests.helpers import workbook
from plugins.reports.tests.test_reports import footer, money
from tests.conftest import login, post, save


def _batch(app, world, kj, hh, kind, code, **fields):
    batch = new_batch(app, world, kj, kind)
    values = {"distributed_on": notices.today().isoformat(), "note": "", **fields}
    assert save(kj, batch_url(world, batch), values, page=page_url(world, batch)).status_code == 302
    assert post(kj, batch_url(world, batch, "compute")).status_code == 302
    approve(app, world, kj, hh, batch, code)
    with app.app_context(), tenant(world["group"]):
        lines = services.lines(batch)
        partners = sum((l.principal - abs(l.interest) + l.other + l.profit for l in lines if not l.holder), D("0.00"))
        platform = sum((l.principal - abs(l.interest) + l.other + l.profit for l in lines if l.holder), D("0.00"))
        return partners, platform, sum(1 for l in lines if not l.holder)


def test_the_platform_companys_part_is_apart_and_the_totals_reconcile(app, client):
    with app.app_context():
        world = exit_world()
        with tenant(world["group"]):
            from core.modules import enable
            enable(world["group"], "reports", actor="test")
            db.session.commit()
    kj = transfer(app, client, world, "shiwei")
    hh = login(app.test_client(), world["hh"])
    principal = _batch(app, world, kj, hh, "principal", "distribution_principal")
    profit = _batch(app, world, kj, hh, "profit", "distribution_profit_1", net_profit="12,345,678.91", ratio="37.500")
    partners, platform = principal[0] + profit[0], principal[1] + profit[1]
    assert platform > 0 and principal[2] == profit[2] == 2  # 金涛 and 刘乔; 置业集团 holds 史伟's stake

    page = hh.get("/reports/distributions").get_data(as_text=True)
    # 合伙人数, 本金, 资金利息, 其它, 利润, 分配合计, 平台公司分配, 含平台公司合计
    summary = footer(page)
    assert summary[0] == "4" and [money(c) for c in summary[-3:]] == [partners, platform, partners + platform]
    assert "平台公司分配" in page and "含平台公司合计" in page
    # 分配合计 of 员工合伙信息查询表 and 实时跟踪汇总表: before their last money column, 退出打款
    partners_total = money(footer(hh.get("/reports/partners").get_data(as_text=True))[-2])
    realtime = hh.get("/reports/realtime").get_data(as_text=True)
    realtime_total = money(footer(realtime)[-2])
    assert partners_total == realtime_total == partners
    assert f'data-value="{partners}"' in realtime and f'data-value="{partners + platform}"' not in realtime  # chart
    rows = workbook(hh.get("/reports/distributions?export=1"))
    assert rows[0][-3:] == ["分配合计", "平台公司分配", "含平台公司合计"]
    assert [D(str(c)) for c in rows[-1][-3:]] == [partners, platform, partners + platform]
    assert sum(D(str(r[-2])) for r in rows[1:-1]) == platform
