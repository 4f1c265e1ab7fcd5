"""Events of the exit stage, for other plugins (agreements, CRM, notices...) to react to."""
import dataclasses

from core.declarations import Event


@dataclasses.dataclass(frozen=True)
class PartnerExited(Event):
    """A partner's 离职退休流程 was approved: they leave the project on ``exit_on`` (ISO date).
    ``kind`` is resign (离职) or retire (退休); ``keeps_stake`` when a retired partner keeps it."""

    project_id: int
    exit_id: int
    user_id: int
    subscription_id: int
    kind: str
    exit_on: str
    keeps_stake: bool = False


@dataclasses.dataclass(frozen=True)
class StakeTransferred(Event):
    """合伙投资过户给平台公司: ``amount`` (Decimal text, two places) of the partner's investment is now the
    platform company's (``company_id``, a company of the group's tree)."""

    project_id: int
    exit_id: int
    user_id: int
    subscription_id: int
    company_id: int
    amount: str
