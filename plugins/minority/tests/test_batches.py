"""股东分配: 新建分配批次, 录入分配 by hand or by stake to the cent, 申请审核, 审核通过 locks it with its date,
the Excel for the bank."""
import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core.extensions import db
from core.models import AuditLog
from core.tenancy import tenant
from plugins.minority import services
from plugins.minority.models import MinorityBatch, MinorityLine
from plugins.minority.tests.helpers import (approved, decide, id_number, make_world, new_batch, register,
                                            review_id, url)
from tests.conftest import login, post, save


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world()


@pytest.fixture
def people(app, world):
    """Three outside shareholders sharing the 合作方's 49 %: 16.333 + 16.333 + 16.334, all 审核通过."""
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    ids = [approved(kj, hh, world, name=name, kind="person", number=id_number(body), stake=stake)
           for name, body, stake in (("王一", "35010219800101001", "16.333"), ("王二", "35010219800101002", "16.333"),
                                     ("王三", "35010219800101003", "16.334"))]
    return kj, hh, ids


def lines(app, world, batch_id):
    with app.app_context(), tenant(world["group"]):
        return [(r.stake, r.amount) for r in db.session.scalars(
            sa.select(MinorityLine).where(MinorityLine.batch_id == batch_id).order_by(MinorityLine.id))]


def batch(app, world, batch_id):
    with app.app_context(), tenant(world["group"]):
        return db.session.get(MinorityBatch, batch_id)


def page(world, batch_id):
    return url(world, f"batches?batch={batch_id}")


def inputs(kj, world, batch_id, distributable="1000000.01", on="2026-12-01"):
    return save(kj, url(world, f"batches/{batch_id}"), {"distributable": distributable, "distributed_on": on,
                                                         "note": "第一次"}, page=page(world, batch_id))


def test_shares_split_to_the_cent():
    parts = services.shares(Decimal("1000000.01"), [Decimal("16.333"), Decimal("16.333"), Decimal("16.334")])
    assert sum(parts) == Decimal("490000.00")   # 1,000,000.01 × 49 % = 490,000.0049, to the cent
    assert parts == [Decimal("163330.00"), Decimal("163330.00"), Decimal("163340.00")]
    parts = services.shares(Decimal("100.00"), [Decimal("33.333")] * 3)
    assert parts == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")] and sum(parts) == Decimal("100.00")


def test_a_batch_split_to_the_cent_submitted_approved_and_locked(app, world, people):
    kj, hh, _ids = people
    batch_id = new_batch(kj, world)
    assert [s for s, _a in lines(app, world, batch_id)] == [Decimal("16.333"), Decimal("16.333"), Decimal("16.334")]
    assert inputs(kj, world, batch_id, distributable="1234567.89").status_code == 302
    assert post(kj, url(world, f"batches/{batch_id}/compute")).status_code == 302
    amounts = [a for _s, a in lines(app, world, batch_id)]
    # 1,234,567.89 × 49 % = 604,938.2661 → 604,938.27, shared by stake with the largest remainder.
    assert sum(amounts) == Decimal("604938.27")
    exact = [Decimal("1234567.89") * s / 100 for s in (Decimal("16.333"), Decimal("16.333"), Decimal("16.334"))]
    assert all(abs(a - e) < Decimal("0.01") for a, e in zip(amounts, exact))
    shown = kj.get(page(world, batch_id)).get_data(as_text=True)
    assert "604,938.27" in shown
    assert post(kj, url(world, f"batches/{batch_id}/submit")).status_code == 302
    # Under review: no computing, no typing.
    post(kj, url(world, f"batches/{batch_id}/compute"))
    assert [a for _s, a in lines(app, world, batch_id)] == amounts
    decide(hh, world, "minority_batch", batch_id)
    found = batch(app, world, batch_id)
    assert found.approved_at is not None and found.distributed_on == dt.date(2026, 12, 1)
    # 审核通过 locks for good: even a business admin's 解锁编辑 of the review leaves the batch locked.
    rid = review_id(app, world, "minority_batch", batch_id)
    assert post(hh, f"/reviews/{rid}/unlock", {"unlocked": "1"}).status_code == 302
    response = post(kj, url(world, f"batches/{batch_id}/compute"), follow_redirects=True)
    assert "正在审核或已审核通过" in response.get_data(as_text=True)
    response = save(kj, url(world, f"batches/{batch_id}/lines"), {f"amount-{i}": "1.00" for i in range(1, 10)},
                    page=page(world, batch_id), follow_redirects=True)
    assert [a for _s, a in lines(app, world, batch_id)] == amounts
    inputs(kj, world, batch_id, distributable="1.00")
    assert batch(app, world, batch_id).distributable == Decimal("1234567.89")
    assert "已锁定" in kj.get(page(world, batch_id)).get_data(as_text=True)
    with app.app_context(), tenant(world["group"]):
        actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.record_table.in_(
            ("minority_batch", "minority_line")))).all()
    assert {"review:submitted", "review:passed", "minority:approved"} <= set(actions)
    # The next batch may now be made.
    assert new_batch(kj, world) != batch_id


def test_amounts_entered_by_hand_and_sent_back(app, world, people):
    kj, hh, _ids = people
    batch_id = new_batch(kj, world)
    inputs(kj, world, batch_id)
    with app.app_context(), tenant(world["group"]):
        line_ids = db.session.scalars(sa.select(MinorityLine.id).where(MinorityLine.batch_id == batch_id)
                                      .order_by(MinorityLine.id)).all()
    form = {f"amount-{i}": v for i, v in zip(line_ids, ("1,000.50", "2000", "0.01"))}
    response = save(kj, url(world, f"batches/{batch_id}/lines"), {**form, f"amount-{line_ids[2]}": "abc"},
                    page=page(world, batch_id), follow_redirects=True)
    assert "分配金额" in response.get_data(as_text=True)
    assert [a for _s, a in lines(app, world, batch_id)] == [Decimal("0.00")] * 3   # nothing saved half-way
    assert save(kj, url(world, f"batches/{batch_id}/lines"), form, page=page(world, batch_id)).status_code == 302
    assert [a for _s, a in lines(app, world, batch_id)] == [Decimal("1000.50"), Decimal("2000.00"), Decimal("0.01")]
    assert post(kj, url(world, f"batches/{batch_id}/submit")).status_code == 302
    decide(hh, world, "minority_batch", batch_id, passed=False, comment="金额有误")
    assert batch(app, world, batch_id).approved_at is None
    form[f"amount-{line_ids[0]}"] = "999.50"
    assert save(kj, url(world, f"batches/{batch_id}/lines"), form, page=page(world, batch_id)).status_code == 302
    assert lines(app, world, batch_id)[0][1] == Decimal("999.50")
    with app.app_context(), tenant(world["group"]):
        entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.record_table == "minority_line")
                                   .order_by(AuditLog.id.desc())).first()
    assert "录入分配" in entry.summary


def test_a_new_batch_needs_approved_shareholders_and_the_previous_batch_done(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    register(kj, world)  # not yet reviewed
    response = post(kj, url(world, "batches/new"), follow_redirects=True)
    assert "尚无审核通过的小股东" in response.get_data(as_text=True)
    approved(kj, hh, world, name="乙", kind="person", number=id_number(), stake="10")
    first = new_batch(kj, world)
    response = post(kj, url(world, "batches/new"), follow_redirects=True)
    assert "第1次股东分配尚未审核通过" in response.get_data(as_text=True)
    response = post(kj, url(world, f"batches/{first}/submit"), follow_redirects=True)
    assert "请先填写分配日期并录入分配" in response.get_data(as_text=True)
    assert review_id(app, world, "minority_batch", first) is None
    # Deleted before review, and gone with its lines.
    assert post(kj, url(world, f"batches/{first}/delete")).status_code == 302
    assert lines(app, world, first) == [] and batch(app, world, first) is None


def test_the_bank_export(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    approved_name = '=HYPERLINK("http://x")'  # a name Excel would run as a formula is written as text
    for name, body, stake in ((approved_name, "35010219800101001", "16.333"), ("王二", "35010219800101002", "16.333"),
                              ("王三", "35010219800101003", "16.334")):
        approved(kj, hh, world, name=name, kind="person", number=id_number(body), stake=stake)
    batch_id = new_batch(kj, world)
    inputs(kj, world, batch_id, distributable="1000000.01")
    post(kj, url(world, f"batches/{batch_id}/compute"))
    response = kj.get(url(world, f"batches/{batch_id}/export"))
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == services.BANK_HEADERS
    assert rows[1][1] == "'" + approved_name and sheet.cell(row=2, column=2).data_type == "s"
    assert [r[2] for r in rows[1:4]] == [id_number(b) for b in ("35010219800101001", "35010219800101002",
                                                               "35010219800101003")]
    assert rows[1][5] == "6222020000000001" and rows[1][7] == "2026-12-01"
    assert [r[6] for r in rows[1:4]] == ["163330.00", "163330.00", "163340.00"]
    assert rows[4][1] == "合计" and rows[4][6] == "490000.00"
