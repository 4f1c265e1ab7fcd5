"""立项调整: the rounds after 事业合伙立项 and their rules.

The computations reuse subscription's 测算: the tier pots (``pots``/``ratios``), its allocation
(``allocate``: everyone what they subscribed unless the pot is smaller, then pro rata, largest remainder
to the cent) and its investment detail (``detail``). A round's figures count only once its process is
approved: then the plan's peak and the partners' investments are written, in one transaction with the
events and the 补缴/退款 notices. A 峰值变更 gives the holders other than partners (the platform company holding
exited stakes: ``core.holders.others``) their share of the new pot too: their plugin applies it
(``holding_adjusted``) and records their 补缴/退款 once confirmed (``holding_settled``).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from core import holders, outbox
from core import review as reviews
from core.audit import record_action
from core.bulk import write_figures
from core.declarations import Refusal
from core.events import emit
from core.extensions import db
from core.models.user import utcnow
from core.money import round_cents, split
from core.processes.models import APPROVED as PROCESS_APPROVED
from core.processes.models import DRAFT, RETURNED, ProcessInstance
from plugins.adjustment.events import AdditionalPaymentDue, AdjustmentSettled, InvestmentChanged, RefundDue
from plugins.adjustment.models import (APPROVED, CANCELLED, KINDS, NEW_PARTNERS, OPEN, PEAK, SUPPLEMENTARY, HolderLine,
                                       Line, Round)
from plugins.subscription import payments as entries
from plugins.subscription import services as subscription
from plugins.subscription.events import SubscriptionConfirmed
from plugins.subscription.models import TIERS, Initiation, Payment, Shareholder, Subscription

ZERO = subscription.ZERO
PEAK_CHANGE, INITIATION_CHANGE = "peak_adjustment", "initiation_change"
SUPPLEMENTARY_INITIATION, NEW_PARTNERS_INITIATION = "supplementary_initiation", "new_partners_initiation"
APPROVING = {PEAK: INITIATION_CHANGE, SUPPLEMENTARY: SUPPLEMENTARY_INITIATION, NEW_PARTNERS: NEW_PARTNERS_INITIATION}


class AdjustmentError(ValueError):
    """A refused step; the message is for the user."""


# --- reading -----------------------------------------------------------------------------------------

def rounds(project_id: int) -> list[Round]:
    return db.session.scalars(db.select(Round).where(Round.project_id == project_id).order_by(Round.number)).all()


def open_round(project_id: int, kind: str | None = None) -> Round | None:
    query = db.select(Round).where(Round.project_id == project_id, Round.state == OPEN)
    if kind:
        query = query.where(Round.kind == kind)
    return db.session.scalar(query.order_by(Round.id.desc()).limit(1))


def round_or_none(project_id: int, round_id: int) -> Round | None:
    return db.session.scalar(db.select(Round).where(Round.id == round_id, Round.project_id == project_id))


def lines(round_id: int) -> list[Line]:
    return db.session.scalars(db.select(Line).options(joinedload(Line.user)).where(Line.round_id == round_id)
                              .order_by(_tier_order(), Line.id)).all()


def holder_lines(round_id: int) -> list[HolderLine]:
    """The holders other than partners of a 峰值变更 round (the platform company), in tier order."""
    return db.session.scalars(db.select(HolderLine).where(HolderLine.round_id == round_id)
                              .order_by(_tier_order(HolderLine), HolderLine.key)).all()


def changed_holder_lines(project_id: int) -> list[HolderLine]:
    return db.session.scalars(db.select(HolderLine).where(
        HolderLine.project_id == project_id, HolderLine.new_investment.is_not(None),
        HolderLine.new_investment != HolderLine.old_investment)
        .order_by(HolderLine.round_id, _tier_order(HolderLine), HolderLine.key)).all()


def changed_lines(project_id: int) -> list[Line]:
    """The lines of the project whose investment a round changed, by round, in tier order."""
    return db.session.scalars(db.select(Line).options(joinedload(Line.user))
                              .where(Line.project_id == project_id, Line.new_investment.is_not(None),
                                     Line.new_investment != Line.old_investment)
                              .order_by(Line.round_id, _tier_order(), Line.id)).all()


def _tier_order(model=Line):
    return db.case({tier: i for i, tier in enumerate(TIERS)}, value=model.tier, else_=len(TIERS))


def review_state(round_: Round) -> str:
    review = reviews.review_of(round_)
    return review.state if review else DRAFT


def editable(round_: Round) -> bool:
    return round_.state == OPEN and review_state(round_) in (DRAFT, RETURNED)


def remaining(project_id: int, peak: Decimal | None) -> dict[str, Decimal]:
    """Each tier's pot less what it holds now (the approved figures, an exited stake counted once:
    ``subscription.tier_totals``): what a 补投 round may still allot."""
    pots = subscription.pots(peak, subscription.ratios(project_id))
    invested = subscription.tier_totals(project_id)
    return {tier: max(pots[tier] - invested[tier], ZERO) for tier in TIERS}


def _left_stakes(project_id: int, totals: dict[str, Decimal]) -> dict[str, Decimal]:
    """What each tier counts (``totals``, as ``tier_totals`` counts it) of the stakes of partners who left: the
    most a takeover can pass on out of the tier."""
    gone, holding = holders.left(project_id), dict.fromkeys(TIERS, ZERO)
    for s in subscription.subscriptions(project_id):
        if s.user_id not in gone:
            holding[s.tier] += s.investment or ZERO
    return {tier: max(totals[tier] - holding[tier], ZERO) for tier in TIERS}


def _refuse_above_pots(project_id: int, peak: Decimal | None, before: dict, after: dict) -> None:
    """A takeover may not push a tier above its pot (the pots of 测算); a tier already above it may only go down."""
    pots = subscription.pots(peak, subscription.ratios(project_id))
    for tier in TIERS:
        if after[tier] > pots[tier] and after[tier] > before[tier]:
            raise AdjustmentError(_("承接后%(tier)s合计 %(total)s 将超过该层级额度 %(pot)s", tier=TIERS[tier],
                                    total=f"{after[tier]:,}", pot=f"{pots[tier]:,}"))


def stake_sources(project) -> dict:
    """The holdings other plugins offer to the project's new partners, by key."""
    from core.modules import hooks_for
    return {s.key: s for found in hooks_for(project.group_id).stake_sources(project_id=project.id)
            for s in found or [] if s.amount > 0}


def history(project_id: int) -> list[dict]:
    """Every version of the peak and of the investments, with the process that approved it: the
    事业合伙立项 first, then each approved round."""
    versions = []
    first = db.session.scalar(db.select(ProcessInstance).where(
        ProcessInstance.project_id == project_id, ProcessInstance.kind == subscription.INITIATION_PROCESS,
        ProcessInstance.state == PROCESS_APPROVED).order_by(ProcessInstance.id).limit(1))
    approved = [r for r in rounds(project_id) if r.state == APPROVED]
    processes = {p.id: p for p in db.session.scalars(db.select(ProcessInstance).where(
        ProcessInstance.id.in_([r.process_id for r in approved if r.process_id])))}
    if first:
        peaks = [r for r in approved if r.kind == PEAK]
        peak = peaks[0].old_peak if peaks else db.session.scalar(
            db.select(Initiation.capital_peak).where(Initiation.project_id == project_id))
        versions.append({"label": _("事业合伙立项"), "peak": peak, "process": first, "round": None})
    for r in approved:
        versions.append({"label": r.label, "peak": r.new_peak if r.kind == PEAK else None,
                         "process": processes.get(r.process_id), "round": r})
    return versions


# --- creating a round ----------------------------------------------------------------------------------

def create(project, kind: str, actor: str, new_peak: Decimal | None = None, note: str = "",
           deadline: dt.date | None = None, payment_deadline: dt.date | None = None, source_key: str = "") -> Round:
    """A new round; refused before 事业合伙立项 is approved or while another round is open. The caller commits."""
    if kind not in KINDS:
        raise AdjustmentError(_("未知的调整类型"))
    problem = entries.plan_problem(project)
    if problem:
        raise AdjustmentError(problem)
    current = open_round(project.id)
    if current is not None:
        raise AdjustmentError(_("%(round)s尚未完成，不能再发起新的调整", round=current.label))
    plan = subscription.initiation(project)
    source_label = ""
    if kind == PEAK:
        if new_peak is None or new_peak <= 0:
            raise AdjustmentError(_("请填写新资金峰值"))
        if new_peak == plan.capital_peak:
            raise AdjustmentError(_("新资金峰值与现资金峰值相同"))
    if kind == SUPPLEMENTARY and deadline is None:
        raise AdjustmentError(_("请填写认购截至日期"))
    if kind == NEW_PARTNERS and source_key:
        source = stake_sources(project).get(source_key)
        if source is None:
            raise AdjustmentError(_("份额来源不存在或已无可承接份额"))
        source_label = source.label
    number = (db.session.scalar(db.select(db.func.max(Round.number)).where(Round.project_id == project.id)) or 0) + 1
    round_ = Round(project_id=project.id, group_id=project.group_id, number=number, kind=kind, state=OPEN,
                   old_peak=plan.capital_peak, new_peak=new_peak if kind == PEAK else plan.capital_peak, note=note,
                   deadline=deadline, payment_deadline=payment_deadline or plan.payment_deadline,
                   source_key=source_key, source_label=source_label, created_by=actor)
    db.session.add(round_)
    db.session.flush()
    if kind == PEAK:  # every partner still holding a stake, old figure kept beside the new one
        gone = holders.left(project.id)
        db.session.add_all([Line(round_id=round_.id, project_id=project.id, group_id=project.group_id,
                                 user_id=s.user_id, subscription_id=s.id, tier=s.tier, token=subscription.new_token(),
                                 old_investment=s.investment or ZERO)
                            for s in subscription.subscriptions(project.id) if s.user_id not in gone])
    return round_


def add_partner(round_: Round, user, tier: str, low: Decimal, high: Decimal, amount: Decimal | None = None) -> Line:
    """A partner of a 补投 round (bounds; any partner, on the list or new) or of a 新增合伙 round
    (a new partner only, with the investment they take)."""
    if not editable(round_) or round_.kind == PEAK:
        raise AdjustmentError(_("%(round)s已送审或已完成，不能修改", round=round_.label))
    if tier not in TIERS:
        raise AdjustmentError(_("请选择层级"))
    if user.id in holders.left(round_.project_id):  # their stake left them: no 补投, no new stake
        raise AdjustmentError(_("%(name)s 已退出本项目，不能加入%(round)s", name=user.name, round=round_.label))
    current = db.session.scalar(db.select(Subscription).where(Subscription.project_id == round_.project_id,
                                                             Subscription.user_id == user.id))
    if round_.kind == NEW_PARTNERS and current is not None:
        raise AdjustmentError(_("%(name)s 已在合伙名单中，不是新合伙人", name=user.name))
    if current is not None and current.tier != tier:
        raise AdjustmentError(_("%(name)s 在合伙名单中的层级为%(tier)s", name=user.name, tier=TIERS[current.tier]))
    if db.session.scalar(db.select(Line.id).where(Line.round_id == round_.id, Line.user_id == user.id)):
        raise AdjustmentError(_("%(name)s 已在本轮名单中", name=user.name))
    if high < low:
        raise AdjustmentError(_("认购上限不能小于认购下限"))
    line = Line(round_id=round_.id, project_id=round_.project_id, group_id=round_.group_id, user_id=user.id,
                subscription_id=current.id if current else None, tier=tier, token=subscription.new_token(),
                min_amount=low, max_amount=high, deadline=round_.deadline,
                old_investment=(current.investment or ZERO) if current else ZERO)
    if round_.kind == NEW_PARTNERS:
        line.subscribed_amount = line.min_amount = line.max_amount = amount
    db.session.add(line)
    _uncompute(round_)
    return line


def set_shareholders(round_: Round, rows: list[tuple[str, bool, Decimal]]) -> None:
    """峰值变更: the new shareholder data (股权合作), a draft beside the approved list until the round takes
    effect; only before its 资金峰值调整 is started. Stakes add up to 100 %. The caller commits."""
    if round_.kind != PEAK or not editable(round_) or round_.peak_process_id is not None:
        raise AdjustmentError(_("资金峰值调整已发起，股东信息不能再修改"))
    total = sum((stake for _n, _o, stake in rows), Decimal("0"))
    if rows and total != Decimal("100"):
        raise AdjustmentError(_("持股比例合计须为 100%%，现为 %(total)s%%", total=f"{total:.3f}"))
    round_.shareholders = [{"name": n, "ours": o, "stake": f"{s:.3f}"} for n, o, s in rows] or None


def shareholders_text(rows) -> str:
    return "，".join(f"{r['name']} {r['stake']}%" for r in rows or [])


def remove_partner(round_: Round, line: Line) -> None:
    """Take a partner off a 补投 or 新增合伙 round still being prepared (audited). The caller commits."""
    if not editable(round_) or round_.kind == PEAK:
        raise AdjustmentError(_("%(round)s已送审或已完成，不能修改", round=round_.label))
    db.session.delete(line)
    _uncompute(round_)


def cancel(round_: Round, running: bool) -> None:
    """撤销 a round that has not taken effect (its figures never counted): another may start. The caller commits."""
    if round_.state != OPEN or running:
        raise AdjustmentError(_("%(round)s的审批流程已发起或已完成，不能撤销", round=round_.label))
    _set(round_, f"{round_.label} · {_('撤销')}", state=CANCELLED)


def _uncompute(round_: Round) -> None:
    if round_.computed:
        round_.computed = False


# --- computing --------------------------------------------------------------------------------------------

def _write_lines(round_: Round, action: str, changes: list[tuple[Line, dict]]) -> None:
    if not write_figures(Line, round_.group_id, f"round:{round_.id}", f"{round_.label} · {action}", changes,
                         lambda row: row.round_id == round_.id):
        raise AdjustmentError(_("调整明细已被他人修改，请刷新后重试"))


def _write_holder_lines(round_: Round, figures: list[tuple]) -> None:
    """The other holders' lines of a 峰值变更 round as computed now ((``Holder``, new part) each): kept, changed,
    added or removed (audited row by row: a project has few of them)."""
    current = {(h.key, h.tier): h for h in holder_lines(round_.id)}
    for holder, new in figures:
        line = current.pop((holder.key, holder.tier), None)
        if line is None:
            db.session.add(HolderLine(round_id=round_.id, project_id=round_.project_id, group_id=round_.group_id,
                                      key=holder.key, name=holder.name, tier=holder.tier,
                                      old_investment=holder.investment, new_investment=new))
        elif (line.name, line.old_investment, line.new_investment) != (holder.name, holder.investment, new):
            line.name, line.old_investment, line.new_investment = holder.name, holder.investment, new
    for line in current.values():
        db.session.delete(line)


def peak_approved(round_: Round) -> bool:
    if round_.peak_process_id is None:
        return False
    return db.session.scalar(db.select(ProcessInstance.state).where(
        ProcessInstance.id == round_.peak_process_id)) == PROCESS_APPROVED


def compute(project, round_: Round) -> None:
    """峰值调整投资计算 / 补投测算 / 计算新合伙明细: each line's new investment. The caller commits."""
    if not editable(round_):
        raise AdjustmentError(_("%(round)s已送审或已完成，不能修改", round=round_.label))
    rows = lines(round_.id)
    ratios = subscription.ratios(project.id)
    changes = []
    if round_.kind == PEAK:
        if not peak_approved(round_):
            raise AdjustmentError(_("须先完成：%(label)s", label=_("资金峰值调整")))
        gone = holders.left(project.id)
        for r in [r for r in rows if r.user_id in gone]:  # their stake left them since the round was created
            db.session.delete(r)
        rows = [r for r in rows if r.user_id not in gone]
        old_pots, new_pots = subscription.pots(round_.old_peak, ratios), subscription.pots(round_.new_peak, ratios)
        held = subscription.tier_totals(project.id)
        others = holders.others(project.id)
        holder_figures = []
        for tier in TIERS:
            members = [r for r in rows if r.tier == tier]
            # The tier counted once (tier_totals): its partners and the other holders (the platform company
            # holding exited stakes), each one share of the new pot; what the tier counts beyond them (an exited
            # partner's principal returned before the transfer) is held by no one and stays as it is.
            theirs = [h for h in others if h.tier == tier]
            olds = [r.old_investment for r in members] + [h.investment for h in theirs]
            fixed = max(held[tier] - sum(olds, ZERO), ZERO)
            total = sum(olds, ZERO) + fixed
            # A full tier takes its new pot; one that was not full keeps each holder's share of the peak.
            target = new_pots[tier] if total == old_pots[tier] else min(
                new_pots[tier], round_cents(total * round_.new_peak / round_.old_peak))
            shared = max(target - fixed, ZERO)
            amounts = subscription.allocate(olds, shared) if shared <= sum(olds, ZERO) else split(shared, olds)
            changes += [(r, {"new_investment": a}) for r, a in zip(members, amounts)]
            holder_figures += [(h, a) for h, a in zip(theirs, amounts[len(members):])]
        _write_holder_lines(round_, holder_figures)
    elif round_.kind == SUPPLEMENTARY:
        gone = [r.user.name for r in rows if r.user_id in holders.left(project.id)]
        if gone:  # they exited after they were added
            raise AdjustmentError(_("%(names)s 已退出本项目，请先将其移出本轮名单", names="、".join(gone)))
        left = remaining(project.id, round_.new_peak)
        for tier in TIERS:
            members = [r for r in rows if r.tier == tier]
            amounts = subscription.allocate([r.subscribed_amount or ZERO for r in members], left[tier])
            changes += [(r, {"new_investment": r.old_investment + a}) for r, a in zip(members, amounts)]
    else:
        if not rows:
            raise AdjustmentError(_("请先添加新合伙人"))
        taken = sum((r.subscribed_amount or ZERO for r in rows), ZERO)
        if round_.source_key:
            source = stake_sources(project).get(round_.source_key)
            available = source.amount if source else ZERO
            if taken > available:
                raise AdjustmentError(_("新合伙人合计 %(taken)s 超过%(source)s可承接份额 %(available)s",
                                        taken=f"{taken:,}", source=round_.source_label, available=f"{available:,}"))
            # What each tier will hold at least: what is taken over passes out of a tier at most the tier's exited
            # stakes (how the source splits it is known once it is taken: the approval checks again, exactly).
            now = subscription.tier_totals(project.id)
            freed = _left_stakes(project.id, now)
            _refuse_above_pots(project.id, round_.new_peak, now, {tier: now[tier] - min(freed[tier], taken) + sum(
                (r.subscribed_amount or ZERO for r in rows if r.tier == tier), ZERO) for tier in TIERS})
        else:
            left = remaining(project.id, round_.new_peak)
            for tier in TIERS:
                total = sum((r.subscribed_amount or ZERO for r in rows if r.tier == tier), ZERO)
                if total > left[tier]:
                    raise AdjustmentError(_("%(tier)s新合伙人合计 %(total)s 超过该层级剩余额度 %(left)s",
                                            tier=TIERS[tier], total=f"{total:,}", left=f"{left[tier]:,}"))
        changes = [(r, {"new_investment": r.subscribed_amount or ZERO}) for r in rows]
    _write_lines(round_, KINDS[round_.kind], [(r, v) for r, v in changes if r.new_investment != v["new_investment"]])
    round_.computed = True


def submit(project, round_: Round, user) -> None:
    """送审 of the computed round (the business admin 审核s it in the review queue). The caller commits."""
    if not round_.computed:
        raise AdjustmentError(_("请先计算调整明细"))
    if round_.state != OPEN:
        raise AdjustmentError(_("%(round)s已完成", round=round_.label))
    reviews.submit(round_, user, f"{project.name} {round_.label}", project.id)


# --- approving ---------------------------------------------------------------------------------------------

def _set(row, summary: str, **values) -> None:
    """Write an approved (locked) row's fields in one guarded statement, audited before/after."""
    table = row.__table__
    before = {k: getattr(row, k) for k in values}
    done = db.session.execute(db.update(table).where(table.c.id == row.id, table.c.version == row.version)
                              .values(version=table.c.version + 1, **values)
                              .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise AdjustmentError(_("%(record)s已被他人修改，请刷新后重试", record=str(row)))
    db.session.expire(row)
    record_action(db.session, row.group_id, "update", table.name, row.id, summary,
                  before={k: str(v) for k, v in before.items()}, after={k: str(v) for k, v in values.items()})


def refund_due(line: Line, paid: Decimal) -> Decimal:
    """What goes back to a partner whose investment fell: the fall, never more than they paid beyond it."""
    new = line.new_investment if line.new_investment is not None else line.old_investment
    return min(-line.difference, max(paid - new, ZERO)) if line.difference < 0 else ZERO


def approve(instance: ProcessInstance, round_: Round) -> None:
    """The approving process passed: the round's figures become the plan's, in this transaction."""
    from core.models import Project
    project = db.session.get(Project, round_.project_id)
    plan = subscription.initiation(project)
    rows = lines(round_.id)
    peak = round_.new_peak if round_.kind == PEAK else plan.capital_peak
    current = {s.id: s for s in subscription.subscriptions(project.id)}
    taking_over = round_.kind == NEW_PARTNERS and round_.source_key
    before = subscription.tier_totals(project.id) if taking_over else None
    if round_.kind == PEAK:
        _set(plan, f"{project.name} · {round_.label}", capital_peak=round_.new_peak)
        if round_.shareholders:  # the new 股权合作 replaces the approved list (each row audited)
            for row in db.session.scalars(db.select(Shareholder).where(Shareholder.project_id == project.id)):
                db.session.delete(row)
            db.session.add_all([Shareholder(project_id=project.id, group_id=project.group_id, name=r["name"],
                                            ours=r["ours"], stake=Decimal(r["stake"])) for r in round_.shareholders])
    gone = holders.left(project.id)
    for r in rows:
        if r.user_id in gone and r.difference:
            raise AdjustmentError(_("%(name)s 已退出本项目，%(round)s不能生效，请撤销后重新发起",
                                    name=r.user.name, round=round_.label))
    new_of = {r.subscription_id: r.new_investment for r in rows if r.subscription_id and r.new_investment is not None}
    changes = []
    for s in current.values():
        if s.user_id in gone:  # the exited partner's rows stay as they were
            continue
        amount = new_of.get(s.id, s.investment or ZERO)
        values = {"investment": amount, **subscription.detail(amount, peak, plan.financing_ratio)}
        if any(getattr(s, k) != v for k, v in values.items()):
            changes.append((s, values))
    if not write_figures(Subscription, project.group_id, f"project:{project.id}", f"{project.name} · {round_.label}",
                         changes, lambda row: row.project_id == project.id):
        raise AdjustmentError(_("认购明细已被他人修改，请刷新后重试"))
    if round_.kind == PEAK:
        _adjust_holders(project, round_)
    for r in rows:
        if r.subscription_id is None and r.new_investment:
            created = Subscription(project_id=project.id, group_id=project.group_id, user_id=r.user_id, tier=r.tier,
                                   token=subscription.new_token(), min_amount=r.min_amount, max_amount=r.max_amount,
                                   deadline=r.deadline or entries.today(), subscribed_amount=r.subscribed_amount,
                                   subscribed_at=r.subscribed_at or utcnow(), investment=r.new_investment,
                                   **subscription.detail(r.new_investment, peak, plan.financing_ratio))
            db.session.add(created)
            db.session.flush()
            _set(r, f"{round_.label} · {created}", subscription_id=created.id)
    if taking_over:
        taken = {r.user_id: r.new_investment for r in rows if r.new_investment}
        source = stake_sources(project).get(round_.source_key)
        if source is None or sum(taken.values(), ZERO) > source.amount:
            raise AdjustmentError(_("%(source)s可承接份额已不足", source=round_.source_label))
        from core.modules import hooks_for
        try:
            hooks_for(project.group_id).stake_taken(project_id=project.id, source_key=round_.source_key, taken=taken)
        except Refusal as exc:  # the offering plugin refused (its message is for the user)
            raise AdjustmentError(str(exc)) from exc
        holders.forget(project.id)  # who holds the stake changed: this request reads it again
        _refuse_above_pots(project.id, peak, before, subscription.tier_totals(project.id))
    _set(round_, f"{project.name} · {round_.label}", state=APPROVED, process_id=instance.id, approved_at=utcnow())
    _announce(project, plan, round_, instance, lines(round_.id))


def holding_ref(round_: Round) -> str:
    """How the holders' plugins name this round's change of their holdings (holding_adjusted, holding_settled)."""
    return f"adjustment:{round_.id}"


def _adjust_holders(project, round_: Round) -> None:
    """The other holders' parts change with the partners' (holding_adjusted): the tiers land on their new pots."""
    from core.modules import hooks_for
    hooks = hooks_for(project.group_id)
    for line in holder_lines(round_.id):
        if not line.difference:
            continue
        try:
            answered = hooks.holding_adjusted(project_id=project.id, key=line.key, tier=line.tier,
                                              old=line.old_investment, new=line.new_investment,
                                              ref=holding_ref(round_), reason=round_.label)
        except Refusal as exc:  # the holder's plugin refused (its message is for the user)
            raise AdjustmentError(str(exc)) from exc
        if not any(answered):  # the module keeping the holding was disabled since the figures were computed
            raise AdjustmentError(_("%(name)s的持有份额由已停用的模块管理，请先启用该模块（如退出模块）后再审批",
                                    name=line.name))
    holders.forget(project.id)


def _announce(project, plan, round_: Round, instance, rows: list[Line]) -> None:
    """InvestmentChanged for every changed partner; 补缴通知 / 退款通知 through the outbox, same transaction."""
    paid = subscription.paid_totals(Payment.project_id == project.id)
    deadline = round_.payment_deadline.isoformat() if round_.payment_deadline else "—"
    pay_more, refunds = [], []
    for r in rows:
        if not r.difference:
            continue
        emit(InvestmentChanged(group_id=project.group_id, project_id=project.id, subscription_id=r.subscription_id,
                               user_id=r.user_id, old=f"{r.old_investment:.2f}", new=f"{r.new_investment:.2f}",
                               round_id=round_.id, process_id=instance.id))
        # The new investment is approved: agreements issues a supplementary agreement (补充协议) from it.
        emit(SubscriptionConfirmed(group_id=project.group_id, project_id=project.id,
                                   subscription_id=r.subscription_id, user_id=r.user_id,
                                   investment=f"{r.new_investment:.2f}"))
        if r.difference > 0:
            emit(AdditionalPaymentDue(group_id=project.group_id, project_id=project.id,
                                      subscription_id=r.subscription_id, user_id=r.user_id,
                                      amount=f"{r.difference:.2f}", deadline=deadline, round_id=round_.id))
            pay_more.append((r.user_id, _("您在%(project)s的投资金额由 %(old)s 元调整为 %(new)s 元，", project=project.name,
                                          old=f"{r.old_investment:,}", new=f"{r.new_investment:,}") + _(
                "请于 %(deadline)s 前补缴 %(amount)s 元至：%(name)s，%(bank)s，账号 %(account)s。", deadline=deadline,
                amount=f"{r.difference:,}", name=plan.payee_name, bank=plan.payee_bank, account=plan.payee_account)))
        else:
            due = refund_due(r, paid.get(r.subscription_id, ZERO))
            emit(RefundDue(group_id=project.group_id, project_id=project.id, subscription_id=r.subscription_id,
                           user_id=r.user_id, amount=f"{due:.2f}", round_id=round_.id))
            text = _("您在%(project)s的投资金额由 %(old)s 元调整为 %(new)s 元，", project=project.name,
                     old=f"{r.old_investment:,}", new=f"{r.new_investment:,}")
            refunds.append((r.user_id, text + (_("应退款 %(amount)s 元。", amount=f"{due:,}") if due else
                                               _("您的已缴金额未超过新投资金额，无需退款。"))))
    channels = outbox.personal_channels(project.group_id)
    if pay_more:
        title = (_("缴款通知：%(project)s") if round_.kind == NEW_PARTNERS else _("补缴通知：%(project)s")) % {
            "project": project.name}
        outbox.notify_each(project.group_id, pay_more, title, link="/adjustment/me", channels_=channels,
                           kind="adjustment.payment", project_id=project.id)
    if refunds:
        outbox.notify_each(project.group_id, refunds, _("退款通知：%(project)s") % {"project": project.name},
                           link="/adjustment/me", channels_=channels, kind="adjustment.refund", project_id=project.id)


# --- 变更缴款确认 ----------------------------------------------------------------------------------------------

def settle(line: Line, round_: Round, settled_on: dt.date, amount: Decimal, actor: str) -> Payment:
    """Confirm a 补缴 (a payment of at most what is still owed) or a 退款 (exactly what is due back) of an
    approved round, with its date. The caller commits."""
    if round_.state != APPROVED:
        raise AdjustmentError(_("须先完成：%(label)s", label=_(APPROVING_LABELS[round_.kind])))
    row = db.session.get(Subscription, line.subscription_id) if line.subscription_id else None
    if row is None or not line.difference:
        raise AdjustmentError(_("%(name)s 没有需要确认的补缴或退款", name=line.user.name))
    problem = entries.date_problem(settled_on, _("确认日期"))
    if problem:
        raise AdjustmentError(problem)
    if line.difference > 0:
        owed = line.difference - line.settled_amount
        if not ZERO < amount <= owed:
            raise AdjustmentError(_("%(name)s 尚需补缴 %(owed)s 元，本次金额须在 0.01 至 %(owed)s 之间",
                                    name=line.user.name, owed=f"{owed:,}"))
        payment = entries.confirm(row, settled_on, amount, actor)
        settled = line.settled_amount + amount
    else:
        due = refund_due(line, entries.paid_total(row.id) + line.settled_amount) - line.settled_amount
        if due <= 0:
            raise AdjustmentError(_("%(name)s 没有需要确认的补缴或退款", name=line.user.name))
        if amount != due:
            raise AdjustmentError(_("%(name)s 应退款 %(due)s 元", name=line.user.name, due=f"{due:,}"))
        try:
            payment = entries.refund(row, settled_on, amount, actor)
        except entries.PaymentError as exc:
            raise AdjustmentError(str(exc)) from exc
        settled = line.settled_amount + amount
    _set(line, f"{round_.label} · {line.user.name}", settled_amount=settled, settled_on=settled_on)
    emit(AdjustmentSettled(group_id=line.group_id, project_id=line.project_id, subscription_id=row.id,
                           round_id=round_.id, payment_id=payment.id,
                           amount=f"{(amount if line.difference > 0 else -amount):.2f}",
                           settled_on=settled_on.isoformat()))
    return payment


APPROVING_LABELS = {PEAK: _l("立项信息变更"), SUPPLEMENTARY: _l("事业合伙补充立项"), NEW_PARTNERS: _l("新增合伙")}


def settle_holder(line: HolderLine, round_: Round, settled_on: dt.date, amount: Decimal) -> None:
    """Confirm the 补缴 a holder other than partners paid, or the 退款 it got back, with its date (holding_settled:
    its plugin records it). The platform company is a company of the group: its whole change is one transfer,
    confirmed at once (a partner may pay in parts), and it gets back the whole fall (it holds its part paid in
    full: the stake was paid before it was transferred). The caller commits."""
    if round_.state != APPROVED:
        raise AdjustmentError(_("须先完成：%(label)s", label=_(APPROVING_LABELS[round_.kind])))
    if not line.difference or line.settled_on is not None:
        raise AdjustmentError(_("%(name)s 没有需要确认的补缴或退款", name=line.name))
    problem = entries.date_problem(settled_on, _("确认日期"))
    if problem:
        raise AdjustmentError(problem)
    due = abs(line.difference)
    if amount != due:
        raise AdjustmentError(_("%(name)s %(what)s须一次确认全部 %(due)s 元", name=line.name, due=f"{due:,}",
                                what=_("补缴") if line.difference > 0 else _("退款")))
    from core.modules import hooks_for
    try:
        answered = hooks_for(line.group_id).holding_settled(
            project_id=line.project_id, key=line.key, tier=line.tier, ref=holding_ref(round_),
            amount=line.difference, settled_on=settled_on)
    except Refusal as exc:  # the holder's plugin refused (its message is for the user)
        raise AdjustmentError(str(exc)) from exc
    if not any(answered):  # the page names the holder
        raise AdjustmentError(_("其持有份额由已停用的模块管理，请先启用该模块（如退出模块）后再确认"))
    _set(line, f"{round_.label} · {line.name}", settled_amount=due, settled_on=settled_on)
    holders.forget(line.project_id)
