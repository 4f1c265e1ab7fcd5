"""Events of the disclosure stage, for other plugins to react to."""
import dataclasses

from core.declarations import Event


@dataclasses.dataclass(frozen=True)
class DisclosurePublished(Event):
    """A 披露 process was approved: version ``version_id`` (第 ``number`` 版, figures as of ``as_of``, ISO
    date) of the project's 盈亏动态 is disclosed to its partners and can no longer change."""

    project_id: int
    version_id: int
    number: int
    as_of: str
    process_id: int
