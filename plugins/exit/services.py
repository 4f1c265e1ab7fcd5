"""The exit stage: 离职退休测算, the 离职退休流程, 合伙投资过户给平台公司, 登记退出打款, the marks and the
platform company's holding."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from core.i18n import gettext as _
from sqlalchemy.orm import joinedload

from core.audit import record_action
from core.declarations import Refusal
from core.events import emit
from core.extensions import db
from core.models import Company, Project
from core.models.user import utcnow
from core.processes.models import RUNNING as PROCESS_RUNNING, ProcessInstance
from plugins.distribution import services as distribution
from plugins.distribution.models import DistributionBatch, DistributionLine
from plugins.exit import rules
from plugins.exit.events import PartnerExited, StakeTransferred
from plugins.exit.models import (APPROVED, DONE, KEPT, KINDS, PAID, PEAK, REJECTED, RUNNING, TAKEN, TRANSFERRED,
                                 ExitCalculation, HoldingChange, PartnerExit, PlatformHolding)
from plugins.subscription import services as subscription
from plugins.subscription.models import Subscription

PROCESS = "exit_partner"
SOURCE_KEY = "exit:platform"
ZERO = Decimal("0.00")


class ExitError(Refusal):
    """A refused step; the message is for the user."""


def members(project_id: int) -> list[Subscription]:
    """The project's partners with a confirmed investment, in one query."""
    return db.session.scalars(db.select(Subscription).options(joinedload(Subscription.user))
                              .where(Subscription.project_id == project_id, Subscription.investment > 0)
                              .order_by(Subscription.id)).all()


def exits(project_id: int, user_id: int | None = None) -> list[PartnerExit]:
    query = db.select(PartnerExit).options(joinedload(PartnerExit.user), joinedload(PartnerExit.calculation)) \
        .where(PartnerExit.project_id == project_id)
    if user_id is not None:
        query = query.where(PartnerExit.user_id == user_id)
    return db.session.scalars(query.order_by(PartnerExit.id.desc())).all()


def calculations(project_id: int) -> list[ExitCalculation]:
    return db.session.scalars(db.select(ExitCalculation).options(joinedload(ExitCalculation.user))
                              .where(ExitCalculation.project_id == project_id)
                              .order_by(ExitCalculation.id.desc())).all()


def received(project_id: int, subscription_id: int) -> tuple[Decimal, Decimal]:
    """(ΣA principal returned, Σ(E + F) paid out) by the project's approved batches to one partner."""
    a, e, f = db.session.execute(
        db.select(sa.func.coalesce(sa.func.sum(DistributionLine.principal), 0),
                  sa.func.coalesce(sa.func.sum(DistributionLine.principal - sa.func.abs(DistributionLine.interest)
                                               + DistributionLine.other), 0),
                  sa.func.coalesce(sa.func.sum(DistributionLine.profit), 0))
        .join(DistributionBatch, DistributionBatch.id == DistributionLine.batch_id)
        .where(DistributionLine.project_id == project_id, DistributionLine.subscription_id == subscription_id,
               DistributionBatch.approved_at.is_not(None))).one()
    return Decimal(a).quantize(ZERO), (Decimal(e) + Decimal(f)).quantize(ZERO)


def latest_profit(project) -> tuple[Decimal | None, str]:
    """最新披露净利润 and where it comes from: the latest approved 利润分配's 锦艺方预计净利润, else the
    立项 盈利指标."""
    batch = db.session.scalar(db.select(DistributionBatch).where(
        DistributionBatch.project_id == project.id, DistributionBatch.approved_at.is_not(None),
        DistributionBatch.net_profit.is_not(None)).order_by(DistributionBatch.approved_at.desc()).limit(1))
    if batch is not None:
        return batch.net_profit, batch.label
    return subscription.initiation(project).net_profit, _("立项·盈利指标")


def active_exit(subscription_id: int) -> PartnerExit | None:
    """The partner's exit that is running (its process too) or done; a reset process no longer counts."""
    found = db.session.execute(db.select(PartnerExit, ProcessInstance.state)
                               .join(ProcessInstance, ProcessInstance.id == PartnerExit.process_id)
                               .where(PartnerExit.subscription_id == subscription_id,
                                      PartnerExit.state.in_((RUNNING,) + DONE))).all()
    for row, process_state in found:
        if row.state != RUNNING or process_state == PROCESS_RUNNING:
            return row
    return None


def _refuse_if_exiting(row: Subscription) -> None:
    current = active_exit(row.id)
    if current is not None and current.state == RUNNING:
        raise ExitError(_("%(name)s 的另一退出流程正在审批中", name=row.user.name))
    if current is not None:
        raise ExitError(_("%(name)s 已退出本项目（%(state)s）", name=row.user.name, state=current.state_label))


def inputs_for(project, row: Subscription, kind: str, exit_on: dt.date, keep: bool = False,
               net_profit: Decimal | None = None) -> dict:
    """What a 测算 is made from, as text, read from the project, the partner's rows and the settings."""
    if kind not in KINDS:
        raise ExitError(_("请选择退出类型"))
    settings = rules.settings(project.group_id)
    if keep and not (kind == "retire" and settings["retire_may_keep"]):
        raise ExitError(_("按模块设置，只有退休合伙人可选择保留份额"))
    plan = subscription.initiation(project)
    basis, rate = settings[f"{kind}_basis"], settings[f"{kind}_rate"]
    inputs = {"kind": kind, "exit_on": exit_on.isoformat(), "keep": keep, "basis": basis, "rate": rate,
              "investment": f"{row.investment:.2f}", "financed": f"{(row.financed or ZERO):.2f}",
              "financing_rate": f"{plan.financing_rate}"}
    if keep:
        return inputs
    paid = distribution.paid_on(project.id).get(row.id)
    if paid is None:
        raise ExitError(_("%(name)s 尚无缴款记录，不能测算", name=row.user.name))
    if paid > exit_on:
        raise ExitError(_("退出日期 %(on)s 早于缴款日期 %(paid)s", on=exit_on.isoformat(), paid=paid.isoformat()))
    inputs["paid_on"] = paid.isoformat()
    if row.financed:
        start = distribution.interest_starts(project).get(row.id) or paid
        if start > exit_on:
            raise ExitError(_("退出日期 %(on)s 早于配资利息起算日 %(start)s", on=exit_on.isoformat(),
                              start=start.isoformat()))
        inputs["interest_start"] = start.isoformat()
    if basis == "profit":
        source = _("测算时填写")
        if net_profit is None:
            net_profit, source = latest_profit(project)
        if net_profit is None:
            raise ExitError(_("请填写%(label)s", label=_("最新披露净利润")))
        if not plan.capital_peak:
            raise ExitError(_("缺少资金峰值，不能按净利润测算"))
        inputs.update(net_profit=f"{net_profit:.2f}", profit_source=str(source), capital_peak=f"{plan.capital_peak:.2f}")
    inputs["distributed"] = f"{received(project.id, row.id)[1]:.2f}"
    return inputs


def calculate(project, subscription_id: int, kind: str, exit_on: dt.date, actor: str, keep: bool = False,
              net_profit: Decimal | None = None) -> ExitCalculation:
    """离职退休测算: saved with its inputs and lines (audited). The caller commits."""
    row = db.session.scalar(db.select(Subscription).where(Subscription.id == subscription_id,
                                                          Subscription.project_id == project.id,
                                                          Subscription.investment > 0))
    if row is None:
        raise ExitError(_("请选择合伙人"))
    _refuse_if_exiting(row)
    inputs = inputs_for(project, row, kind, exit_on, keep, net_profit)
    lines, total = rules.compute(inputs)
    found = ExitCalculation(project_id=project.id, subscription_id=row.id, user_id=row.user_id, kind=kind,
                            exit_on=exit_on, keep=keep, inputs=inputs, lines=lines, total=total, created_by=actor,
                            created_at=utcnow())
    db.session.add(found)
    db.session.flush()
    return found


def calculation_of(project_id: int, text) -> ExitCalculation | None:
    raw = str(text or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        return None
    return db.session.scalar(db.select(ExitCalculation).where(ExitCalculation.id == int(raw),
                                                              ExitCalculation.project_id == project_id))


def start(project, calculation: ExitCalculation, user) -> ProcessInstance:
    """发起离职退休流程 from a 测算 (the checks run in ``on_start``, the same from the 项目流程 page)."""
    from core.processes import service
    kind = service.kinds()[PROCESS]
    description = _("%(name)s %(kind)s，退出日期 %(on)s，测算退出金额 %(total)s 元",
                    name=calculation.user.name, kind=KINDS[calculation.kind], on=calculation.exit_on.isoformat(),
                    total=f"{calculation.total:,.2f}")
    try:
        return service.start(kind, project, user, {"calculation": str(calculation.id)}, description)
    except service.ProcessError as exc:
        raise ExitError(str(exc)) from exc


def on_start(instance: ProcessInstance, user) -> None:
    """Refused without a 测算 of this project, and while another exit of the partner runs."""
    from core.processes.service import ProcessError
    calculation = calculation_of(instance.project_id, (instance.form_data or {}).get("calculation"))
    if calculation is None:
        raise ProcessError(_("须先完成：%(label)s", label=_("离职退休测算")))
    if db.session.scalar(db.select(PartnerExit.id).where(PartnerExit.calculation_id == calculation.id)):
        raise ProcessError(_("该测算已发起过退出流程，请重新测算"))
    row = db.session.get(Subscription, calculation.subscription_id)
    try:
        _refuse_if_exiting(row)
    except ExitError as exc:
        raise ProcessError(str(exc)) from exc
    stale = db.session.scalars(db.select(PartnerExit).where(PartnerExit.subscription_id == row.id,
                                                            PartnerExit.state == RUNNING)).all()
    for old in stale:  # their process was reset
        old.state = REJECTED
    db.session.add(PartnerExit(project_id=instance.project_id, subscription_id=row.id, user_id=row.user_id,
                               calculation_id=calculation.id, process_id=instance.id, kind=calculation.kind,
                               exit_on=calculation.exit_on, state=RUNNING))
    db.session.flush()
    # Two starts at once: the loser sees the winner's running exit and is refused.
    if db.session.scalar(db.select(sa.func.count(PartnerExit.id)).where(PartnerExit.subscription_id == row.id,
                                                                         PartnerExit.state == RUNNING)) > 1:
        raise ProcessError(_("%(name)s 的另一退出流程正在审批中", name=row.user.name))


def _exit_of(instance: ProcessInstance) -> PartnerExit | None:
    return db.session.scalar(db.select(PartnerExit).where(PartnerExit.process_id == instance.id))


def on_approve(instance: ProcessInstance) -> None:
    found = _exit_of(instance)
    if found is None or found.state != RUNNING:
        return
    found.state = KEPT if found.calculation.keep else APPROVED
    db.session.flush()
    emit(PartnerExited(group_id=found.group_id, project_id=found.project_id, exit_id=found.id, user_id=found.user_id,
                       subscription_id=found.subscription_id, kind=found.kind, exit_on=found.exit_on.isoformat(),
                       keeps_stake=found.state == KEPT))


def on_reject(instance: ProcessInstance) -> None:
    found = _exit_of(instance)
    if found is not None and found.state == RUNNING:
        found.state = REJECTED


def platform_company(group_id: int) -> Company | None:
    raw = rules.settings(group_id)["platform_company"]
    if not raw:
        return None
    return db.session.scalar(db.select(Company).where(Company.id == int(raw)))  # tenant-scoped


def holding(project_id: int) -> PlatformHolding | None:
    return db.session.scalar(db.select(PlatformHolding).options(joinedload(PlatformHolding.company))
                             .where(PlatformHolding.project_id == project_id))


def transfer(project, found: PartnerExit) -> Decimal:
    """合伙投资过户给平台公司: what the partner still holds (investment less principal already returned)
    becomes the platform company's; the partner's rows stay, marked. The caller claimed the version."""
    if found.state != APPROVED:
        raise ExitError(_("退出流程审批通过后才能过户") if found.state == RUNNING else
                        _("该退出当前状态为%(state)s，不能过户", state=found.state_label))
    company = platform_company(project.group_id)
    if company is None:
        raise ExitError(_("请先由系统管理员在模块设置中选择平台公司"))
    row = db.session.get(Subscription, found.subscription_id)
    returned, _paid = received(project.id, row.id)
    amount = (row.investment or ZERO) - returned
    held = holding(project.id)
    if held is None:
        held = PlatformHolding(project_id=project.id, company_id=company.id, amount=ZERO)
        db.session.add(held)
    before = held.amount
    held.amount = before + amount
    found.state, found.transferred_at, found.transferred = TRANSFERRED, utcnow(), amount
    db.session.flush()
    record_action(db.session, project.group_id, "exit:transfer", PlatformHolding.__tablename__, held.id,
                  _("%(name)s 合伙投资过户给平台公司", name=row.user.name),
                  before={"amount": f"{before:.2f}"}, after={"amount": f"{held.amount:.2f}", "company": company.name})
    emit(StakeTransferred(group_id=project.group_id, project_id=project.id, exit_id=found.id, user_id=found.user_id,
                          subscription_id=row.id, company_id=company.id, amount=f"{amount:.2f}"))
    from core.modules import hooks_for
    hooks_for(project.group_id).holding_ended(project_id=project.id, subscription_id=row.id, ended_on=found.exit_on,
                                              reason=str(KINDS[found.kind]))
    from core.holders import forget
    forget(project.id)
    return amount


def register_payout(found: PartnerExit, amount: Decimal, paid_on: dt.date, reason: str, today: dt.date) -> None:
    """登记退出打款金额及打款日期: the amount defaults to the 测算; a different one needs a reason."""
    if found.state not in (TRANSFERRED, PAID):
        raise ExitError(_("合伙投资过户给平台公司后才能登记退出打款"))
    if paid_on > today:
        raise ExitError(_("打款日期不能晚于今天"))
    if paid_on < found.exit_on:
        raise ExitError(_("打款日期不能早于退出日期 %(on)s", on=found.exit_on.isoformat()))
    reason = reason.strip()
    if amount != found.calculation.total and not reason:
        raise ExitError(_("退出打款金额与测算金额 %(total)s 不同，请填写差异原因", total=f"{found.calculation.total:,.2f}"))
    found.payout, found.paid_on, found.payout_reason, found.state = amount, paid_on, reason, PAID


def marks(project_id: int):
    """离 / 退 of the partners who exited (or retired keeping their stake); left_on once transferred."""
    from core.declarations import HolderMark
    from plugins.exit.models import MARKS
    found = db.session.execute(db.select(PartnerExit.user_id, PartnerExit.kind, PartnerExit.state, PartnerExit.exit_on)
                               .where(PartnerExit.project_id == project_id, PartnerExit.state.in_(DONE))).all()
    return [HolderMark(user_id, str(MARKS[kind]), _("%(kind)s，退出日期 %(on)s", kind=KINDS[kind], on=on.isoformat()),
                       on if state in (TRANSFERRED, PAID) else None) for user_id, kind, state, on in found]


@dataclasses.dataclass
class Stake:
    """An exited partner's stake the platform company took over (过户): what was transferred, what new partners
    took of it and what peak changes made of it; ``held`` is what the platform company holds of it now."""

    exit_id: int
    subscription_id: int
    tier: str
    transferred: Decimal
    taken: Decimal
    adjusted: Decimal

    @property
    def held(self) -> Decimal:
        return self.transferred - self.taken + self.adjusted


def stakes(project_id: int, tier: str | None = None) -> list[Stake]:
    """The stakes transferred to the platform company, in the order of the exits (one query)."""
    def total(kind):
        return sa.type_coerce(sa.func.coalesce(sa.func.sum(
            sa.case((HoldingChange.kind == kind, HoldingChange.amount), else_=0)), 0), HoldingChange.amount.type)
    query = (db.select(PartnerExit.id, PartnerExit.subscription_id, Subscription.tier, PartnerExit.transferred,
                       total(TAKEN), total(PEAK))
             .join(Subscription, Subscription.id == PartnerExit.subscription_id)
             .outerjoin(HoldingChange, HoldingChange.exit_id == PartnerExit.id)
             .where(PartnerExit.project_id == project_id, PartnerExit.state.in_((TRANSFERRED, PAID)))
             .group_by(PartnerExit.id, PartnerExit.subscription_id, Subscription.tier, PartnerExit.transferred)
             .order_by(PartnerExit.id))
    if tier is not None:
        query = query.where(Subscription.tier == tier)
    return [Stake(exit_id, subscription_id, row_tier, transferred or ZERO, ZERO - Decimal(taken),
                  ZERO + Decimal(adjusted))
            for exit_id, subscription_id, row_tier, transferred, taken, adjusted in db.session.execute(query)]


def by_tier(project_id: int) -> dict[str, Decimal]:
    """What the platform company holds in each tier (the tiers of the partners it took over from)."""
    held: dict[str, Decimal] = {}
    for stake in stakes(project_id):
        held[stake.tier] = held.get(stake.tier, ZERO) + stake.held
    return {tier: amount for tier, amount in sorted(held.items()) if amount > 0}


def holders(project_id: int):
    """The platform company, once per tier it holds a part of."""
    from core.declarations import Holder
    from plugins.subscription.models import TIERS
    held = holding(project_id)
    if held is None or held.amount <= 0:
        return []
    note = _("平台公司承接退出合伙人份额")
    return [Holder(SOURCE_KEY, held.company.name, amount, f"{note} · {TIERS.get(tier, tier)}", tier)
            for tier, amount in by_tier(project_id).items()]


def sharing(project_id: int):
    """The platform company's line(s) in the batches created now, when the settings say it takes the exited
    partners' share: what it holds, by the tier of the partners it took over from."""
    from core.declarations import Holder
    held = holding(project_id)
    if held is None or held.amount <= 0 or rules.settings(held.group_id)["distribution_share"] != "platform":
        return []
    return [Holder(SOURCE_KEY, held.company.name, amount, _("平台公司承接退出合伙人份额"), tier)
            for tier, amount in by_tier(project_id).items()]


def passed_on(project_id: int) -> dict[int, Decimal]:
    """What new partners took over (新增合伙) of each exited partner's transferred stake, by subscription id: it is
    counted in the new partners' subscriptions."""
    taken: dict[int, Decimal] = {}
    for stake in stakes(project_id):
        if stake.taken:
            taken[stake.subscription_id] = taken.get(stake.subscription_id, ZERO) + stake.taken
    return taken


def adjustments(project_id: int):
    """What the peak changes made of each stake the platform company holds, and when its 补缴/退款 was confirmed."""
    from core.declarations import StakeAdjustment
    rows = db.session.execute(db.select(PartnerExit.subscription_id, HoldingChange.amount, HoldingChange.settled_on)
                              .join(PartnerExit, PartnerExit.id == HoldingChange.exit_id)
                              .where(HoldingChange.project_id == project_id, HoldingChange.kind == PEAK)
                              .order_by(HoldingChange.id)).all()
    return [StakeAdjustment(subscription_id, amount, settled_on) for subscription_id, amount, settled_on in rows]


def stake_sources(project_id: int):
    from core.declarations import StakeSource
    held = holding(project_id)
    if held is None or held.amount <= 0:
        return []
    return [StakeSource(SOURCE_KEY, _("%(company)s持有份额（平台公司承接）", company=held.company.name), held.amount)]


def _locked_holding(project_id: int):
    table = PlatformHolding.__table__
    return db.session.execute(sa.select(table.c.id, table.c.project_id, table.c.amount, table.c.group_id)
                              .where(table.c.project_id == project_id).with_for_update()).first()


def _change_holding(row, change: Decimal, kind: str, shares: list[tuple[Stake, Decimal]], summary, ref: str = "",
                    reason: str = "", **audited) -> None:
    """Add ``change`` to the holding (guarded by the amount read) and one change per stake (``shares``), audited."""
    table = PlatformHolding.__table__
    done = db.session.execute(table.update().where(table.c.id == row.id, table.c.amount == row.amount)
                              .values(amount=table.c.amount + change, version=table.c.version + 1)).rowcount
    if done != 1:
        raise ExitError(_("平台公司持有份额已被他人修改，请刷新后重试"))
    now = utcnow()
    db.session.add_all([HoldingChange(project_id=row.project_id, exit_id=stake.exit_id, kind=kind,
                                      amount=amount, ref=ref, reason=reason, created_at=now)
                        for stake, amount in shares if amount])
    record_action(db.session, row.group_id, f"exit:{kind}", table.name, row.id, summary,
                  before={"amount": f"{row.amount:.2f}"},
                  after={"amount": f"{row.amount + change:.2f}", **audited, **({"ref": ref} if ref else {}),
                         "stakes": {str(stake.exit_id): f"{amount:.2f}" for stake, amount in shares if amount}})
    held = db.session.get(PlatformHolding, row.id)
    if held is not None:
        db.session.expire(held)


def stake_taken(project_id: int, source_key: str, taken: dict[int, Decimal]) -> None:
    """新增合伙 took over (part of) the platform company's holding: reduce it by exactly the sum, taken from each
    stake in proportion to what it holds (largest remainder, to the cent)."""
    from core.money import split
    if source_key != SOURCE_KEY:
        return
    total = sum(taken.values(), ZERO)
    row = _locked_holding(project_id)
    if row is None or total <= 0 or total > row.amount:
        raise ExitError(_("新增合伙承接金额 %(total)s 超过平台公司持有份额 %(held)s", total=f"{total:,.2f}",
                          held=f"{(row.amount if row else ZERO):,.2f}"))
    held = [s for s in stakes(project_id) if s.held > 0]
    shares = list(zip(held, split(total, [s.held for s in held])))
    _change_holding(row, -total, TAKEN, [(s, -amount) for s, amount in shares], _("新增合伙承接平台公司持有份额"),
                    reason=_("新增合伙承接"), taken={str(k): f"{v:.2f}" for k, v in taken.items()})


def holding_adjusted(project_id: int, tier: str, old: Decimal, new: Decimal, ref: str, reason: str) -> None:
    """A 峰值变更 changes the platform company's part of ``tier`` from ``old`` to ``new``: each of the tier's stakes
    changes in proportion to what it holds (largest remainder, to the cent), apart from what new partners took."""
    from core.money import split
    from plugins.subscription.models import TIERS
    row = _locked_holding(project_id)
    members = [s for s in stakes(project_id, tier) if s.held > 0]
    held = sum((s.held for s in members), ZERO)
    if row is None or held != old:
        raise ExitError(_("平台公司在%(tier)s持有的份额已由 %(old)s 变为 %(held)s，请重新计算",
                          tier=TIERS.get(tier, tier), old=f"{old:,.2f}", held=f"{held:,.2f}"))
    change = new - old
    if not change:
        return
    if new < 0:
        raise ExitError(_("平台公司持有份额不能为负数"))
    if not members:
        raise ExitError(_("平台公司在%(tier)s没有持有份额", tier=TIERS.get(tier, tier)))
    parts = split(abs(change), [s.held for s in members])
    _change_holding(row, change, PEAK, [(s, a if change > 0 else -a) for s, a in zip(members, parts)],
                    _("%(reason)s：平台公司持有份额调整", reason=reason), ref=ref, reason=reason, tier=tier)


def holding_settled(project_id: int, tier: str, ref: str, amount: Decimal, settled_on: dt.date) -> None:
    """The platform company's 补缴 (or 退款) of the peak change ``ref`` in ``tier`` was confirmed on ``settled_on``."""
    in_tier = db.select(PartnerExit.id).join(Subscription, Subscription.id == PartnerExit.subscription_id).where(
        PartnerExit.project_id == project_id, Subscription.tier == tier)
    rows = db.session.scalars(db.select(HoldingChange).where(
        HoldingChange.project_id == project_id, HoldingChange.kind == PEAK, HoldingChange.ref == ref,
        HoldingChange.exit_id.in_(in_tier))).all()
    if not rows or any(r.settled_on for r in rows) or sum((r.amount for r in rows), ZERO) != amount:
        raise ExitError(_("平台公司没有待确认的 %(amount)s 元补缴或退款", amount=f"{amount:,.2f}"))
    table = HoldingChange.__table__
    done = db.session.execute(table.update().where(table.c.id.in_([r.id for r in rows]), table.c.settled_on.is_(None))
                              .values(settled_on=settled_on)).rowcount
    if done != len(rows):
        raise ExitError(_("平台公司持有份额已被他人修改，请刷新后重试"))
    held = holding(project_id)
    record_action(db.session, rows[0].group_id, "exit:settled", PlatformHolding.__tablename__, held.id if held else 0,
                  _("平台公司%(what)s确认", what=_("补缴") if amount > 0 else _("退款")),
                  before={"settled_on": None}, after={"settled_on": settled_on.isoformat(), "amount": f"{amount:.2f}",
                                                      "tier": tier, "ref": ref})
    for r in rows:
        db.session.expire(r)


def project_of_exit(exit_id: int) -> Project | None:
    found = db.session.get(PartnerExit, exit_id)
    return db.session.get(Project, found.project_id) if found else None
