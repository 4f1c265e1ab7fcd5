"""Concurrent edits: every edit form carries the version its record was read at (a hidden field
``version``); saving claims the record at that version, so of two people who read the same form
the first save wins and the second is told, with nothing saved.

The claim is one conditional UPDATE (… SET version = version + 1 WHERE id = :id AND version = :read),
which also holds the row until the commit, so two saves cannot both pass. A record whose list of
rows is edited on one form (股权合作, 项目授权) is claimed through the record that owns the list.
A lost claim raises ``StaleDataError``, as the mapper's ``version_id_col`` does for a flush of a
stale row; the host answers both in one place (core/ui.py) with the message and a rollback.
"""
from __future__ import annotations

from flask import request
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from core.extensions import db
from core.forms import Form

FIELD = "version"


class VersionedForm(Form):
    """A WTForms edit form; ``version`` is filled from the record (``obj=``) and posted back."""

    version = HiddenField()


def read_version(value) -> int | None:
    raw = str(value if value is not None else "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def claim(record, submitted: str | None = None) -> None:
    """Take ``record`` for this save if it is still at the version the form was read at (the
    posted hidden field, or ``submitted``); else raise StaleDataError. Call it once the form is
    valid. A new record (no id yet) has nothing to claim."""
    if record is None or record.id is None:
        return
    if submitted is None:  # the posted field itself: a WTForms field missing from the post takes obj's value
        submitted = request.form.get(FIELD, "")
    read = read_version(submitted)
    table = record.__table__
    with db.session.no_autoflush:
        changed = read is not None and db.session.execute(
            table.update().where(table.c.id == record.id, table.c[FIELD] == read)
            .values({FIELD: table.c[FIELD] + 1})).rowcount == 1
    if not changed:
        raise StaleDataError(f"{table.name} {record.id} is no longer at version {submitted!r}")
    # The session now knows the row at its new version: a later flush of this record's changes
    # (version_id_col) updates the row we claimed.
    set_committed_value(record, FIELD, read + 1)


def expect(current_version: int, submitted: str | None = None) -> None:
    """For a record saved as a new version each time (模板管理): the form must have been read at the
    current version, else StaleDataError. Two saves at once take the same next number, which the
    table's unique key refuses to the second."""
    if submitted is None:
        submitted = request.form.get(FIELD, "")
    if read_version(submitted) != current_version:
        raise StaleDataError(f"read at version {submitted!r}, now at {current_version}")
