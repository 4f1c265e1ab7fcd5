"""The figures of the stage: pots, 测算 (pro-rata within a tier's pot), the investment detail, payments."""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from core.bulk import write_figures
from core.extensions import db
from core.money import CENT, round_cents, split
from core.processes.models import APPROVED
from core.processes.service import latest, latest_states
from plugins.subscription.models import TIERS, Initiation, Payment, Subscription, TierRatio
from plugins.subscription.required import required

ZERO = Decimal("0.00")
PEAK_PROCESS, INITIATION_PROCESS = "capital_peak", "coinvest_initiation"


TIER_ORDER = db.case({tier: i for i, tier in enumerate(TIERS)}, value=Subscription.tier, else_=len(TIERS))


class SubscriptionError(ValueError):
    """A refused change; the message is for the user."""


def initiation(project) -> Initiation:
    row = db.session.scalar(db.select(Initiation).where(Initiation.project_id == project.id))
    if row is None:
        row = Initiation(project_id=project.id, group_id=project.group_id)
        db.session.add(row)
        db.session.flush()
    return row


def ratios(project_id: int) -> dict[str, Decimal]:
    found = dict(db.session.execute(db.select(TierRatio.tier, TierRatio.ratio)
                                    .where(TierRatio.project_id == project_id)).all())
    return {tier: found.get(tier, Decimal("0.000")) for tier in TIERS}


def pots(peak: Decimal | None, tier_ratios: dict[str, Decimal]) -> dict[str, Decimal]:
    """Each tier's pot = peak × ratio, to the cent; the total is the sum of the pots."""
    return {tier: round_cents((peak or ZERO) * ratio / 100) for tier, ratio in tier_ratios.items()}


def passed_on(project_id: int) -> dict[int, Decimal]:
    """The part of each subscription's investment now counted in other partners' subscriptions (an exited
    stake taken over by new partners), by subscription id (the ``stakes_passed_on`` hook)."""
    from core.holders import passed_on as found
    return found(project_id)


def adjusted(project_id: int) -> dict[int, Decimal]:
    """What peak changes made of stakes since they left their partners and are held by another holder (the
    platform company), by subscription id (the ``stakes_adjusted`` hook)."""
    from core.holders import adjusted as found
    return found(project_id)


def tier_totals(project_id: int) -> dict[str, Decimal]:
    """What each tier holds now: its partners' investments less the parts passed on to other partners, so
    a stake is counted once (an exited partner's stake counts in its tier while the platform company holds
    it, and in the new partners' tiers once they took it over), plus what peak changes made of the stakes
    the platform company holds."""
    found = dict(db.session.execute(db.select(Subscription.tier, db.func.sum(Subscription.investment))
                                    .where(Subscription.project_id == project_id).group_by(Subscription.tier)).all())
    totals = {tier: Decimal(found.get(tier) or 0).quantize(CENT) for tier in TIERS}
    passed, changed = passed_on(project_id), adjusted(project_id)
    if passed or changed:
        for subscription_id, tier in db.session.execute(db.select(Subscription.id, Subscription.tier).where(
                Subscription.project_id == project_id, Subscription.id.in_(list(set(passed) | set(changed))))).all():
            totals[tier] += changed.get(subscription_id, ZERO) - passed.get(subscription_id, ZERO)
    return totals


def passed_parts(rows: list[Subscription]) -> list[tuple[Subscription, dict[str, Decimal]]]:
    """For the 认购明细: each row with a part passed on, and that part as investment, financed and
    self-funded (the financed part in proportion, to the cent), to be taken off its tier's sums."""
    passed, parts = passed_on(rows[0].project_id) if rows else {}, []
    for row in rows:
        amount = passed.get(row.id)
        if not amount:
            continue
        investment, financed = row.investment or ZERO, row.financed or ZERO
        # more than the investment passes on only when a peak change raised the stake: the rest is self-funded
        kept = round_cents(financed * max(investment - amount, ZERO) / investment) if investment else ZERO
        parts.append((row, {"investment": amount, "financed": financed - kept,
                            "self_funded": amount - (financed - kept)}))
    return parts


def adjusted_parts(rows: list[Subscription]) -> list[tuple[Subscription, dict[str, Decimal]]]:
    """For the 认购明细: each row whose stake a peak change changed since it left the partner (``adjusted``), and
    that change as investment and self-funded (the holder's own money: no 配资), to be added to its tier's sums."""
    changed = adjusted(rows[0].project_id) if rows else {}
    return [(row, {"investment": changed[row.id], "self_funded": changed[row.id], "financed": ZERO})
            for row in rows if changed.get(row.id)]


def is_approved(project_id: int, process: str) -> bool:
    done = latest(project_id, process)
    return done is not None and done.state == APPROVED


def approved_projects(project_ids, process: str) -> set[int]:
    """Which of ``project_ids`` have ``process`` approved (``is_approved`` of many, in one query)."""
    return {project_id for project_id, state in latest_states(project_ids, process).items() if state == APPROVED}


def allocate(subscribed: list[Decimal], pot: Decimal, floors: list[Decimal] | None = None) -> list[Decimal]:
    """测算 of one tier: everyone gets what they subscribed, unless that exceeds the pot; then the
    pot is shared pro rata to the subscriptions, cent-exact (largest remainder). A required partner's
    minimum (``floors``, e.g. 强投) is kept: the voluntary part above the minimums is scaled back first,
    and only when the minimums alone exceed the pot are they shared pro rata."""
    total = sum(subscribed, ZERO)
    if total <= pot:
        return list(subscribed)
    kept = [min(f, s) for f, s in zip(floors or [], subscribed)] or [ZERO] * len(subscribed)
    if sum(kept, ZERO) >= pot:
        return split(pot, kept)
    extra = split(pot - sum(kept, ZERO), [s - k for s, k in zip(subscribed, kept)])
    return [k + e for k, e in zip(kept, extra)]


def ensure_editable(project) -> None:
    """Refuse to change the plan's figures while it is under review or approved (and not unlocked)."""
    from core.review import is_editable
    plan = initiation(project)
    if not is_editable(plan):
        raise SubscriptionError(_("%(record)s正在审核或已审核通过，需业务管理员解锁后才能修改", record=str(plan)))


def _figures(project_id: int):
    return db.session.execute(db.select(Subscription.id, Subscription.tier, Subscription.subscribed_amount,
                                        Subscription.investment, Subscription.share, Subscription.self_funded,
                                        Subscription.financed, Subscription.version)
                              .where(Subscription.project_id == project_id).order_by(TIER_ORDER, Subscription.id)).all()


def _write_figures(project, action: str, changes: list[tuple[object, dict]]) -> None:
    """Store computed figures of many partners at once, with one audit entry for the whole action."""
    if not write_figures(Subscription, project.group_id, f"project:{project.id}", f"{project.name} · {action}",
                         changes, lambda row: row.project_id == project.id):
        raise SubscriptionError(_("认购明细已被他人修改，请刷新后重试"))


def propose(project) -> dict[str, Decimal]:
    """Set every partner's investment by the 测算 rule; returns the tier totals."""
    ensure_editable(project)
    rows = _figures(project.id)
    tier_pots = pots(initiation(project).capital_peak, ratios(project.id))
    user_of = dict(db.session.execute(db.select(Subscription.id, Subscription.user_id)
                                      .where(Subscription.project_id == project.id)).all())
    needed = required(project.id)
    totals, changes = {}, []
    for tier in TIERS:
        members = [r for r in rows if r.tier == tier]
        amounts = allocate([r.subscribed_amount or ZERO for r in members], tier_pots[tier],
                           [needed[user_of[r.id]].minimum if user_of[r.id] in needed else ZERO for r in members])
        changes += [(r, {"investment": a}) for r, a in zip(members, amounts) if r.investment != a]
        totals[tier] = sum(amounts, ZERO)
    _write_figures(project, _l("测算"), changes)
    return totals


def set_investment(project, subscription: Subscription, amount: Decimal) -> None:
    """An accountant's edit of one partner's investment, checked against the bounds and the pot."""
    ensure_editable(project)
    if amount != 0 and not subscription.min_amount <= amount <= subscription.max_amount:
        raise SubscriptionError(_("投资金额 %(amount)s 超出认购上下限 %(low)s – %(high)s", amount=f"{amount:,}",
                                  low=f"{subscription.min_amount:,}", high=f"{subscription.max_amount:,}"))
    pot = pots(initiation(project).capital_peak, ratios(project.id))[subscription.tier]
    # The tier as held now (tier_totals): the partner's passed-on part, if any, stays passed on.
    total = tier_totals(project.id)[subscription.tier] - (subscription.investment or ZERO) + amount
    if total > pot:
        raise SubscriptionError(_("%(tier)s合计 %(total)s 超过该层级额度 %(pot)s", tier=TIERS[subscription.tier],
                                  total=f"{total:,}", pot=f"{pot:,}"))
    subscription.investment = amount


def detail(amount: Decimal, peak: Decimal, financing_ratio: Decimal) -> dict[str, Decimal]:
    """One partner's investment detail: share of the capital peak (percent), financed part (配资) and
    self-funded part, which add up to ``amount``."""
    financed = round_cents(amount * financing_ratio / 100)
    return {"share": (amount * 100 / peak).quantize(Decimal("0.000001")), "financed": financed,
            "self_funded": amount - financed}


def compute_detail(project) -> None:
    """计算投资明细: each partner's share of the project, self-funded part and financed part (配资)."""
    ensure_editable(project)
    plan = initiation(project)
    if not plan.capital_peak:
        raise SubscriptionError(_("请先填写资金峰值"))
    changes = []
    for row in _figures(project.id):
        values = detail(row.investment or ZERO, plan.capital_peak, plan.financing_ratio)
        if any(getattr(row, k) != v for k, v in values.items()):
            changes.append((row, values))
    _write_figures(project, _l("计算投资明细"), changes)


def subscriptions(project_id: int) -> list[Subscription]:
    return db.session.scalars(db.select(Subscription).options(joinedload(Subscription.user))
                              .where(Subscription.project_id == project_id)
                              .order_by(TIER_ORDER, Subscription.id)).all()


def subscribe(subscription: Subscription, amount: Decimal, today: dt.date) -> None:
    """A partner's 认购: within their bounds, on or before the deadline."""
    if today > subscription.deadline:
        raise SubscriptionError(_("认购已截止（截至日期 %(d)s）", d=subscription.deadline.isoformat()))
    if not subscription.min_amount <= amount <= subscription.max_amount:
        raise SubscriptionError(_("认购金额须在 %(low)s 至 %(high)s 之间", low=f"{subscription.min_amount:,}",
                                  high=f"{subscription.max_amount:,}"))
    found = required(subscription.project_id).get(subscription.user_id)
    if found is not None and amount < found.minimum:
        raise SubscriptionError(_("您是%(label)s合伙人，认购金额不能低于 %(low)s", label=found.label,
                                  low=f"{found.minimum:,}"))
    from core.models.user import utcnow
    subscription.subscribed_amount, subscription.subscribed_at = amount, utcnow()


def new_token() -> str:
    return uuid.uuid4().hex


@dataclasses.dataclass
class PaymentLine:
    subscription: Subscription
    paid: Decimal

    @property
    def due(self) -> Decimal:
        return self.subscription.investment or ZERO

    @property
    def owed(self) -> Decimal:
        return max(self.due - self.paid, ZERO)

    @property
    def overpaid(self) -> Decimal:
        """多缴: paid beyond the investment, to be refunded (退款)."""
        return max(self.paid - self.due, ZERO)

    @property
    def status(self) -> str:
        if self.due == 0 and self.paid == 0:
            return ""
        if self.paid == 0:
            return "unpaid"
        if self.paid < self.due:
            return "partly"
        return "paid" if self.paid == self.due else "overpaid"


STATUS_LABELS = {"unpaid": _l("未缴款"), "partly": _l("部分缴款"), "paid": _l("已缴清"), "overpaid": _l("多缴")}


def paid_totals(*where) -> dict[int, Decimal]:
    """What each partner has paid (subscription id -> amount): payments less refunds, reversed (冲销) entries
    left out."""
    rows = db.session.execute(db.select(Payment.subscription_id, db.func.sum(Payment.amount))
                              .where(Payment.reversed_at.is_(None), *where).group_by(Payment.subscription_id)).all()
    return {subscription_id: Decimal(total).quantize(CENT) for subscription_id, total in rows}


def payment_lines(project_id: int) -> list[PaymentLine]:
    paid = paid_totals(Payment.project_id == project_id)
    return [PaymentLine(s, paid.get(s.id, ZERO)) for s in subscriptions(project_id)]
