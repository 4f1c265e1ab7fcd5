"""Generic review (送审 → 审核通过 / 退回) for a record of any stage, and its edit lock.

A model opts in with ``__reviewed__ = True`` (and names the page showing it with
``__review_endpoint__``, which the review queue links to). While its record is submitted, or after it
passed, the record cannot be changed (the unit of work refuses the flush) until a business
admin unlocks it (解锁编辑); locking again (锁定) closes it. Every transition is audited.
A model whose rows are governed by another record's review (a plan's lines by the plan)
defines ``review_target()`` returning that record, and ``review_key()`` naming it cheaply
(rows with the same key share one check per flush). A model may define ``review_passed(review)``:
it is called inside the decision's transaction when its record passes (e.g. a batch records the
day it was approved and locks for good).
"""
from __future__ import annotations

from core.i18n import gettext as _
from sqlalchemy import event

from core import roles
from core.audit import record_action
from core.extensions import db
from core.forms import text_problem
from core.models.user import utcnow
from core.processes.models import DRAFT, PASSED, RETURNED, SUBMITTED, Review

TRANSITIONS = {DRAFT: {SUBMITTED}, RETURNED: {SUBMITTED}, SUBMITTED: {PASSED, RETURNED}, PASSED: set()}


class ReviewError(ValueError):
    """A refused review step; the message is for the user."""


class RecordLocked(ReviewError):
    """A reviewed record was changed while under review or approved and not unlocked."""


def review_of(record) -> Review | None:
    with db.session.no_autoflush:
        return db.session.scalar(db.select(Review).where(Review.record_table == record.__tablename__,
                                                         Review.record_id == record.id))


def record_url(review: Review) -> str:
    """The page of the reviewed record: its model's ``__review_endpoint__`` (a Flask endpoint taking
    ``project_id``), else the review queue."""
    from flask import url_for
    model = next((m.class_ for m in db.Model.registry.mappers if m.local_table.name == review.record_table), None)
    endpoint = getattr(model, "__review_endpoint__", None)
    if endpoint and review.project_id is not None:
        return url_for(endpoint, project_id=review.project_id)
    return url_for("reviews.queue", state=review.state)


def _record(review: Review):
    """The reviewed record itself (its model found by table name), or None."""
    model = next((m.class_ for m in db.Model.registry.mappers if m.local_table.name == review.record_table), None)
    return db.session.get(model, review.record_id) if model is not None else None


def is_editable(record) -> bool:
    target = record.review_target() if hasattr(record, "review_target") else record
    if target is None:
        return True
    review = review_of(target)
    return review is None or review.state in (DRAFT, RETURNED) or review.unlocked


def _move(review: Review, target: str, user, **values) -> None:
    if target not in TRANSITIONS[review.state]:
        raise ReviewError(_("当前状态（%(state)s）不能执行此操作", state=review.state_label))
    result = db.session.execute(db.update(Review).where(Review.id == review.id, Review.state == review.state)
                                .values(state=target, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ReviewError(_("该记录已被他人处理，请刷新后查看"))
    before = review.state
    db.session.refresh(review)
    record_action(db.session, review.group_id, f"review:{target}", review.record_table, review.record_id,
                  str(review), before={"state": before}, after={"state": target, "comment": values.get("comment", "")})


def submit(record, user, title: str, project_id: int | None) -> Review:
    """送审. The caller commits."""
    review = review_of(record)
    if review is None:
        review = Review(group_id=record.group_id, record_table=record.__tablename__, record_id=record.id,
                        project_id=project_id, title=title[:200], state=DRAFT)
        db.session.add(review)
        db.session.flush()
    _move(review, SUBMITTED, user, submitted_by=user.username, submitted_at=utcnow(), unlocked=False, comment="")
    from core import worklist
    worklist.review_submitted(review)
    return review


def decide(review: Review, user, passed: bool, comment: str) -> None:
    """审核通过 or 退回, by a business admin. The caller commits."""
    if not user.has_role(roles.BUSINESS_ADMIN):
        raise ReviewError(_("只有业务管理员可以审核"))
    problem = text_problem(_("审核意见"), comment, Review.comment)
    if problem:
        raise ReviewError(problem)
    _move(review, PASSED if passed else RETURNED, user, decided_by=user.username, decided_at=utcnow(),
          comment=comment[:500])
    if passed:
        record = _record(review)
        if hasattr(record, "review_passed"):
            record.review_passed(review)
    from core import worklist
    worklist.review_decided(review)


def set_unlocked(review: Review, user, unlocked: bool) -> None:
    """解锁编辑 / 锁定 of a passed record, by a business admin. The caller commits."""
    if not user.has_role(roles.BUSINESS_ADMIN):
        raise ReviewError(_("只有业务管理员可以解锁编辑"))
    if review.state != PASSED:
        raise ReviewError(_("只有审核通过的记录需要解锁"))
    if review.unlocked == unlocked:
        return
    review.unlocked = unlocked
    record_action(db.session, review.group_id, "review:unlock" if unlocked else "review:lock", review.record_table,
                  review.record_id, str(review), before={"unlocked": not unlocked}, after={"unlocked": unlocked})


def install(session_class) -> None:
    @event.listens_for(session_class, "before_flush")
    def _refuse_locked_changes(session, flush_context, instances):
        checked: dict = {}
        for obj in list(session.dirty) + list(session.deleted):
            if getattr(obj, "__reviewed__", False) and (obj in session.deleted or session.is_modified(obj)):
                key = obj.review_key() if hasattr(obj, "review_key") else (obj.__tablename__, obj.id)
                if key not in checked:
                    checked[key] = is_editable(obj)
                if not checked[key]:
                    raise RecordLocked(_("%(record)s正在审核或已审核通过，需业务管理员解锁后才能修改", record=str(obj)))
