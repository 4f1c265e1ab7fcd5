"""The 测算 rules: interest over awkward dates, profit tiers that do not divide evenly, refused inputs, hand edits."""
import datetime as dt
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import AuditLog
from core.tenancy import tenant
from plugins.distribution.models import DistributionLine
from plugins.distribution.tests.helpers import (approve, batch_url, flashes, make_world, new_batch, page_url, sheet,
                                                upload)
from tests.conftest import STALE, login, post, save, two_saves


def figures(app, world, batch_id):
    with app.app_context(), tenant(world["group"]):
        rows = db.session.execute(sa.select(DistributionLine.user_id, DistributionLine.principal,
                                            DistributionLine.interest, DistributionLine.profit)
                                  .where(DistributionLine.batch_id == batch_id)).all()
    names = {v: k for k, v in world["users"].items()}
    return {names[u]: (a, b, f) for u, a, b, f in rows}


def set_inputs(kj, world, batch, **values):
    return save(kj, batch_url(world, batch), values, page=page_url(world, batch), follow_redirects=True)


def test_interest_across_a_leap_day_and_a_payment_after_the_distribution_date(app):
    with app.app_context():
        world = make_world(partners=[("leap", "闰年", "city", "100000.00", dt.date(2024, 2, 28)),
                                     ("late", "晚缴", "city", "100000.00", dt.date(2024, 3, 2))])
    kj = login(app.test_client(), world["kj"])
    batch = new_batch(app, world, kj, "principal")
    set_inputs(kj, world, batch, distributed_on="2024-03-01")
    refused = post(kj, batch_url(world, batch, "compute"), follow_redirects=True).get_data(as_text=True)
    assert flashes(refused) == ["缴款日期 2024-03-02 晚于分配日期 2024-03-01，不能计算资金利息"]
    assert figures(app, world, batch)["leap"] == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))  # nothing saved
    set_inputs(kj, world, batch, distributed_on="2025-03-01")
    assert post(kj, batch_url(world, batch, "compute")).status_code == 302
    # 配资 40,000.00 at 6 %: 2024-02-28 → 2025-03-01 is 367 days (29 February counted), over 365
    assert figures(app, world, batch)["leap"] == (Decimal("100000.00"), Decimal("-2413.15"), Decimal("0.00"))
    assert figures(app, world, batch)["late"] == (Decimal("100000.00"), Decimal("-2393.42"), Decimal("0.00"))


def test_the_form_refuses_to_compute_with_an_empty_input(app):
    with app.app_context():
        world = make_world(partners=[("a", "甲", "city", "100000.00", dt.date(2024, 1, 1))])
    kj = login(app.test_client(), world["kj"])
    batch = new_batch(app, world, kj, "principal")
    refused = post(kj, batch_url(world, batch, "compute"), follow_redirects=True).get_data(as_text=True)
    assert flashes(refused) == ["请填写分配日期"]
    page = set_inputs(kj, world, batch, distributed_on="").get_data(as_text=True)
    assert flashes(page) == ["请填写分配日期"]
    profit = new_batch(app, world, kj, "profit")
    set_inputs(kj, world, profit, distributed_on="2025-01-01", net_profit="1,000,000.00")
    refused = post(kj, batch_url(world, profit, "compute"), follow_redirects=True).get_data(as_text=True)
    assert flashes(refused) == ["请填写本次分配比例"]
    page = set_inputs(kj, world, profit, distributed_on="2025-01-01", net_profit="abc").get_data(as_text=True)
    assert flashes(page) == ["锦艺方预计净利润不是有效的数字：abc"]


def test_a_profit_batch_whose_tier_totals_do_not_divide_evenly(app):
    with app.app_context():
        world = make_world(partners=[("r1", "甲", "realestate", "100000.00", None),
                                     ("r2", "乙", "realestate", "100000.00", None),
                                     ("r3", "丙", "realestate", "100000.00", None),
                                     ("c1", "丁", "city", "100000.00", None), ("c2", "戊", "city", "200000.00", None)])
    kj = login(app.test_client(), world["kj"])
    profit = new_batch(app, world, kj, "profit")
    set_inputs(kj, world, profit, distributed_on="2025-06-30", net_profit="1,000,000.00", ratio="50.000")
    assert post(kj, batch_url(world, profit, "compute")).status_code == 302
    f = {name: values[2] for name, values in figures(app, world, profit).items()}
    # 置业集团 1,000,000.00 × 3.310 % × 50 % = 16,550.00 over three equal partners: one cent goes to the first
    assert [f["r1"], f["r2"], f["r3"]] == [Decimal("5516.67"), Decimal("5516.67"), Decimal("5516.66")]
    assert f["r1"] + f["r2"] + f["r3"] == Decimal("16550.00")
    assert (f["c1"], f["c2"]) == (Decimal("1000.00"), Decimal("2000.00"))
    page = kj.get(page_url(world, profit)).get_data(as_text=True)
    assert "置业集团 3.310% 16,550.00" in page and "城市公司 0.600% 3,000.00" in page
    assert "第1次利润分配" in page
    second = new_batch(app, world, kj, "profit")
    assert "第2次利润分配" in kj.get(page_url(world, second)).get_data(as_text=True)
    for _ in range(3):  # 第3 … 第5次: each has its process 利润分配N
        new_batch(app, world, kj, "profit")
    sixth = post(kj, f"/distribution/projects/{world['project']}/batches/new", {"kind": "profit"}, follow_redirects=True)
    assert "每个项目最多 5 次利润分配" in sixth.get_data(as_text=True)


def test_by_hand_unlock_import_with_a_bad_row_then_lock(app):
    with app.app_context():
        world = make_world(partners=[("a", "甲", "city", "100000.00", None), ("b", "乙", "city", "50000.00", None)])
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    batch = new_batch(app, world, kj, "principal")
    good = [("a", "甲", "100,000.00", "-1,234.56", "", ""), ("b", "乙", "50000", "617.28", "10.00", "")]
    refused = upload(kj, batch_url(world, batch, "import"), sheet(good), follow_redirects=True)
    assert flashes(refused.get_data(as_text=True)) == ["请先由业务管理员解锁编辑"]
    assert post(kj, batch_url(world, batch, "unlock"), {"by_hand": "1"}).status_code == 403  # not the accountant
    assert post(hh, batch_url(world, batch, "unlock"), {"by_hand": "1"}).status_code == 302
    bad = [good[0], ("b", "乙", "1.234", "", "", ""), ("nobody", "某", "1.00", "", "", ""), ("a", "甲", "1.00", "", "", "")]
    response = upload(kj, batch_url(world, batch, "import"), sheet(bad))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for problem in ("第3行：事业合伙本金(A)最多 2 位小数", "第4行：账号“nobody”不在本批次的合伙名单中", "第5行：账号“a”重复"):
        assert problem in page
    assert figures(app, world, batch)["a"][0] == Decimal("0.00")  # nothing imported
    assert upload(kj, batch_url(world, batch, "import"), sheet(good)).status_code == 302
    assert figures(app, world, batch)["a"][:2] == (Decimal("100000.00"), Decimal("-1234.56"))
    assert figures(app, world, batch)["b"][:2] == (Decimal("50000.00"), Decimal("-617.28"))  # B is always negative
    page = kj.get(page_url(world, batch)).get_data(as_text=True)
    lines = dict(zip(["a", "b"], sorted(int(x) for x in re.findall(r'name="principal-(\d+)"', page))))
    typed = {f"{f}-{lines[u]}": v for u, vals in (("a", ("90,000.00", "1,000.00", "0", "0")),
                                                   ("b", ("50,000.00", "617.28", "10.00", "0")))
             for f, v in zip(("principal", "interest", "other", "profit"), vals)}
    assert save(kj, batch_url(world, batch, "lines"), typed, page=page_url(world, batch)).status_code == 302
    assert figures(app, world, batch)["a"][:2] == (Decimal("90000.00"), Decimal("-1000.00"))
    assert post(hh, batch_url(world, batch, "unlock"), {"by_hand": "0"}).status_code == 302
    locked = post(kj, batch_url(world, batch, "lines"), typed, follow_redirects=True).get_data(as_text=True)
    assert flashes(locked) == ["请先由业务管理员解锁编辑"]
    with app.app_context(), tenant(world["group"]):
        audit = db.session.execute(sa.select(AuditLog.action, AuditLog.summary, AuditLog.before, AuditLog.after)
                                   .where(AuditLog.record_table.like("distribution_%")).order_by(AuditLog.id)).all()
    assert [a for a, *_ in audit if a.startswith("distribution:")] == ["distribution:unlock", "distribution:lock"]
    imported = next(row for row in audit if row.summary.endswith("导入"))
    assert any(v.get("principal") in ("0.00", 0, "0") for v in imported.before.values())
    assert any(row.summary.endswith("手工填写") for row in audit)


def test_delete_only_before_review(app):
    with app.app_context():
        world = make_world(partners=[("a", "甲", "city", "100000.00", dt.date(2024, 1, 1))])
    kj = login(app.test_client(), world["kj"])
    batch = new_batch(app, world, kj, "principal")
    set_inputs(kj, world, batch, distributed_on="2025-01-01")
    post(kj, batch_url(world, batch, "compute"))
    assert post(kj, batch_url(world, batch, "submit")).status_code == 302
    refused = post(kj, batch_url(world, batch, "delete"), follow_redirects=True).get_data(as_text=True)
    assert flashes(refused) == ["已送审的批次不能删除"]
    other = new_batch(app, world, kj, "profit")
    done = post(kj, batch_url(world, other, "delete"), follow_redirects=True).get_data(as_text=True)
    assert flashes(done) == ["已删除分配批次：第1次利润分配"]
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DistributionLine)
                                 .where(DistributionLine.batch_id == other)) == 0


def test_liquidation_takes_what_is_left_and_closes_the_project(app):
    with app.app_context():
        world = make_world(partners=[("a", "甲", "city", "100000.00", dt.date(2024, 1, 1))])
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    principal = new_batch(app, world, kj, "principal")
    set_inputs(kj, world, principal, distributed_on="2024-07-01")
    assert post(hh, batch_url(world, principal, "unlock"), {"by_hand": "1"}).status_code == 302
    line = re.search(r'name="principal-(\d+)"', kj.get(page_url(world, principal)).get_data(as_text=True)).group(1)
    typed = {f"principal-{line}": "60,000.00", f"interest-{line}": "1,000.00", f"other-{line}": "0",
             f"profit-{line}": "0"}
    assert save(kj, batch_url(world, principal, "lines"), typed, page=page_url(world, principal)).status_code == 302
    approve(app, world, kj, hh, principal, "distribution_principal")
    liquidation = new_batch(app, world, kj, "liquidation")
    set_inputs(kj, world, liquidation, distributed_on="2025-01-01", net_profit="1,000,000.00", ratio="100.000")
    assert post(kj, batch_url(world, liquidation, "compute")).status_code == 302
    # 配资 40,000.00 at 6 % from 2024-01-01 to 2025-01-01 (366 days) = 2,406.58, of which 1,000.00 was charged
    assert figures(app, world, liquidation)["a"] == (Decimal("40000.00"), Decimal("-1406.58"), Decimal("6000.00"))
    approve(app, world, kj, hh, liquidation, "distribution_liquidation")
    page = kj.get(page_url(world)).get_data(as_text=True)
    assert "已清算" in page and "新建分配批次" not in page
    refused = post(kj, f"/distribution/projects/{world['project']}/batches/new", {"kind": "profit"},
                   follow_redirects=True).get_data(as_text=True)
    assert flashes(refused) == ["项目已清算，不能再新建分配批次"]


def test_account_confirmation_notice_and_answer(app):
    with app.app_context():
        world = make_world(partners=[("a", "甲", "city", "100000.00", None)])
    kj = login(app.test_client(), world["kj"])
    sent = post(kj, f"/distribution/projects/{world['project']}/accounts/notify", follow_redirects=True)
    assert flashes(sent.get_data(as_text=True)) == ["已向 1 位合伙人发送分配账户确认通知"]
    partner = login(app.test_client(), "a")
    assert "分配账户确认通知" in partner.get("/me/messages").get_data(as_text=True)
    assert flashes(post(partner, "/distribution/me/confirm", follow_redirects=True).get_data(as_text=True)) == [
        "请先填写分配账户"]
    assert save(partner, "/distribution/me", {"holder": "甲", "bank": "建设银行", "number": "6217000012345678"}
                ).status_code == 302
    assert save(partner, "/distribution/me/confirm", page="/distribution/me").status_code == 302
    with app.app_context(), tenant(world["group"]):
        from plugins.distribution.models import DistributionAccount
        assert db.session.scalar(sa.select(DistributionAccount.confirmed_at)) is not None
        audit = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.record_table == "distribution_account")).all()
    assert audit[0] == "create" and len(audit) == 2


def test_two_saves_of_the_same_batch_form(app):
    with app.app_context():
        world = make_world(partners=[("a", "甲", "city", "100000.00", dt.date(2024, 1, 1))])
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    batch = new_batch(app, world, kj, "principal")
    page = two_saves(app, world["kj"], batch_url(world, batch), {"distributed_on": "2025-01-01"},
                     {"distributed_on": "2025-02-01"}, page=page_url(world, batch))
    assert STALE in page
    assert str(batch_row_date(app, world, batch)) == "2025-01-01"
    assert post(hh, batch_url(world, batch, "unlock"), {"by_hand": "1"}).status_code == 302
    line = re.search(r'name="principal-(\d+)"', kj.get(page_url(world, batch)).get_data(as_text=True)).group(1)
    typed = {f"principal-{line}": "1.00", f"interest-{line}": "0", f"other-{line}": "0"}
    page = two_saves(app, world["kj"], batch_url(world, batch, "lines"), typed,
                     {**typed, f"principal-{line}": "2.00"}, page=page_url(world, batch))
    assert STALE in page
    assert figures(app, world, batch)["a"][0] == Decimal("1.00")


def batch_row_date(app, world, batch_id):
    from plugins.distribution.tests.helpers import batch_row
    return batch_row(app, world, batch_id).distributed_on
