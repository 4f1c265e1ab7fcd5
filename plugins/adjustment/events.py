"""Events of the changes after 事业合伙立项, for agreements (补充协议), DingTalk, the CRM and others."""
import dataclasses

from core.declarations import Event


@dataclasses.dataclass(frozen=True)
class InvestmentChanged(Event):
    """A partner's investment changed by an approved round (立项信息变更, 事业合伙补充立项, 新增合伙);
    a new partner's ``old`` is "0.00". Amounts are Decimal as text, two places."""

    project_id: int
    subscription_id: int
    user_id: int
    old: str
    new: str
    round_id: int
    process_id: int


@dataclasses.dataclass(frozen=True)
class AdditionalPaymentDue(Event):
    """补缴: the partner is to pay ``amount`` more by ``deadline`` (ISO date or "")."""

    project_id: int
    subscription_id: int
    user_id: int
    amount: str
    deadline: str
    round_id: int


@dataclasses.dataclass(frozen=True)
class RefundDue(Event):
    """退款: ``amount`` is to go back to the partner (never more than they paid)."""

    project_id: int
    subscription_id: int
    user_id: int
    amount: str
    round_id: int


@dataclasses.dataclass(frozen=True)
class AdjustmentSettled(Event):
    """A 补缴 (positive ``amount``) or 退款 (negative) of a round was confirmed with its date."""

    project_id: int
    subscription_id: int
    round_id: int
    payment_id: int
    amount: str
    settled_on: str
