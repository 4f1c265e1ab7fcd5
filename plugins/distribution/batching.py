"""The batch machinery of a distribution, whoever is paid: 事业合伙分配 (partners) here, 股东分配 (the
minority plugin's outside shareholders) built on it.

A batch model has ``id``, ``group_id``, ``project_id``, ``approved_at``, a ``label`` and a version
column, and is ``__reviewed__`` (core.review: 送审 → 审核通过 / 退回, its figures locked meanwhile); its
line model has ``batch_id``, a version column and ``review_target()`` naming the batch. What is here
is the same for every kind of payee: whether a batch may change, deleting a batch not yet submitted,
the one guarded write of many lines' figures with one audit entry, and the approval that locks a
batch for good with its date.
"""
from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, flash
from core.i18n import gettext as _

from core import review as reviews
from core.audit import record_action
from core.bulk import write_figures
from core.extensions import db
from core.models.user import utcnow


class BatchError(ValueError):
    """A refused change to a batch; the message is for the user."""


def batch_or_404(model, project, batch_id: int):
    """The batch ``batch_id`` of ``project`` (a row of ``model``), else 404."""
    batch = db.session.scalar(db.select(model).where(model.id == batch_id, model.project_id == project.id))
    if batch is None:
        abort(404)
    return batch


def is_editable(batch) -> bool:
    """Neither approved nor under review (or the review was sent back, or a business admin unlocked it)."""
    return batch.approved_at is None and reviews.is_editable(batch)


def ensure_editable(batch) -> None:
    if not is_editable(batch):
        raise BatchError(_("%(record)s正在审核或已审核通过，需业务管理员解锁后才能修改", record=batch.label))


def delete(batch, line_model) -> None:
    """删除当前批次 with its lines: only before it is sent to review."""
    if reviews.review_of(batch) is not None or batch.approved_at is not None:
        raise BatchError(_("已送审的批次不能删除"))
    db.session.execute(sa.delete(line_model.__table__).where(line_model.batch_id == batch.id))
    db.session.delete(batch)


def write(batch, line_model, action: str, changes: list[tuple[object, dict]]) -> None:
    """Store many lines' figures at once, with one audit entry holding every line's before and after;
    a line changed by someone else since it was read refuses the whole write."""
    if not write_figures(line_model, batch.group_id, f"batch:{batch.id}", f"{batch.label} · {action}",
                         changes, lambda row: row.batch_id == batch.id):
        raise BatchError(_("分配明细已被他人修改，请刷新后重试"))


def mark_approved(batch, action: str) -> bool:
    """The batch's figures are final, with the date (claimed once, audited as ``action``)."""
    model, now = type(batch), utcnow()
    done = db.session.execute(sa.update(model).where(model.id == batch.id, model.approved_at.is_(None))
                              .values(approved_at=now).execution_options(synchronize_session=False)).rowcount
    if done:
        record_action(db.session, batch.group_id, action, model.__tablename__, batch.id, batch.label,
                      before={"approved_at": None}, after={"approved_at": now.isoformat(timespec="seconds")})
        db.session.refresh(batch)
    return bool(done)


def submit(batch, project, user) -> bool:
    """送审 (申请审核) of a batch and commit: it goes to the business admin's review, its figures lock.
    A refused step is rolled back and its message flashed."""
    try:
        reviews.submit(batch, user, _("%(project)s %(batch)s", project=project.name, batch=batch.label), project.id)
        db.session.commit()
        return True
    except reviews.ReviewError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return False


def xlsx(data: bytes, name: str) -> Response:
    """A workbook to download as ``name`` (any characters: sent as RFC 5987 UTF-8)."""
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def done(action) -> bool:
    """For a view: run ``action`` and commit; a refused change is rolled back and its message flashed."""
    try:
        action()
        db.session.commit()
        return True
    except BatchError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return False


def created(make):
    """For a view: 新建分配批次 by ``make()`` and commit; the new batch (its creation flashed), or None
    (the refusal flashed)."""
    made = []
    if not done(lambda: made.append(make())):
        return None
    flash(_("已新建分配批次：%(label)s", label=made[0].label), "success")
    return made[0]


def deleted(batch, remove) -> bool:
    """For a view: 删除当前批次 by ``remove()`` and commit, flashing the outcome."""
    label = batch.label
    if not done(remove):
        return False
    flash(_("已删除分配批次：%(label)s", label=label), "success")
    return True
