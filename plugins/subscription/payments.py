"""缴款 entries: a payment confirmed, a wrong entry reversed (冲销), an overpayment refunded (退款).

Entries are never deleted or changed in amount: a reversal leaves the entry on the list and out of
every total. Each step emits its event with what the partner has paid in all after it.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.i18n import gettext as _

from core.audit import record_action
from core.events import emit
from core.extensions import db
from core.forms import text_problem
from core.models.user import utcnow
from core.ui import SHANGHAI
from plugins.subscription import services
from plugins.subscription.events import PaymentConfirmed, PaymentRefunded, PaymentReversed
from plugins.subscription.models import PAYMENT_KINDS, Payment, Subscription


class PaymentError(ValueError):
    """A refused correction; the message is for the user."""


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def date_problem(value: dt.date | None, label: str) -> str | None:
    """A payment cannot be dated after today (Asia/Shanghai)."""
    if value is not None and value > today():
        return _("%(label)s不能晚于今天（%(today)s）", label=label, today=today().isoformat())
    return None


def plan_problem(project) -> str | None:
    """Why 缴款 cannot use the plan's figures now, or None: 事业合伙立项 must be approved, and a plan unlocked
    for editing (解锁编辑) counts again only once the business admin has reviewed and locked it (锁定)."""
    from core.review import review_of
    if not services.is_approved(project.id, services.INITIATION_PROCESS):
        return _("须先完成：事业合伙立项")
    review = review_of(services.initiation(project))
    if review is not None and review.unlocked:
        return _("认购方案已解锁编辑，修改后的金额须经业务管理员重新审核锁定后才能用于缴款")
    return None


def paid_total(subscription_id: int) -> Decimal:
    return services.paid_totals(Payment.subscription_id == subscription_id).get(subscription_id, services.ZERO)


def _entry(subscription: Subscription, kind: str, paid_on: dt.date, amount: Decimal, actor: str) -> Payment:
    payment = Payment(subscription_id=subscription.id, project_id=subscription.project_id, kind=kind, paid_on=paid_on,
                      amount=amount, recorded_by=actor, recorded_at=utcnow())
    db.session.add(payment)
    db.session.flush()
    return payment


def confirm(subscription: Subscription, paid_on: dt.date, amount: Decimal, actor: str) -> Payment:
    """缴款确认 of one payment; the caller commits."""
    payment = _entry(subscription, "payment", paid_on, amount, actor)
    emit(PaymentConfirmed(group_id=subscription.group_id, project_id=subscription.project_id,
                          subscription_id=subscription.id, payment_id=payment.id, amount=f"{amount:.2f}",
                          paid_total=f"{paid_total(subscription.id):.2f}"))
    return payment


def reverse(payment: Payment, reason: str, actor: str) -> None:
    """冲销 a wrong entry, with a reason; audited. Of two reversals at once, one is refused."""
    reason = reason.strip()
    if not reason:
        raise PaymentError(_("请填写冲销原因"))
    problem = text_problem(_("冲销原因"), reason, Payment.reversal_reason)
    if problem:
        raise PaymentError(problem)
    done = db.session.execute(db.update(Payment).where(Payment.id == payment.id, Payment.reversed_at.is_(None))
                              .values(reversed_at=utcnow(), reversed_by=actor, reversal_reason=reason)
                              .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise PaymentError(_("该记录已冲销"))
    db.session.refresh(payment)
    subscription = db.session.get(Subscription, payment.subscription_id)
    record_action(db.session, payment.group_id, "reverse", Payment.__tablename__, payment.id,
                  _("%(name)s：冲销%(entry)s", name=subscription.user.name, entry=str(payment)),
                  before={"reversed": False}, after={"reversed": True, "reason": reason})
    emit(PaymentReversed(group_id=payment.group_id, project_id=payment.project_id, subscription_id=subscription.id,
                         payment_id=payment.id, amount=f"{payment.amount:.2f}",
                         paid_total=f"{paid_total(subscription.id):.2f}", reason=reason))


def refund(subscription: Subscription, refunded_on: dt.date, amount_shown: Decimal | None, actor: str) -> Payment:
    """退款 of exactly what the partner overpaid, as the page showed it; the caller claims the
    subscription first (core.versioning), so two refunds at once cannot both be recorded."""
    line = services.PaymentLine(subscription, paid_total(subscription.id))
    if not line.overpaid:
        raise PaymentError(_("%(name)s 没有多缴金额", name=subscription.user.name))
    if amount_shown != line.overpaid:
        raise PaymentError(_("多缴金额已变为 %(amount)s，请刷新后重试", amount=f"{line.overpaid:,}"))
    payment = _entry(subscription, "refund", refunded_on, -line.overpaid, actor)
    emit(PaymentRefunded(group_id=subscription.group_id, project_id=subscription.project_id,
                         subscription_id=subscription.id, payment_id=payment.id, amount=f"{line.overpaid:.2f}",
                         paid_total=f"{paid_total(subscription.id):.2f}"))
    return payment
