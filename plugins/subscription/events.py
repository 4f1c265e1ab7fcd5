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
    paid_total: str
