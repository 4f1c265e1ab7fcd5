import dataclasses

from core.declarations import Event


@dataclasses.dataclass(frozen=True)
class EntryAdded(Event):
    entry_id: int
