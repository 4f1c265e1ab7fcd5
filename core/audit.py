"""Write the audit log from the unit of work, in the same transaction as the change.

Every model with ``__audited__ = True`` gets a row per create, update and delete, holding
the values before and after (columns listed in ``__audit_exclude__`` are left out). Named
actions that change no column (a module enabled, a review passed) use ``record_action``.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import enum

import sqlalchemy as sa
from sqlalchemy import event, inspect

from core.models.audit import AuditLog
from core.i18n import stored
from core.redact import scrub, scrub_tree, scrubber
from core.tenancy import current_group_id

# (user id or None, display name): who is acting now.
_actor: contextvars.ContextVar[tuple[int | None, str]] = contextvars.ContextVar("gentou_actor", default=(None, "system"))


def set_actor(user_id: int | None, name: str):
    return _actor.set((user_id, name))


def reset_actor(token) -> None:
    _actor.reset(token)


@contextlib.contextmanager
def acting_as(user_id: int | None, name: str):
    token = _actor.set((user_id, name))
    try:
        yield
    finally:
        _actor.reset(token)


def _plain(value):
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _plain_tree(value):
    if isinstance(value, dict):
        return {str(k): _plain_tree(v) for k, v in value.items()}
    return _plain(value)


def _columns(obj):
    exclude = set(getattr(obj, "__audit_exclude__", ()))
    return [c for c in inspect(obj).mapper.column_attrs if c.key not in exclude]


def _snapshot(obj) -> dict:
    return {c.key: _plain(getattr(obj, c.key)) for c in _columns(obj)}


def _changes(obj) -> tuple[dict, dict]:
    state = inspect(obj)
    before, after = {}, {}
    for col in _columns(obj):
        hist = state.attrs[col.key].history
        if hist.has_changes() and hist.deleted != hist.added:
            before[col.key] = _plain(hist.deleted[0]) if hist.deleted else None
            after[col.key] = _plain(hist.added[0]) if hist.added else None
    return before, after


def describe(obj) -> str:
    """A record as the log names it: its ``__str__``, or "<model label> #<id>" when the model has none
    (never Python's ``<Payment (pending …)>``)."""
    if type(obj).__str__ is not object.__str__:
        return str(obj)
    label = getattr(type(obj), "__label__", type(obj).__name__)
    key = ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))
    return f"{label} #{key}"


def _row(obj, action, before, after) -> dict:
    user_id, name = _actor.get()
    group_id = getattr(obj, "group_id", None) or current_group_id()
    if group_id is None and obj.__tablename__ == "core_group_company":
        group_id = obj.id
    return {
        "group_id": group_id, "at": dt.datetime.now(dt.UTC).replace(tzinfo=None), "user_id": user_id,
        "actor": name, "action": action, "record_table": obj.__tablename__,
        "record_id": ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj)),
        "summary": scrub(describe(obj))[:200], "before": scrub_tree(before), "after": scrub_tree(after),
    }


def record_action(session, group_id: int, action: str, table: str, record_id, summary: str,
                  before: dict | None = None, after: dict | None = None) -> None:
    """Add a named action to the audit log in the session's transaction."""
    user_id, name = _actor.get()
    clean = scrubber(group_id)
    session.add(AuditLog(group_id=group_id, at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                         user_id=user_id, actor=name, action=action, record_table=table,
                         record_id=str(record_id), summary=clean(str(summary))[:200], texts=_texts(summary, clean),
                         before=scrub_tree(before, group_id), after=scrub_tree(after, group_id)))


def _texts(summary, clean) -> dict | None:
    """The summary's message id and parameters (scrubbed), to show it in the reader's language."""
    message = stored(summary, clean)
    return {"summary": message} if message else None


def record_updates(session, group_id: int, table: str, entries) -> None:
    """Audit rows written in bulk for changes made without the ORM unit of work:
    ``entries`` = [(record id, summary, before dict, after dict)]."""
    user_id, name = _actor.get()
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    clean = scrubber(group_id)
    rows = [{"group_id": group_id, "at": at, "user_id": user_id, "actor": name, "action": "update",
             "record_table": table, "record_id": str(record_id), "summary": clean(str(summary))[:200],
             "texts": _texts(summary, clean),
             "before": scrub_tree(_plain_tree(before), group_id), "after": scrub_tree(_plain_tree(after), group_id)}
            for record_id, summary, before, after in entries]
    if rows:
        session.execute(sa.insert(AuditLog.__table__), rows)


def install(session_class) -> None:
    @event.listens_for(session_class, "after_flush")
    def _write_audit(session, flush_context):
        rows = []
        for obj in session.new:
            if getattr(obj, "__audited__", False):
                rows.append(_row(obj, "create", None, _snapshot(obj)))
        for obj in session.dirty:
            if getattr(obj, "__audited__", False) and session.is_modified(obj, include_collections=False):
                before, after = _changes(obj)
                if after:
                    rows.append(_row(obj, "update", before, after))
        for obj in session.deleted:
            if getattr(obj, "__audited__", False):
                rows.append(_row(obj, "delete", _snapshot(obj), None))
        rows = [r for r in rows if r["group_id"] is not None]
        if rows:
            session.connection().execute(sa.insert(AuditLog.__table__), rows)
