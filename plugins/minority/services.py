"""股东登记 rules (identifier check characters, stakes within the 股权合作) and 股东分配 batches, built on
the distribution plugin's batch machinery (plugins.distribution.batching)."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

from core import review as reviews
from core.extensions import db
from core.money import round_cents, split
from core.processes.models import PASSED, Review
from plugins.distribution import batching
from plugins.minority import checks
from plugins.minority.models import ZERO, MinorityBatch, MinorityLine, MinorityShareholder
from plugins.subscription.models import Shareholder

MinorityError = batching.BatchError
HUNDRED = Decimal("100")


def shareholders(project_id: int) -> list[MinorityShareholder]:
    return db.session.scalars(db.select(MinorityShareholder).where(MinorityShareholder.project_id == project_id)
                              .order_by(MinorityShareholder.id)).all()


def cooperation(project_id: int) -> list[Shareholder]:
    """The project's 股权合作 rows (我方 and 合作方)."""
    return db.session.scalars(db.select(Shareholder).where(Shareholder.project_id == project_id)
                              .order_by(Shareholder.id)).all()


def id_problem(kind: str, number: str) -> str | None:
    """Why ``number`` is not a valid identifier of a shareholder of ``kind``, or None."""
    if kind == "company" and not checks.valid_credit_code(number):
        return _("统一社会信用代码“%(n)s”无效（18 位，校验码须符合 GB 32100-2015）", n=number)
    if kind == "person" and not checks.valid_id_number(number):
        return _("身份证号码“%(n)s”无效（18 位，出生日期与校验码须符合 GB 11643）", n=number)
    return None


def stake_problem(project_id: int, cooperation_name: str, stake: Decimal,
                  own_id: int | None) -> tuple[str, str] | None:
    """The stakes of a project's shareholders still add up to 100 %: the registered 小股东 of a 合作方
    row of 股权合作 hold at most that row's stake together (我方 + 合作方 = 100 % is kept by 股权合作)."""
    rows = cooperation(project_id)
    if sum((r.stake for r in rows), Decimal("0")) != HUNDRED:
        return "cooperation", _("请先在立项/股权合作中录入股东信息，持股比例合计须为 100%")
    row = next((r for r in rows if not r.ours and r.name == cooperation_name), None)
    if row is None:
        return "cooperation", _("请选择对应的股权合作（合作方）")
    # Two registrations under one 合作方 at once: the second waits for the first (PostgreSQL row lock).
    db.session.execute(db.select(Shareholder.id).where(Shareholder.id == row.id).with_for_update())
    others = db.session.scalar(db.select(sa.func.coalesce(sa.func.sum(MinorityShareholder.stake), 0)).where(
        MinorityShareholder.project_id == project_id, MinorityShareholder.cooperation == cooperation_name,
        MinorityShareholder.id != (own_id or 0)))
    if Decimal(others) + stake > row.stake:
        figures = {"row": "%.3f" % row.stake, "taken": "%.3f" % Decimal(others), "stake": "%.3f" % stake}
        return "stake", _("%(name)s在股权合作中持股 %(row)s%%，已登记 %(taken)s%%，本次 %(stake)s%% 超出；"
                          "全部股东持股比例合计须为 100%%", name=row.name, **figures)
    return None


def stakes(project_id: int) -> dict:
    """The project's stakes: 我方, 合作方 as 股权合作 has them, registered 小股东, and the total (100 %)."""
    rows = cooperation(project_id)
    registered = sum((s.stake for s in shareholders(project_id)), Decimal("0"))
    ours = sum((r.stake for r in rows if r.ours), Decimal("0"))
    partners = sum((r.stake for r in rows if not r.ours), Decimal("0"))
    return {"ours": ours, "partners": partners, "registered": registered, "unregistered": partners - registered,
            "total": ours + partners}


def review_states(table: str, ids) -> dict[int, Review]:
    """Each record's review (送审 state), in one query."""
    ids = list(ids)
    if not ids:
        return {}
    return {r.record_id: r for r in db.session.scalars(db.select(Review).where(Review.record_table == table,
                                                                              Review.record_id.in_(ids)))}


def approved_shareholders(project_id: int) -> list[MinorityShareholder]:
    """Shareholders whose registration passed review (审核通过)."""
    passed = db.select(Review.record_id).where(Review.record_table == MinorityShareholder.__tablename__,
                                               Review.state == PASSED)
    return db.session.scalars(db.select(MinorityShareholder).where(MinorityShareholder.project_id == project_id,
                                                                   MinorityShareholder.id.in_(passed))
                              .order_by(MinorityShareholder.id)).all()


def delete_shareholder(row: MinorityShareholder) -> None:
    if reviews.review_of(row) is not None:
        raise MinorityError(_("已申请审核的股东登记不能删除"))
    db.session.delete(row)


def batches(project_id: int) -> list[MinorityBatch]:
    return db.session.scalars(db.select(MinorityBatch).where(MinorityBatch.project_id == project_id)
                              .order_by(MinorityBatch.number)).all()


def lines(batch_id: int) -> list[MinorityLine]:
    from sqlalchemy.orm import joinedload
    return db.session.scalars(db.select(MinorityLine).options(joinedload(MinorityLine.shareholder))
                              .where(MinorityLine.batch_id == batch_id).order_by(MinorityLine.id)).all()


def create(project) -> MinorityBatch:
    """新建分配批次: a line per shareholder whose registration passed review, with its stake."""
    members = approved_shareholders(project.id)
    if not members:
        raise MinorityError(_("尚无审核通过的小股东，不能新建分配批次"))
    pending = [b for b in batches(project.id) if b.approved_at is None]
    if pending:
        raise MinorityError(_("%(label)s尚未审核通过，请先完成该批次", label=pending[0].label))
    number = (db.session.scalar(db.select(sa.func.max(MinorityBatch.number))
                                .where(MinorityBatch.project_id == project.id)) or 0) + 1
    batch = MinorityBatch(project_id=project.id, group_id=project.group_id, number=number)
    db.session.add(batch)
    db.session.flush()
    db.session.execute(sa.insert(MinorityLine.__table__), [
        {"group_id": project.group_id, "batch_id": batch.id, "project_id": project.id, "shareholder_id": m.id,
         "stake": m.stake, "amount": ZERO, "version": 1} for m in members])
    return batch


def delete(batch: MinorityBatch) -> None:
    batching.delete(batch, MinorityLine)


def write(batch: MinorityBatch, action: str, changes) -> None:
    batching.write(batch, MinorityLine, action, changes)


def shares(distributable: Decimal, stakes_: list[Decimal]) -> list[Decimal]:
    """可分配金额 × each stake: the shareholders' total rounded to the cent, split by the largest
    remainder so that the parts add up to it exactly."""
    total = round_cents(distributable * sum(stakes_, Decimal("0")) / HUNDRED)
    return split(total, stakes_)


def compute(batch: MinorityBatch) -> Decimal:
    """按持股比例计算: every line from the batch's 可分配金额. Returns the batch's total."""
    batching.ensure_editable(batch)
    if batch.distributable is None:
        raise MinorityError(_("请填写%(label)s", label=_("项目可分配金额")))
    rows = lines(batch.id)
    amounts = shares(batch.distributable, [r.stake for r in rows])
    write(batch, _l("按持股比例计算"), [(r, {"amount": a}) for r, a in zip(rows, amounts) if r.amount != a])
    return sum(amounts, ZERO)


def enter(batch: MinorityBatch, amounts: dict[int, Decimal]) -> int:
    """录入分配 by hand (line id -> amount), in one guarded write."""
    batching.ensure_editable(batch)
    changes = [(r, {"amount": amounts[r.id]}) for r in lines(batch.id) if r.id in amounts and r.amount != amounts[r.id]]
    write(batch, _l("录入分配"), changes)
    return len(changes)


BANK_HEADERS = ["序号", "股东名称", "证件号码", "户名", "开户行", "账号", "分配金额", "分配日期", "摘要"]


def bank_sheet(project, batch: MinorityBatch) -> bytes:
    """The batch for the bank: one payment per shareholder and the total (the sum of the rows)."""
    from core import spreadsheet
    rows = lines(batch.id)
    on = batch.distributed_on.isoformat() if batch.distributed_on else ""
    memo = f"{project.name} {batch.label}"
    body = [[i, r.shareholder.name, r.shareholder.id_number, r.shareholder.account_name, r.shareholder.bank,
             r.shareholder.account_number, f"{r.amount:.2f}", on, memo] for i, r in enumerate(rows, start=1)]
    body.append(["", _("合计"), "", "", "", "", f"{sum((r.amount for r in rows), ZERO):.2f}", "", ""])
    return spreadsheet.write(batch.label[:31], BANK_HEADERS, body,
                             widths=(6, 24, 22, 24, 24, 24, 16, 12, 30))
