"""A distribution after 合伙投资过户给平台公司: by default (exit setting 过户后的分配 = platform) the platform
company takes the exited partner's share with its own line (the ``distribution_holders`` hook), computed with
the same rules (A = what it holds, no 资金利息, F by largest remainder in the exited partner's tier), shown and
totalled in the batch table and its Excel export, never notified, never shown to a partner; with ``partners``
the tier's other partners share it."""
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core.extensions import db
from core.models.notice import Notice
from core.money import split
from core.settings import save as save_settings
from core.tenancy import tenant
from plugins.distribution import notices, services
from plugins.distribution.events import DistributionPaid
from plugins.distribution.models import DistributionBatch, DistributionLine
from plugins.distribution.tests.helpers import approve, batch_url, cells, new_batch, page_url
from plugins.exit.tests.helpers import exit_world, transfer
from tests.conftest import login, post, save
from tests.sample_plugins.event_recorder.hooks import EVENTS

SHIWEI, JINTAO, LIUQIAO = Decimal("746428.00"), Decimal("288940.00"), Decimal("288940.00")


@pytest.fixture
def world(app):
    with app.app_context():
        return exit_world()


def _lines(app, world, batch_id) -> dict:
    """name -> (tier, user_id, A, B, C, F)."""
    with app.app_context(), tenant(world["group"]):
        return {line.name: (line.tier, line.user_id, line.principal, line.interest, line.other, line.profit)
                for line in services.lines(batch_id)}


def _inputs(kj, world, batch, **fields):
    values = {"distributed_on": notices.today().isoformat(), "note": "", **fields}
    assert save(kj, batch_url(world, batch), values, page=page_url(world, batch)).status_code == 302
    assert post(kj, batch_url(world, batch, "compute")).status_code == 302


def test_the_platform_company_takes_the_exited_partners_share(app, client, world):
    kj = transfer(app, client, world, "shiwei")
    hh = login(app.test_client(), world["hh"])

    # 本金分配 after the transfer: the platform company's A is what it holds, without 资金利息.
    principal = new_batch(app, world, kj, "principal")
    _inputs(kj, world, principal)
    found = _lines(app, world, principal)
    assert set(found) == {"金涛", "刘乔", "置业集团"}
    assert found["置业集团"] == ("realestate", None, SHIWEI, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert found["金涛"][2] == JINTAO and found["金涛"][3] < 0
    html = kj.get(page_url(world, principal)).get_data(as_text=True)
    total_a = SHIWEI + JINTAO + LIUQIAO
    assert "<td>置业集团</td>" in html and f"{total_a:,}" in cells(html)  # 合计 A of the three lines

    # 利润分配: each tier's total shared by largest remainder, the platform company in 史伟's tier.
    profit = new_batch(app, world, kj, "profit")
    _inputs(kj, world, profit, net_profit="12,345,678.91", ratio="37.500")
    with app.app_context(), tenant(world["group"]):
        from plugins.subscription import services as subscription
        totals = services.tier_totals(Decimal("12345678.91"), Decimal("37.500"), subscription.ratios(world["project"]))
    found = _lines(app, world, profit)
    expected_jintao, expected_platform = split(totals["realestate"], [JINTAO, SHIWEI])
    assert (found["金涛"][5], found["置业集团"][5], found["刘乔"][5]) == (expected_jintao, expected_platform,
                                                                     totals["city"])
    assert sum(line[5] for line in found.values()) == sum(totals.values())  # to the cent
    html = kj.get(page_url(world, profit)).get_data(as_text=True)
    assert "置业集团" in html and f"{expected_platform:,}" in html and f"{sum(totals.values()):,}" in cells(html)

    # The Excel export of the batch: the platform company's line, keyed by the holder and its tier.
    sheet = load_workbook(io.BytesIO(kj.get(batch_url(world, profit, "template")).data)).active
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["置业集团"][0] == "exit:platform/realestate" and rows["置业集团"][5] == f"{expected_platform:.2f}"
    assert set(rows) == {"金涛", "刘乔", "置业集团"}

    # Approved and notified: the partners only; the event names the partners only.
    EVENTS.clear()
    approve(app, world, kj, hh, profit, "distribution_profit_1")
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(DistributionBatch.notified_at).where(DistributionBatch.id == profit))
        recipients = set(db.session.scalars(sa.select(Notice.recipient_id).where(Notice.title.like("分配通知%"))))
    assert recipients == {world["users"]["jintao"], world["users"]["liuqiao"]}
    paid = [e for e in EVENTS if isinstance(e, DistributionPaid)]
    assert [set(e.user_ids) for e in paid] == [{world["users"]["jintao"], world["users"]["liuqiao"]}]
    assert sorted(map(Decimal, paid[0].amounts)) == sorted([expected_jintao, totals["city"]])

    # A partner sees their own line only: not the platform company's, nor another partner's.
    mine = login(app.test_client(), "jintao").get("/distribution/me").get_data(as_text=True)
    assert f"{expected_jintao:,}" in mine
    assert "置业集团" not in mine and f"{expected_platform:,}" not in mine and f"{totals['city']:,}" not in mine
    gone = login(app.test_client(), "shiwei").get("/distribution/me").get_data(as_text=True)
    assert f"{expected_platform:,}" not in gone and "置业集团" not in gone

    # The summary table: the platform company's row, and the totals still add up.
    summary = kj.get(f"/distribution/projects/{world['project']}/batches").get_data(as_text=True)
    assert summary.count("<td>置业集团</td>") == 1 and f"{sum(totals.values()):,}" in cells(summary)

    # A 清算分配 after the approved 本金分配 returns the platform company nothing more of its principal.
    approve(app, world, kj, hh, principal, "distribution_principal")
    liquidation = new_batch(app, world, kj, "liquidation")
    _inputs(kj, world, liquidation)
    found = _lines(app, world, liquidation)
    assert found["置业集团"][2:4] == (Decimal("0.00"), Decimal("0.00")) and found["金涛"][2] == Decimal("0.00")


def test_with_the_partners_setting_the_tier_shares_the_exited_partners_part(app, client, world):
    with app.app_context(), tenant(world["group"]):
        save_settings(world["group"], "exit", {"platform_company": str(world["platform"]),
                                               "distribution_share": "partners"})
        db.session.commit()
    kj = transfer(app, client, world, "shiwei")
    profit = new_batch(app, world, kj, "profit")
    _inputs(kj, world, profit, net_profit="12,345,678.91", ratio="37.500")
    found = _lines(app, world, profit)
    with app.app_context(), tenant(world["group"]):
        from plugins.subscription import services as subscription
        totals = services.tier_totals(Decimal("12345678.91"), Decimal("37.500"), subscription.ratios(world["project"]))
        assert db.session.scalar(sa.select(sa.func.count(DistributionLine.id)).where(
            DistributionLine.batch_id == profit, DistributionLine.holder != "")) == 0
    assert set(found) == {"金涛", "刘乔"}
    assert (found["金涛"][5], found["刘乔"][5]) == (totals["realestate"], totals["city"])
    # The settings page documents the choice, and refuses another value.
    admin = login(app.test_client(), "aaa_admin")
    assert "partners＝过户后的分配不再包含退出合伙人的份额" in admin.get("/admin/modules/exit/settings").get_data(as_text=True)
