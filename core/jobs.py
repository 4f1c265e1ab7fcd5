"""Background jobs: enqueued with the transaction, run by RQ or in-process after the commit.

``enqueue(name, group_id, **ids)`` only records the job in the session; it is handed to
RQ (``REDIS_URL`` set) or run in a fresh app context in this process (no Redis) once the
transaction commits, and dropped if it rolls back. ``perform`` is what runs: it checks that
the declaring module is still enabled for the group company, then calls the job with the
group company as the current tenant.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import weakref

from flask import current_app
from sqlalchemy import event

from core.audit import acting_as
from core.extensions import db
from core.tenancy import tenant

log = logging.getLogger("gentou.jobs")
_timers: weakref.WeakSet = weakref.WeakSet()  # delayed jobs of this process, without Redis


class JobRefused(RuntimeError):
    """The job's module is not enabled for its group company (any more)."""


def enqueue(name: str, group_id: int, **kwargs) -> None:
    """Run job ``name`` for ``group_id`` once the current transaction commits."""
    if name not in current_app.extensions["gentou"].jobs:
        raise KeyError(f"unknown job {name}")
    db.session.connection()  # begin the transaction now, so that its rollback drops the job
    db.session.info.setdefault("gentou_jobs", []).append((name, group_id, kwargs))


def perform(name: str, group_id: int, kwargs: dict, job_id: str = "inline"):
    """Run a job now, in the current app context (an RQ worker's or an inline one)."""
    from core.modules import is_enabled

    job = current_app.extensions["gentou"].jobs.get(name)
    if job is None:
        raise JobRefused(f"job {name} is not installed")
    if job.plugin and not is_enabled(group_id, job.plugin):
        log.warning("job %s [%s] refused: module %s disabled for group %s", name, job_id, job.plugin, group_id)
        raise JobRefused(f"module {job.plugin} is not enabled for group {group_id}")
    log.info("job %s [%s] for group %s", name, job_id, group_id)
    with tenant(group_id), acting_as(None, f"job:{name}"):
        try:
            result = job.func(**kwargs)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            log.exception("job %s [%s] failed", name, job_id)
            raise


def rq_perform(name: str, group_id: int, kwargs: dict):
    """Entry point of RQ jobs; the worker provides the app context. A job that fails on the
    database (a dropped connection, a lock) is retried by RQ (``JOB_RETRY_INTERVALS``); any
    other failure is final, since the job may have reached the outside world."""
    from rq import get_current_job
    from sqlalchemy.exc import InterfaceError, OperationalError
    current = get_current_job()
    try:
        return perform(name, group_id, kwargs, job_id=current.id if current else "rq")
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        if current is not None:
            current.retries_left = None
        raise


def retry_policy():
    from rq import Retry
    intervals = list(current_app.config.get("JOB_RETRY_INTERVALS", ()))
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def perform_later(name: str, group_id: int, delay: float, **kwargs) -> None:
    """From inside a job: run job ``name`` in ``delay`` seconds: RQ's scheduler with Redis; without
    it a timer thread of this process (lost if the process ends: the outbox sweeper is the safety
    net). No delay: like ``enqueue``, once the current transaction commits."""
    if delay <= 0:
        enqueue(name, group_id, **kwargs)
        return
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        queue().enqueue_in(dt.timedelta(seconds=delay), rq_perform, name, group_id, kwargs, retry=retry_policy())
        return

    def run():
        with app.app_context():
            try:
                perform(name, group_id, kwargs, job_id="timer")
            except Exception:
                log.exception("delayed job %s failed", name)

    timer = threading.Timer(delay, run)
    timer.daemon = True
    _timers.add(timer)
    timer.start()


def cancel_timers() -> None:
    """Drop the delayed jobs this process still waits to run (each test ends with it)."""
    for timer in list(_timers):
        timer.cancel()


def redis_connection():
    """The app's Redis client (one connection pool per app), or None without REDIS_URL."""
    app = current_app._get_current_object()
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("gentou_redis")
    if client is None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
        # Short timeouts and no retries: a web request must never wait on a hung Redis.
        timeout = app.config.get("REDIS_TIMEOUT", 0.5)
        client = app.extensions["gentou_redis"] = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0))
    return client


def queue():
    from rq import Queue
    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


def _dispatch(pending) -> None:
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        from rq import Queue
        try:  # one round trip for all of them
            queue().enqueue_many([Queue.prepare_data(rq_perform, (name, group_id, kwargs), retry=retry_policy())
                                  for name, group_id, kwargs in pending])
        except Exception as exc:  # Redis down: what was committed stays, a sweeper re-enqueues it
            log.warning("could not enqueue %s jobs (%s): %s", len(pending), ", ".join(sorted({p[0] for p in pending})),
                        exc)
        return
    for name, group_id, kwargs in pending:
        with app.app_context():
            try:
                perform(name, group_id, kwargs)
            except Exception:  # an inline job must not break the request that committed it
                log.exception("inline job %s failed", name)


def install(session_class) -> None:
    @event.listens_for(session_class, "after_commit")
    def _after_commit(session):
        if session.in_nested_transaction():  # a SAVEPOINT released: the transaction, its locks, go on
            return
        pending = session.info.pop("gentou_jobs", None)
        if pending:
            _dispatch(pending)

    @event.listens_for(session_class, "after_soft_rollback")
    def _after_rollback(session, previous_transaction):
        if not session.in_transaction():
            session.info.pop("gentou_jobs", None)
