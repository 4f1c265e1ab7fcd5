"""Events of the distribution stage, for agreements, DingTalk, the CRM and others to react to."""
import dataclasses

from core.declarations import Event


@dataclasses.dataclass(frozen=True)
class DistributionApproved(Event):
    """A batch's approval process passed: its figures are final. Amounts are Decimal text, two places,
    in the order of ``user_ids`` (each partner's 分配合计 含其它)."""

    project_id: int
    batch_id: int
    user_ids: tuple[int, ...]
    amounts: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class DistributionPaid(Event):
    """A batch was distributed on its date (分配通知 sent); the fields of DistributionApproved, and what the
    batch is: ``kind`` (principal, profit or liquidation), ``number`` (N of 第N次利润分配, else 1) and
    ``distributed_on`` (its 分配日期, ISO)."""

    project_id: int
    batch_id: int
    user_ids: tuple[int, ...]
    amounts: tuple[str, ...]
    kind: str = ""
    number: int = 1
    distributed_on: str = ""
