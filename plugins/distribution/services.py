"""The figures of the stage: batches, 本金分配测算 (A, B), 利润分配测算 (F by tier), hand edits, approval."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from core.audit import record_action
from core.extensions import db
from core.money import round_cents, split
from plugins.distribution import batching
from plugins.distribution.models import ZERO, DistributionBatch, DistributionLine, line_key
from plugins.subscription import services as subscription
from plugins.subscription.models import TIERS, Payment, Subscription

FIGURES = ("principal", "interest", "other", "profit")
EDITED = {"principal": FIGURES[:3], "profit": FIGURES[3:], "liquidation": FIGURES}  # a batch's own figures
ACTUAL_PEAK = "actual_peak"  # 实际资金峰值确认 (循环), before a 本金分配测算
DAYS_IN_YEAR = Decimal(365)


DistributionError = batching.BatchError  # a refused change; the message is for the user


def batches(project_id: int) -> list[DistributionBatch]:
    order = sa.case({"principal": 0, "profit": 1, "liquidation": 2}, value=DistributionBatch.kind)
    return db.session.scalars(db.select(DistributionBatch).where(DistributionBatch.project_id == project_id)
                              .order_by(order, DistributionBatch.number)).all()


def lines(batch_id: int) -> list[DistributionLine]:
    return db.session.scalars(db.select(DistributionLine).options(joinedload(DistributionLine.user)).where(DistributionLine.batch_id == batch_id)
                              .order_by(_tier_order(), DistributionLine.id)).all()


def project_lines(project_id: int) -> list[DistributionLine]:
    """Every line of every batch of a project, in one query."""
    return db.session.scalars(db.select(DistributionLine).options(joinedload(DistributionLine.user)).where(DistributionLine.project_id == project_id)
                              .order_by(_tier_order(), DistributionLine.id)).all()


def _tier_order():
    return sa.case({tier: i for i, tier in enumerate(TIERS)}, value=DistributionLine.tier, else_=len(TIERS))


is_editable = batching.is_editable
ensure_editable = batching.ensure_editable


PROFIT_BATCHES = 5  # 第1次 … 第5次利润分配, each with its approval process 利润分配N


def create(project, kind: str) -> DistributionBatch:
    """新建分配批次: one line per partner with a confirmed investment who has not exited (their stake
    transferred, per the ``holder_marks`` hook), and one per holder that is not a partner
    (``distribution_holders``: the platform company...); 第N次 counted per project."""
    if kind not in ("principal", "profit", "liquidation"):
        raise DistributionError(_("分配类型无效"))
    if not subscription.is_approved(project.id, subscription.INITIATION_PROCESS):
        raise DistributionError(_("须先完成：%(label)s", label=_("事业合伙立项")))
    if liquidated(project.id):
        raise DistributionError(_("项目已清算，不能再新建分配批次"))
    existing = [b for b in batches(project.id) if b.kind == kind]
    if kind != "profit" and existing:
        raise DistributionError(_("本项目已有%(label)s批次", label=existing[0].label))
    if kind == "profit" and len(existing) >= PROFIT_BATCHES:
        raise DistributionError(_("每个项目最多 %(n)s 次利润分配，其余利润请在清算分配中分配", n=PROFIT_BATCHES))
    batch = DistributionBatch(project_id=project.id, group_id=project.group_id, kind=kind, number=len(existing) + 1)
    db.session.add(batch)
    db.session.flush()
    members = db.session.execute(db.select(Subscription.id, Subscription.user_id, Subscription.tier,
                                           Subscription.investment)
                                 .where(Subscription.project_id == project.id, Subscription.investment > 0)).all()
    from core.holders import left
    gone = left(project.id)  # exited partners whose stake was transferred (holder_marks): not in later batches
    members = [m for m in members if m.user_id not in gone]
    blank = {"group_id": project.group_id, "batch_id": batch.id, "project_id": project.id, "principal": ZERO,
             "interest": ZERO, "other": ZERO, "profit": ZERO, "version": 1}
    rows = [{**blank, "subscription_id": m.id, "user_id": m.user_id, "tier": m.tier, "holder": "", "holder_name": ""}
            for m in members]
    rows += [{**blank, "subscription_id": None, "user_id": None, "tier": h.tier, "holder": h.key,
              "holder_name": h.name[:200]} for h in _holders(project.id).values()]
    if rows:
        db.session.execute(sa.insert(DistributionLine.__table__), rows)
    return batch


def _holders(project_id: int) -> dict:
    """The holders that are not partners taking a share now (``distribution_holders``), by line key."""
    from core.holders import sharing
    return {line_key(None, h.key, h.tier): h for h in sharing(project_id) if h.tier in TIERS}


def _investment(row, holders: dict) -> Decimal:
    """What a line's share is computed from: the partner's confirmed investment, or what the holder holds now."""
    if not row.holder:
        return row.investment or ZERO
    found = holders.get(line_key(None, row.holder, row.tier))
    return found.investment if found is not None else ZERO


def delete(batch: DistributionBatch) -> None:
    """删除当前批次: only before it is sent to review."""
    batching.delete(batch, DistributionLine)


def _rows(batch_id: int):
    """The batch's lines with what the 测算 needs of each partner's subscription, in one query."""
    return db.session.execute(db.select(DistributionLine.id, DistributionLine.subscription_id, DistributionLine.tier,
                                        DistributionLine.principal, DistributionLine.interest, DistributionLine.other,
                                        DistributionLine.profit, DistributionLine.version, Subscription.investment,
                                        Subscription.financed, DistributionLine.holder)
                              .outerjoin(Subscription, Subscription.id == DistributionLine.subscription_id)
                              .where(DistributionLine.batch_id == batch_id).order_by(_tier_order(), DistributionLine.id)
                              ).all()


def write(batch: DistributionBatch, action: str, changes: list[tuple[object, dict]]) -> None:
    """Store many lines' figures at once, with one audit entry holding every line's before and after."""
    batching.write(batch, DistributionLine, action, changes)


def paid_on(project_id: int) -> dict[int, dt.date]:
    """The day each partner's payments were complete (subscription id -> last payment standing)."""
    return dict(db.session.execute(db.select(Payment.subscription_id, sa.func.max(Payment.paid_on))
                                   .where(Payment.project_id == project_id, Payment.reversed_at.is_(None),
                                          Payment.kind == "payment")
                                   .group_by(Payment.subscription_id)).all())


def interest_start_setting(group_id: int) -> str:
    from core.settings import get
    return get(group_id, "distribution", "interest_start")


def interest_starts(project) -> dict[int, dt.date]:
    """When each partner's 配资 starts bearing interest: by the module's setting, the day their payment was
    complete (default) or the plan's 缴款截止日期."""
    if interest_start_setting(project.group_id) == "deadline":
        deadline = subscription.initiation(project).payment_deadline
        return {sid: deadline for sid in paid_on(project.id)} if deadline else {}
    return paid_on(project.id)


def interest(financed: Decimal, annual_rate: Decimal, start: dt.date, end: dt.date) -> Decimal:
    """资金利息 of the financed part: financed × rate × days / 365, to the cent, as a negative number."""
    return -round_cents(financed * annual_rate / 100 * (end - start).days / DAYS_IN_YEAR)


def already_distributed(project_id: int, before: DistributionBatch) -> dict:
    """Principal returned and interest charged by the approved batches (line key -> (ΣA, ΣB)): by
    subscription id for the partners, by (holder key, tier) for the other holders."""
    found = {}
    for sid, holder, tier, a, b in db.session.execute(
            db.select(DistributionLine.subscription_id, DistributionLine.holder, DistributionLine.tier,
                      sa.func.sum(DistributionLine.principal), sa.func.sum(DistributionLine.interest))
            .join(DistributionBatch, DistributionBatch.id == DistributionLine.batch_id)
            .where(DistributionLine.project_id == project_id, DistributionBatch.approved_at.is_not(None),
                   DistributionBatch.id != before.id)
            .group_by(DistributionLine.subscription_id, DistributionLine.holder, DistributionLine.tier)).all():
        key = line_key(sid, holder, tier)
        returned, charged = found.get(key, (ZERO, ZERO))
        found[key] = (returned + Decimal(a), charged + Decimal(b))
    return found


def compute_principal(project, batch: DistributionBatch) -> Decimal:
    """本金分配测算: A = confirmed investment, B = 资金利息 from the day the partner's payment was complete to
    the 分配日期; C stays. A 清算分配 takes what approved batches have not yet returned or charged.
    Returns the total of D."""
    ensure_editable(batch)
    if batch.kind == "principal":
        from core.processes.service import require_completed
        missing = require_completed(project, ACTUAL_PEAK)
        if missing:
            raise DistributionError(missing)
    if batch.distributed_on is None:
        raise DistributionError(_("请填写%(label)s", label=_("分配日期")))
    plan = subscription.initiation(project)
    starts, done, holders = interest_starts(project), already_distributed(project.id, batch), _holders(project.id)
    changes, problems, total = [], [], ZERO
    for row in _rows(batch.id):
        returned, charged = done.get(line_key(row.subscription_id, row.holder, row.tier), (ZERO, ZERO))
        principal = _investment(row, holders) - returned
        owed = row.financed or ZERO  # a holder that is not a partner has no 配资
        start = starts.get(row.subscription_id)
        if owed and start is None:
            problems.append(row.subscription_id)
            continue
        if start is not None and start > batch.distributed_on:
            raise DistributionError(_("缴款日期 %(paid)s 晚于分配日期 %(on)s，不能计算资金利息",
                                      paid=start.isoformat(), on=batch.distributed_on.isoformat()))
        charge = (interest(owed, plan.financing_rate, start, batch.distributed_on) if owed else ZERO) - charged
        total += principal + charge
        values = {"principal": principal, "interest": charge}
        if (row.principal, row.interest) != (principal, charge):
            changes.append((row, values))
    if problems:
        raise DistributionError(_("%(n)s 位合伙人尚无缴款记录，不能计算资金利息", n=len(problems)))
    write(batch, _l("本金分配测算"), changes)
    return total


def tier_totals(net_profit: Decimal, ratio: Decimal, tier_ratios: dict[str, Decimal]) -> dict[str, Decimal]:
    """本次分配信息: each tier's total = profit × tier ratio × this batch's ratio, to the cent."""
    return {tier: round_cents(net_profit * r / 100 * ratio / 100) for tier, r in tier_ratios.items()}


def compute_profit(project, batch: DistributionBatch) -> dict[str, Decimal]:
    """利润分配测算: each tier's total shared in proportion to principal, largest remainder, so each tier
    adds up to its total exactly. Returns the tier totals."""
    ensure_editable(batch)
    missing = [str(label) for value, label in ((batch.net_profit, _l("锦艺方预计净利润")),
                                               (batch.ratio, _l("本次分配比例"))) if value is None]
    if missing:
        raise DistributionError(_("请填写%(label)s", label="、".join(missing)))
    totals = tier_totals(batch.net_profit, batch.ratio, subscription.ratios(project.id))
    rows, changes, holders = _rows(batch.id), [], _holders(project.id)
    for tier, total in totals.items():
        members = [r for r in rows if r.tier == tier]
        shares = split(total, [_investment(r, holders) for r in members]) if members else []
        changes += [(r, {"profit": f}) for r, f in zip(members, shares) if r.profit != f]
    write(batch, _l("利润分配测算"), changes)
    return totals


def set_by_hand(batch: DistributionBatch, by_hand: bool) -> None:
    """解锁编辑 / 锁定 of a batch's amounts for hand entry (business admin; the view checks the role)."""
    if batch.approved_at is not None:
        raise DistributionError(_("已审批的分配不能修改"))
    if batch.by_hand == by_hand:
        return
    batch.by_hand = by_hand
    record_action(db.session, batch.group_id, "distribution:unlock" if by_hand else "distribution:lock",
                  DistributionBatch.__tablename__, batch.id, batch.label, before={"by_hand": not by_hand}, after={"by_hand": by_hand})


def ensure_by_hand(batch: DistributionBatch) -> None:
    ensure_editable(batch)
    if not batch.by_hand:
        raise DistributionError(_("请先由业务管理员解锁编辑"))


def apply_hand_rows(batch: DistributionBatch, action: str, values_by_subscription: dict) -> int:
    """Hand-typed or imported amounts (line key -> {figure: amount}), in one guarded write."""
    ensure_by_hand(batch)
    changes = []
    for row in _rows(batch.id):
        values = values_by_subscription.get(line_key(row.subscription_id, row.holder, row.tier))
        if values and any(getattr(row, k) != v for k, v in values.items()):
            changes.append((row, {f: values.get(f, getattr(row, f)) for f in FIGURES}))
    write(batch, action, changes)
    return len(changes)


def mark_approved(batch: DistributionBatch) -> bool:
    """Approval process passed: the batch's figures are final (claimed once, audited)."""
    return batching.mark_approved(batch, "distribution:approved")


def actual_peak(project_id: int) -> str:
    """资金峰值-实际 as the latest approved 实际资金峰值确认 gave it, or ""."""
    from core.processes.models import APPROVED
    from core.processes.service import latest
    done = latest(project_id, ACTUAL_PEAK)
    return (done.form_data or {}).get("actual_peak", "") if done is not None and done.state == APPROVED else ""


def liquidated(project_id: int) -> bool:
    """清算: the project's 清算分配 is approved; its accounts are closed."""
    return db.session.scalar(db.select(DistributionBatch.id).where(
        DistributionBatch.project_id == project_id, DistributionBatch.kind == "liquidation",
        DistributionBatch.approved_at.is_not(None))) is not None


def amounts(batch_id: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """(partner ids, what each receives: E + F, as text) for the events; the holders that are not partners
    are left out."""
    rows = [r for r in lines(batch_id) if not r.holder]
    return tuple(r.user_id for r in rows), tuple(f"{r.with_other + r.profit:.2f}" for r in rows)
