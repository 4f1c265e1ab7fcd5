"""Background jobs: enqueued with the transaction, run by RQ or in-process after the commit.

``enqueue(name, group_id, **ids)`` only records the job in the session; it is handed to
RQ (``REDIS_URL`` set) or run in a fresh app context in this process (no Redis) once the
transaction commits, and dropped if it rolls back. ``perform`` is what runs: it checks that
the declaring module is still enabled for the group company, then calls the job with the
group company as the current tenant.
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import event

from core.audit import acting_as
from core.extensions import db
from core.tenancy import tenant

log = logging.getLogger("gentou.jobs")


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
    """Entry point of RQ jobs; the worker provides the app context."""
    from rq import get_current_job
    current = get_current_job()
    return perform(name, group_id, kwargs, job_id=current.id if current else "rq")


def redis_connection():
    """The app's Redis client (one connection pool per app), or None without REDIS_URL."""
    app = current_app._get_current_object()
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("gentou_redis")
    if client is None:
        import redis
        client = app.extensions["gentou_redis"] = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5)
    return client


def queue():
    from rq import Queue
    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


def _dispatch(pending) -> None:
    app = current_app._get_current_object()
    for name, group_id, kwargs in pending:
        if app.config.get("REDIS_URL"):
            try:
                queue().enqueue(rq_perform, name, group_id, kwargs)
            except Exception as exc:  # Redis down: what was committed stays, a sweeper re-enqueues it
                log.warning("could not enqueue %s for group %s: %s", name, group_id, exc)
            continue
        with app.app_context():
            try:
                perform(name, group_id, kwargs)
            except Exception:  # an inline job must not break the request that committed it
                log.exception("inline job %s failed", name)


def install(session_class) -> None:
    @event.listens_for(session_class, "after_commit")
    def _after_commit(session):
        pending = session.info.pop("gentou_jobs", None)
        if pending:
            _dispatch(pending)

    @event.listens_for(session_class, "after_soft_rollback")
    def _after_rollback(session, previous_transaction):
        if not session.in_transaction():
            session.info.pop("gentou_jobs", None)
