"""The transactional outbox: notices are rows written with the business change, then delivered.

``notify`` adds a batch and one notice per (recipient, channel) to the current session; when
that transaction commits, delivery jobs are enqueued (RQ) or run in-process (no Redis). If the
enqueue fails (Redis down) the rows stay pending and ``sweep`` re-enqueues them later.
``deliver`` claims its notices with one conditional UPDATE, so a notice is sent by one job
only, even when two workers run the same job or a sweeper re-enqueued it.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import uuid

from flask import current_app
from sqlalchemy import and_, or_

from core import ratelimit
from core.channels import Message, PermanentError, TransientError
from core.extensions import db
from core.jobs import enqueue, redis_connection
from core.models import Notice, NoticeBatch, User
from core.models.notice import FAILED, PENDING, SENDING, SENT
from core.models.user import utcnow
from core.tenancy import tenant

log = logging.getLogger("gentou.outbox")
DELIVER_JOB = "core.deliver_notices"


def channels() -> dict:
    return current_app.extensions["gentou"].channels


def personal_channels(group_id: int) -> tuple[str, ...]:
    """The personal channels (inbox, work notices, ...) of the modules ``group_id`` enabled."""
    from core.modules import enabled_modules
    enabled = enabled_modules(group_id)
    return tuple(name for name, c in channels().items() if c.personal and (not c.plugin or c.plugin in enabled))


def notify(group_id: int, recipient_ids, title: str, body: str = "", link: str = "", channels_=("inbox",),
           kind: str = "", project_id: int | None = None, actor: str = "", is_test: bool = False) -> NoticeBatch:
    """Write a batch of one message to many, in the current transaction; delivered after the commit."""
    return notify_each(group_id, [(rid, body) for rid in dict.fromkeys(recipient_ids)], title, link, channels_,
                       kind, project_id, actor, is_test)


def notify_each(group_id: int, messages, title: str, link: str = "", channels_=("inbox",), kind: str = "",
                project_id: int | None = None, actor: str = "", is_test: bool = False) -> NoticeBatch:
    """Like ``notify``, with a body per recipient: ``messages`` = [(recipient id, body)], one batch."""
    unknown = [c for c in channels_ if c not in channels()]
    if unknown:
        raise KeyError(f"unknown notification channel(s): {unknown}")
    now = utcnow()
    batch = NoticeBatch(group_id=group_id, project_id=project_id, kind=kind, title=title[:200], created_at=now,
                        created_by=actor, is_test=is_test)
    db.session.add(batch)
    db.session.flush()
    notices = [Notice(group_id=group_id, key=f"{batch.id}:{rid}:{channel}", batch_id=batch.id, project_id=project_id,
                      recipient_id=rid, channel=channel, title=title[:200], body=body, link=link, created_at=now)
               for channel in channels_ for rid, body in messages]  # channel by channel: a job can batch them
    db.session.add_all(notices)
    db.session.flush()
    schedule(group_id, [n.id for n in notices])
    return batch


def schedule(group_id: int, notice_ids: list[int]) -> None:
    """Enqueue delivery of ``notice_ids`` (in chunks) once the transaction commits."""
    size = current_app.config.get("NOTICE_CHUNK", 100)
    for start in range(0, len(notice_ids), size):
        enqueue(DELIVER_JOB, group_id, notice_ids=notice_ids[start:start + size])


def _backoff(attempts: int) -> float:
    base = current_app.config.get("NOTICE_BACKOFF_BASE", 2.0)
    return min(base * 2 ** (attempts - 1), 600.0) * random.uniform(0.5, 1.0)


def _claim(notice_ids: list[int]) -> list:
    """Take the due notices among ``notice_ids`` for this job (one UPDATE … RETURNING), committed."""
    now = utcnow()
    stale = now - dt.timedelta(seconds=current_app.config.get("NOTICE_SENDING_TIMEOUT", 300))
    claimed = db.session.execute(
        db.update(Notice).where(Notice.id.in_(notice_ids), or_(
            and_(Notice.state == PENDING, or_(Notice.next_attempt_at.is_(None), Notice.next_attempt_at <= now)),
            and_(Notice.state == SENDING, Notice.claimed_at < stale)))
        .values(state=SENDING, claimed_at=now, claim=uuid.uuid4().hex, attempts=Notice.attempts + 1)
        .returning(Notice.id, Notice.key, Notice.group_id, Notice.channel, Notice.recipient_id, Notice.title,
                   Notice.body, Notice.link, Notice.project_id, Notice.attempts)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    return sorted(claimed, key=lambda row: row.id)


def _message(notice, users: dict) -> Message:
    user = users[notice.recipient_id]
    return Message(id=notice.id, key=notice.key, group_id=notice.group_id, channel=notice.channel,
                   recipient_id=user.id, recipient_name=user.name, recipient_mobile=user.mobile, title=notice.title,
                   body=notice.body, link=notice.link, project_id=notice.project_id, attempts=notice.attempts)


def _send_rate_limited(channel, messages: list[Message]) -> dict[int, object]:
    limit, period = channel.rate_limit
    redis_client = redis_connection()
    results = {}
    for message in messages:
        # One window per channel and group company: each company has its own robot, app, quota.
        with ratelimit.hold(f"channel:{channel.name}:{message.group_id}", limit, period, redis_client) as got_slot:
            if got_slot:
                results.update(channel.send([message]))
            else:
                results[message.id] = TransientError("rate limit: waiting for a free slot", retry_after=period)
    return results


def deliver(notice_ids: list[int]) -> dict[str, int]:
    """The delivery job: claim, send per channel, record each result. Returns counts by outcome."""
    from core.modules import is_enabled

    claimed = _claim(notice_ids)
    outcome = {SENT: 0, FAILED: 0, PENDING: 0}
    if not claimed:
        return outcome
    users = {u.id: u for u in db.session.execute(db.select(User.id, User.name, User.mobile).where(
        User.id.in_({n.recipient_id for n in claimed})))}
    by_channel: dict[str, list] = {}
    for notice in claimed:
        by_channel.setdefault(notice.channel, []).append(notice)
    retry: dict[int, float] = {}
    for name, notices in by_channel.items():
        channel = channels().get(name)
        if channel is None:
            results = {n.id: PermanentError(f"channel {name} is not installed") for n in notices}
        elif channel.plugin and not is_enabled(notices[0].group_id, channel.plugin):
            results = {n.id: PermanentError(f"module {channel.plugin} is not enabled") for n in notices}
        else:
            messages = [_message(n, users) for n in notices]
            try:
                results = (_send_rate_limited(channel, messages) if channel.rate_limit
                           else channel.send(messages))
            except Exception as exc:  # a channel bug must not leave notices claimed forever
                log.exception("channel %s failed", name)
                results = {m.id: TransientError(f"{type(exc).__name__}: {exc}") for m in messages}
        _record(notices, results, outcome, retry)
        db.session.commit()
    if retry:
        _schedule_retry(claimed[0].group_id, sorted(retry), min(retry.values()))
    return outcome


def _record(notices: list, results: dict, outcome: dict, retry: dict[int, float]) -> None:
    """Write each notice's result: sent ones together, by external id; retries and failures one by one."""
    now = utcnow()
    limit = current_app.config.get("NOTICE_MAX_ATTEMPTS", 5)
    sent: dict[str, list[int]] = {}
    others = []
    for notice in notices:
        result = results.get(notice.id, TransientError("no result from channel"))
        if isinstance(result, TransientError) and notice.attempts < limit:
            delay = max(result.retry_after or 0.0, _backoff(notice.attempts))
            retry[notice.id] = delay
            others.append({"nid": notice.id, "state": PENDING, "error": str(result)[:500],
                           "due": now + dt.timedelta(seconds=delay)})
        elif isinstance(result, Exception):
            others.append({"nid": notice.id, "state": FAILED, "error": str(result)[:500], "due": None})
        else:
            sent.setdefault(str(result or "")[:80], []).append(notice.id)
            outcome[SENT] += 1
            continue
        outcome[others[-1]["state"]] += 1
    for external_id, ids in sent.items():
        db.session.execute(db.update(Notice).where(Notice.id.in_(ids))
                           .values(state=SENT, sent_at=now, last_error="", external_id=external_id)
                           .execution_options(synchronize_session=False))
    if others:
        table = Notice.__table__
        db.session.execute(db.update(table).where(table.c.id == db.bindparam("nid"))
                           .values(state=db.bindparam("state"), last_error=db.bindparam("error"),
                                   next_attempt_at=db.bindparam("due")), others)


def _schedule_retry(group_id: int, notice_ids: list[int], delay: float) -> None:
    """Retry later: RQ's scheduler with Redis; without it the sweeper picks them up."""
    if not notice_ids or not current_app.config.get("REDIS_URL"):
        return
    from core.jobs import queue, rq_perform
    try:
        if delay <= 0:
            queue().enqueue(rq_perform, DELIVER_JOB, group_id, {"notice_ids": notice_ids})
        else:
            queue().enqueue_in(dt.timedelta(seconds=delay), rq_perform, DELIVER_JOB, group_id,
                               {"notice_ids": notice_ids})
    except Exception:  # Redis trouble: the rows are pending, the sweeper will find them
        log.warning("could not schedule the retry of %s notices; the sweeper will", len(notice_ids))


def sweep(grace_seconds: float | None = None) -> int:
    """Re-enqueue notices stuck in pending (never enqueued, or due again) or in sending (worker lost)."""
    now = utcnow()
    grace = dt.timedelta(seconds=current_app.config.get("NOTICE_PENDING_GRACE", 60)
                         if grace_seconds is None else grace_seconds)
    stale = now - dt.timedelta(seconds=current_app.config.get("NOTICE_SENDING_TIMEOUT", 300))
    with tenant(None):
        rows = db.session.execute(db.select(Notice.group_id, Notice.id).where(or_(
            and_(Notice.state == PENDING, Notice.next_attempt_at.is_(None), Notice.created_at <= now - grace),
            and_(Notice.state == PENDING, Notice.next_attempt_at <= now),
            and_(Notice.state == SENDING, Notice.claimed_at < stale))).order_by(Notice.id)).all()
        by_group: dict[int, list[int]] = {}
        for group_id, notice_id in rows:
            by_group.setdefault(group_id, []).append(notice_id)
        for group_id, ids in by_group.items():
            schedule(group_id, ids)
        db.session.commit()
    return len(rows)


def retry(notice: Notice) -> None:
    """An admin's retry of a failed notice: pending again, delivered after the commit."""
    notice.state, notice.next_attempt_at, notice.last_error = PENDING, None, ""
    schedule(notice.group_id, [notice.id])


def mark_failed(notice_id: int, reason: str) -> bool:
    """A channel learnt after the fact that a sent notice did not arrive (e.g. DingTalk's
    getsendresult lists the user as invalid): record it as failed. The caller commits."""
    result = db.session.execute(db.update(Notice).where(Notice.id == notice_id, Notice.state == SENT)
                                .values(state=FAILED, last_error=reason[:500])
                                .execution_options(synchronize_session=False))
    return result.rowcount == 1


def progress_report(batch_id: int) -> dict:
    """The batch's counts, a line for people ("已发送 212 / 300，3 条失败") and whether it is finished."""
    from flask_babel import gettext as _
    counts = progress(batch_id)
    return {**counts, "finished": counts["pending"] == 0,
            "text": _("已发送 %(sent)s / %(total)s，%(failed)s 条失败", **counts)}


def progress(batch_id: int) -> dict[str, int]:
    rows = dict(db.session.execute(db.select(Notice.state, db.func.count()).where(Notice.batch_id == batch_id)
                                   .group_by(Notice.state)).all())
    return {"total": sum(rows.values()), "sent": rows.get(SENT, 0), "failed": rows.get(FAILED, 0),
            "pending": rows.get(PENDING, 0) + rows.get(SENDING, 0)}
