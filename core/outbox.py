"""The transactional outbox: notices are rows written with the business change, then delivered.

``notify`` adds a batch and one notice per (recipient, channel) to the current session; when
that transaction commits, delivery jobs are enqueued (RQ) or run in-process (no Redis). If the
enqueue fails (Redis down) the rows stay pending and ``sweep`` re-enqueues them later.
``deliver`` claims its notices with one conditional UPDATE, so a notice is sent by one job
only, even when two workers run the same job or a sweeper re-enqueued it. The claim is a lease
(``NOTICE_LEASE``) the job renews while it runs: a killed worker's notices are taken again soon
after, a slow job's never. A transient failure sends the notices of that call (only) back to
pending with a backoff, and a job is scheduled for when they are due; a rate limit reschedules
without counting an attempt. Texts are scrubbed of the company's secrets before they are stored.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import threading
import uuid

from flask import current_app
from sqlalchemy import and_, or_

from core import ratelimit, redact
from core.channels import Message, PermanentError, RateLimited, TransientError
from core.extensions import db
from core.i18n import shown, stored, translations_for
from core.jobs import enqueue, perform_later, redis_connection
from core.models import Notice, NoticeBatch, User
from core.models.notice import FAILED, PENDING, SENDING, SENT
from core.models.user import utcnow
from core.tenancy import current_group_id, tenant

log = logging.getLogger("gentou.outbox")
DELIVER_JOB = "core.deliver_notices"
EARLY = 1.0  # seconds: a retry job may start this much before its notices are due and still take them


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
    clean = redact.scrubber(group_id)
    title_text = stored(title, clean)  # message ids and parameters: shown in the reader's language
    title = clean(str(title))
    messages = [(rid, clean(str(body)), _texts(title_text, stored(body, clean))) for rid, body in messages]
    batch = NoticeBatch(group_id=group_id, project_id=project_id, kind=kind, title=title[:200], created_at=now,
                        created_by=actor, is_test=is_test, texts=_texts(title_text, None))
    db.session.add(batch)
    db.session.flush()
    notices = [Notice(group_id=group_id, key=f"{batch.id}:{rid}:{channel}", batch_id=batch.id, project_id=project_id,
                      recipient_id=rid, channel=channel, title=title[:200], body=body, link=link, created_at=now,
                      texts=texts)
               for channel in channels_ for rid, body, texts in messages]  # channel by channel: a job can batch them
    db.session.add_all(notices)
    db.session.flush()
    schedule(group_id, [n.id for n in notices])
    return batch


def _texts(title: dict | None, body: dict | None) -> dict | None:
    found = {key: value for key, value in (("title", title), ("body", body)) if value}
    return found or None


def schedule(group_id: int, notice_ids: list[int]) -> None:
    """Enqueue delivery of ``notice_ids`` (in chunks) once the transaction commits."""
    size = current_app.config.get("NOTICE_CHUNK", 100)
    for start in range(0, len(notice_ids), size):
        enqueue(DELIVER_JOB, group_id, notice_ids=notice_ids[start:start + size])


def _backoff(attempts: int, jitter: float | None = None) -> float:
    """Seconds before attempt ``attempts`` + 1: doubled each time, times a jitter in [0.5, 1]."""
    base = current_app.config.get("NOTICE_BACKOFF_BASE", 2.0)
    return min(base * 2 ** (attempts - 1), 600.0) * (random.uniform(0.5, 1.0) if jitter is None else jitter)


def _claim(notice_ids: list[int]) -> tuple[str, list]:
    """Take the due notices among ``notice_ids`` for this job (one UPDATE … RETURNING), committed.
    Due: pending and its time has come (RQ's scheduler may start a job up to a second early), or
    sending under a claim whose lease ran out (its worker died)."""
    now = utcnow()
    soon = now + dt.timedelta(seconds=EARLY)
    stale = now - dt.timedelta(seconds=current_app.config["NOTICE_LEASE"])
    claim = uuid.uuid4().hex
    claimed = db.session.execute(
        db.update(Notice).where(Notice.id.in_(notice_ids), or_(
            and_(Notice.state == PENDING, or_(Notice.next_attempt_at.is_(None), Notice.next_attempt_at <= soon)),
            and_(Notice.state == SENDING, Notice.claimed_at < stale)))
        .values(state=SENDING, claimed_at=now, claim=claim, attempts=Notice.attempts + 1)
        .returning(Notice.id, Notice.key, Notice.group_id, Notice.channel, Notice.recipient_id, Notice.title,
                   Notice.body, Notice.link, Notice.project_id, Notice.attempts, Notice.batch_id, Notice.texts)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    return claim, sorted(claimed, key=lambda row: row.id)


@contextlib.contextmanager
def _lease(claim: str):
    """Renew the claim's lease while the block runs, so a long job is never taken for a dead one."""
    every = current_app.config["NOTICE_LEASE"] / 3
    engine, stop = db.engine, threading.Event()
    table = Notice.__table__

    def renew():
        while not stop.wait(every):
            try:
                with engine.begin() as conn:
                    conn.execute(db.update(table).where(table.c.claim == claim, table.c.state == SENDING)
                                 .values(claimed_at=utcnow()))
            except Exception as exc:  # a passing database error: the next beat tries again
                log.warning("could not renew the lease of claim %s: %s", claim, exc)

    threading.Thread(target=renew, daemon=True, name=f"lease-{claim[:8]}").start()
    try:
        yield
    finally:
        stop.set()


def _message(notice, users: dict) -> Message:
    """The notice for its channel, in the recipient's language when its message ids were kept."""
    user = users[notice.recipient_id]
    texts = notice.texts or {}
    language = translations_for(user.locale) if texts else None
    return Message(id=notice.id, key=notice.key, group_id=notice.group_id, channel=notice.channel,
                   recipient_id=user.id, recipient_name=user.name, recipient_mobile=user.mobile,
                   title=shown(texts.get("title"), notice.title, language)[:200],
                   body=shown(texts.get("body"), notice.body, language), link=notice.link,
                   project_id=notice.project_id, attempts=notice.attempts, batch_id=notice.batch_id,
                   texts=notice.texts)


def _send_rate_limited(channel, messages: list[Message]) -> dict[int, object]:
    """Send one by one while the window has room; the rest come back when a slot frees (never sleeps)."""
    from core.i18n import gettext as _
    limit, period = channel.rate_limit
    redis_client = redis_connection()
    results = {}
    for index, message in enumerate(messages):
        # One window per channel and group company: each company has its own robot, app, quota.
        with ratelimit.hold(f"channel:{channel.name}:{message.group_id}", limit, period, redis_client) as wait:
            if not wait:
                results.update(channel.send([message]))
                continue
        for later in messages[index:]:
            results[later.id] = RateLimited(_("超过发送频率限制，稍后发送"), retry_after=wait)
        break
    return results


def deliver(notice_ids: list[int]) -> dict[str, int]:
    """The delivery job: claim, send per channel, record each result. Returns counts by outcome."""
    from core.modules import is_enabled

    claim, claimed = _claim(notice_ids)
    outcome = {SENT: 0, FAILED: 0, PENDING: 0}
    if claimed:
        users = {u.id: u for u in db.session.execute(db.select(User.id, User.name, User.mobile, User.locale).where(
            User.id.in_({n.recipient_id for n in claimed})))}
        by_channel: dict[str, list] = {}
        for notice in claimed:
            by_channel.setdefault(notice.channel, []).append(notice)
        with _lease(claim):
            for name, notices in by_channel.items():
                _record(notices, _send(name, notices, users, is_enabled), outcome, claim)
                db.session.commit()
    _schedule_waiting(current_group_id(), notice_ids)
    return outcome


def _send(name: str, notices: list, users: dict, is_enabled) -> dict[int, object]:
    channel = channels().get(name)
    if channel is None:
        return {n.id: PermanentError(f"channel {name} is not installed") for n in notices}
    if channel.plugin and not is_enabled(notices[0].group_id, channel.plugin):
        return {n.id: PermanentError(f"module {channel.plugin} is not enabled") for n in notices}
    messages = [_message(n, users) for n in notices]
    try:
        return _send_rate_limited(channel, messages) if channel.rate_limit else channel.send(messages)
    except Exception as exc:  # a channel bug must not leave notices claimed forever
        log.exception("channel %s failed", name)
        return {m.id: TransientError(f"{type(exc).__name__}: {exc}") for m in messages}


def _record(notices: list, results: dict, outcome: dict, claim: str) -> None:
    """Write each notice's result (if this job's claim still holds it): sent ones together, by external
    id; retries and failures in one statement. An error text is scrubbed of the company's secrets."""
    now = utcnow()
    limit = current_app.config.get("NOTICE_MAX_ATTEMPTS", 5)
    sent: dict[str, list[int]] = {}
    others = []
    jitter = random.uniform(0.5, 1.0)  # one for the job: the notices of a failed call are retried together
    for notice in notices:
        result = results.get(notice.id, TransientError("no result from channel"))
        row = {"nid": notice.id, "state": PENDING, "attempts": notice.attempts, "due": None,
               "error": redact.scrub(str(result), notice.group_id)[:500] if isinstance(result, Exception) else ""}
        if isinstance(result, RateLimited):  # nothing was tried: not an attempt
            row.update(attempts=notice.attempts - 1, due=now + dt.timedelta(seconds=result.retry_after
                                                                              + random.uniform(0, 0.5)))
        elif isinstance(result, TransientError) and notice.attempts < limit:
            delay = max(result.retry_after or 0.0, _backoff(notice.attempts, jitter))
            row["due"] = now + dt.timedelta(seconds=delay)
        elif isinstance(result, Exception):
            row["state"] = FAILED
        else:
            sent.setdefault(str(result or "")[:80], []).append(notice.id)
            outcome[SENT] += 1
            continue
        outcome[row["state"]] += 1
        others.append(row)
    for external_id, ids in sent.items():
        db.session.execute(db.update(Notice).where(Notice.id.in_(ids), Notice.claim == claim)
                           .values(state=SENT, sent_at=now, last_error="", external_id=external_id)
                           .execution_options(synchronize_session=False))
    if others:
        table = Notice.__table__
        db.session.execute(db.update(table).where(table.c.id == db.bindparam("nid"), table.c.claim == claim)
                           .values(state=db.bindparam("state"), last_error=db.bindparam("error"),
                                   attempts=db.bindparam("attempts"), next_attempt_at=db.bindparam("due")), others)


def _schedule_waiting(group_id: int, notice_ids: list[int]) -> None:
    """Those of ``notice_ids`` waiting for a later attempt get a job at the time the first is due
    (which does the same for the rest): retries follow their backoff, not the sweeper."""
    waiting = db.session.execute(db.select(Notice.id, Notice.next_attempt_at).where(
        Notice.id.in_(notice_ids), Notice.state == PENDING, Notice.next_attempt_at.is_not(None))).all()
    if not waiting:
        return
    delay = (min(due for _, due in waiting) - utcnow()).total_seconds()
    try:
        perform_later(DELIVER_JOB, group_id, max(0.0, delay), notice_ids=sorted(nid for nid, _ in waiting))
    except Exception as exc:  # Redis trouble: the rows are pending, the sweeper will find them
        log.warning("could not schedule the retry of %s notices (%s); the sweeper will", len(waiting), exc)


def sweep(grace_seconds: float | None = None) -> int:
    """The safety net: re-enqueue notices whose job was lost: pending past the grace (never enqueued, or
    a retry whose job vanished), or sending under a claim whose lease ran out (its worker died)."""
    now = utcnow()
    grace = dt.timedelta(seconds=current_app.config.get("NOTICE_PENDING_GRACE", 60)
                         if grace_seconds is None else grace_seconds)
    stale = now - dt.timedelta(seconds=current_app.config["NOTICE_LEASE"])
    with tenant(None):
        rows = db.session.execute(db.select(Notice.group_id, Notice.id).where(or_(
            and_(Notice.state == PENDING, Notice.next_attempt_at.is_(None), Notice.created_at <= now - grace),
            and_(Notice.state == PENDING, Notice.next_attempt_at <= now - grace),
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
                                .values(state=FAILED, last_error=redact.scrub(reason, current_group_id())[:500])
                                .execution_options(synchronize_session=False))
    return result.rowcount == 1


def send_again(group_id: int, notice_ids: list[int], reason: str, wait: float = 0.0) -> int:
    """A channel learnt after the fact that sent notices did not arrive for a passing reason (DingTalk's
    per-minute limit): pending again after ``wait`` seconds or the backoff, failed when out of attempts.
    Returns how many were sent notices. The caller commits."""
    if not notice_ids:
        return 0
    limit = current_app.config.get("NOTICE_MAX_ATTEMPTS", 5)
    rows = db.session.execute(db.select(Notice.id, Notice.attempts).where(Notice.id.in_(notice_ids),
                                                                          Notice.state == SENT)).all()
    now = utcnow()
    changes = [{"nid": nid, "error": reason[:500], "state": PENDING if attempts < limit else FAILED,
                "due": now + dt.timedelta(seconds=max(wait, _backoff(attempts))) if attempts < limit else None}
               for nid, attempts in rows]
    if changes:
        table = Notice.__table__
        db.session.execute(db.update(table).where(table.c.id == db.bindparam("nid"), table.c.state == SENT)
                           .values(state=db.bindparam("state"), last_error=db.bindparam("error"),
                                   next_attempt_at=db.bindparam("due")), changes)
        _schedule_waiting(group_id, [c["nid"] for c in changes])
    return len(changes)


def progress_report(batch_id: int) -> dict:
    """The batch's counts, a line for people ("已发送 212 / 300，3 条失败") and whether it is finished."""
    from core.i18n import gettext as _
    counts = progress(batch_id)
    return {**counts, "finished": counts["pending"] == 0,
            "text": _("已发送 %(sent)s / %(total)s，%(failed)s 条失败", **counts)}


def progress(batch_id: int) -> dict[str, int]:
    rows = dict(db.session.execute(db.select(Notice.state, db.func.count()).where(Notice.batch_id == batch_id)
                                   .group_by(Notice.state)).all())
    return {"total": sum(rows.values()), "sent": rows.get(SENT, 0), "failed": rows.get(FAILED, 0),
            "pending": rows.get(PENDING, 0) + rows.get(SENDING, 0)}
