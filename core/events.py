"""Emit business events to the plugins a group company has enabled."""
from core.declarations import Event


def emit(event: Event) -> None:
    """Call ``on_event`` on the enabled plugins of ``event.group_id``, inside the current transaction."""
    from core.modules import hooks_for
    hooks_for(event.group_id).on_event(event=event)
