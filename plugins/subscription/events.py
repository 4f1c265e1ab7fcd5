"""Events this stage emits, for agreements, DingTalk, the CRM and others to react to."""
import dataclasses

from core.declarations import Event


@dataclasses.dataclass(frozen=True)
class SubscriptionConfirmed(Event):
    """A partner's investment was approved (事业合伙立项 approved)."""

    project_id: int
    subscription_id: int
    user_id: int
    investment: str  # Decimal as text, two places


@dataclasses.dataclass(frozen=True)
class PaymentConfirmed(Event):
    """A payment of a partner was confirmed (缴款确认)."""

    project_id: int
    subscription_id: int
    payment_id: int
    amount: str
    paid_total: str  # what the partner has paid in all, payments less refunds, reversed entries left out


@dataclasses.dataclass(frozen=True)
class PaymentReversed(Event):
    """A wrong payment or refund entry was reversed (冲销); ``paid_total`` is what remains paid, so a
    partner who drops below their investment is no longer paid in full (已缴清)."""

    project_id: int
    subscription_id: int
    payment_id: int
    amount: str  # the reversed entry's amount (negative for a refund)
    paid_total: str
    reason: str


@dataclasses.dataclass(frozen=True)
class PaymentRefunded(Event):
    """What a partner overpaid was refunded (退款); ``paid_total`` is back to their investment."""

    project_id: int
    subscription_id: int
    payment_id: int
    amount: str  # the refund, positive
    paid_total: str
