"""Records of what a plugin mirrors to an outside system, one per (kind, object): the idempotency
record of its sync jobs.

A change marks the record ``pending`` (in the transaction that made it) and enqueues a job carrying
the ids. The job ``claim``s the due records with one conditional UPDATE (so two jobs, or an event
delivered twice, never send the same record twice), sends what differs from the last payload sent
(``digest``), and ends each record ``sent`` (with the remote id), ``failed`` (a permanent error: the
reason shown to the admin) or back to ``pending`` with a backoff (``retry_later``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.apiclient import ApiError, backoff
from core.extensions import db
from core.jobs import perform_later
from core.models.user import utcnow
from core.tenancy import TenantMixin

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATES = {PENDING: _l("待同步"), SENDING: _l("同步中"), SENT: _l("已同步"), FAILED: _l("同步失败")}
LEASE = 300  # seconds: a record claimed longer ago than this by a job that died is taken again


class SyncRecordMixin(TenantMixin):
    """Columns of a sync record; a plugin's model adds ``__tablename__`` and a unique (group_id, kind, object_id)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    object_id: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(60), default="")        # Gentou's key at the other end
    remote_id: Mapped[str] = mapped_column(sa.String(64), default="")   # the other end's id of it
    digest: Mapped[str] = mapped_column(sa.String(64), default="")      # of the last payload it accepted
    state: Mapped[str] = mapped_column(sa.String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    claim: Mapped[str] = mapped_column(sa.String(32), default="")
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    changed_at: Mapped[dt.datetime | None]

    @property
    def state_label(self) -> str:
        return str(STATES.get(self.state, self.state))


def digest(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def mark(model, group_id: int, kind: str, object_ids, force: bool = False) -> list[int]:
    """Mark the records of ``object_ids`` pending (creating those missing), in the current transaction;
    ``force``: forget the last digest, so that they are sent even if unchanged. Returns the record ids."""
    object_ids = sorted(set(object_ids))
    if not object_ids:
        return []
    now = utcnow()
    existing = {r.object_id: r for r in db.session.scalars(db.select(model).where(
        model.group_id == group_id, model.kind == kind, model.object_id.in_(object_ids)))}
    for object_id in object_ids:
        record = existing.get(object_id)
        if record is None:
            record = existing[object_id] = model(group_id=group_id, kind=kind, object_id=object_id, state=PENDING,
                                                 attempts=0, changed_at=now)
            db.session.add(record)
        elif record.state != SENDING:
            record.state, record.attempts, record.changed_at = PENDING, 0, now
        else:  # a job is sending it now: it goes again when that job ends
            record.changed_at = now
        if force:
            record.digest = ""
    db.session.flush()
    return [existing[o].id for o in object_ids]


def claim(model, record_ids) -> tuple[str, list]:
    """Take the due records among ``record_ids`` for this job (committed): pending ones, and those a
    dead job claimed more than ``LEASE`` seconds ago. Returns (claim, records)."""
    now = utcnow()
    token = uuid.uuid4().hex
    stale = now - dt.timedelta(seconds=LEASE)
    ids = db.session.scalars(db.update(model).where(
        model.id.in_(list(record_ids)),
        sa.or_(model.state == PENDING, sa.and_(model.state == SENDING, model.claimed_at < stale)))
        .values(state=SENDING, claim=token, claimed_at=now, attempts=model.attempts + 1)
        .returning(model.id).execution_options(synchronize_session=False)).all()
    db.session.commit()
    records = db.session.scalars(db.select(model).where(model.id.in_(ids)).order_by(model.id)).all()
    return token, list(records)


def done(record, remote_id: str = "", payload_digest: str = "") -> None:
    """The other end accepted it; pending again if it changed while it was being sent."""
    record.remote_id = remote_id or record.remote_id
    record.digest = payload_digest or record.digest
    record.sent_at, record.last_error = utcnow(), ""
    record.state = PENDING if record.changed_at and record.claimed_at and record.changed_at > record.claimed_at \
        else SENT


def failed(record, reason: str) -> None:
    record.state, record.last_error = FAILED, reason[:500]


def retry_later(job: str, group_id: int, records, exc: ApiError, attempt: int, **kwargs) -> float | None:
    """After a retryable error: the records back to pending and the job again after ``backoff(attempt)``
    (or longer if the service asked); None when no attempt is left: the records failed."""
    delay = backoff(attempt)
    if delay is None:
        for record in records:
            failed(record, exc.reason)
        return None
    delay = max(delay, exc.retry_after or 0.0)
    for record in records:
        record.state, record.last_error = PENDING, exc.reason[:500]
    perform_later(job, group_id, delay, record_ids=[r.id for r in records], attempt=attempt + 1, **kwargs)
    return delay


class NotConfigured(Exception):
    """A setting the sync needs is empty or stale; ``reason`` says which, for the admin."""

    @property
    def reason(self) -> str:
        return str(self)


def run(model, job: str, record_ids, attempt: int, send, connect=None) -> dict[str, int]:
    """The body of a sync job: claim the records, ``send(kind, records, outcome)`` them kind by kind
    (it calls ``done``/``failed`` per record and may commit; with ``connect``, ``send(connected, kind,
    records, outcome)`` where ``connected = connect()`` is made once, when there is something to send),
    then settle what is left on an error:
    retryable → back to pending and the job again after the backoff; permanent or NotConfigured →
    failed with the reason. A record changed while it was sent gets another job. Commits."""
    from core.jobs import enqueue
    from core.tenancy import current_group_id
    group_id = current_group_id()
    _token, records = claim(model, record_ids)
    outcome = {"sent": 0, "unchanged": 0, "failed": 0, "retry": 0}
    retrying: set[int] = set()
    by_kind: dict[str, list] = {}
    for record in records:
        by_kind.setdefault(record.kind, []).append(record)
    try:
        connected = connect() if connect and by_kind else None
        for kind, rows in by_kind.items():
            send(connected, kind, rows, outcome) if connect else send(kind, rows, outcome)
    except (NotConfigured, ApiError) as exc:
        waiting = [r for r in records if r.state == SENDING]
        if isinstance(exc, ApiError) and exc.retryable:
            delay = retry_later(job, group_id, waiting, exc, attempt)
            retrying = {r.id for r in waiting} if delay is not None else set()
            outcome["retry" if delay is not None else "failed"] += len(waiting)
        else:
            for record in waiting:
                failed(record, exc.reason)
            outcome["failed"] += len(waiting)
    again = [r.id for r in records if r.state == PENDING and r.id not in retrying]
    if again:  # changed while it was being sent: once more
        enqueue(job, group_id, record_ids=again)
    db.session.commit()
    return outcome


class SyncReportMixin(TenantMixin):
    """对账: what differs between Gentou and the other end, as JSON written by a job."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(sa.String(60), default="")
    state: Mapped[str] = mapped_column(sa.String(10), default="running")  # running, done, failed
    body: Mapped[str] = mapped_column(sa.Text, default="")


def compare(ours: dict[str, dict[str, str]], theirs: dict[str, dict[str, str]]) -> dict:
    """{code: {field: text}} here and there → what is missing there, only there, and which fields differ."""
    differs = []
    for code in sorted(set(ours) & set(theirs)):
        fields = sorted(key for key, text in ours[code].items() if str(theirs[code].get(key, "")) != text)
        if fields:
            differs.append({"code": code, "fields": fields})
    return {"missing": sorted(set(ours) - set(theirs)), "extra": sorted(set(theirs) - set(ours)),
            "differs": differs, "ours": len(ours), "theirs": len(theirs)}


def status(record_model, report_model) -> dict:
    """What the status page of a sync shows (macros/sync.html): counts by state, the failed records,
    the last 对账 report and its body."""
    from sqlalchemy import func
    counts = dict(db.session.execute(db.select(record_model.state, func.count()).group_by(record_model.state)).all())
    failed_rows = db.session.scalars(db.select(record_model).where(record_model.state == FAILED)
                                     .order_by(record_model.kind, record_model.code).limit(200)).all()
    report = db.session.scalar(db.select(report_model).order_by(report_model.id.desc()).limit(1))
    body = json.loads(report.body) if report and report.body else {}
    return {"counts": counts, "failed": failed_rows, "report": report, "body": body, "states": STATES}


def start_report(report_model, job: str, group_id: int, actor: str):
    """对账 asked for: a running report, and its job once the transaction commits; the caller commits."""
    from core.jobs import enqueue
    report = report_model(group_id=group_id, created_at=utcnow(), created_by=actor, state="running")
    db.session.add(report)
    db.session.flush()
    enqueue(job, group_id, report_id=report.id)
    return report


def write_report(report_model, report_id: int, compare_all) -> None:
    """The 对账 job's body: ``compare_all()`` → {kind: compare(...)} stored, or the reason it failed."""
    report = db.session.get(report_model, report_id)
    if report is None:
        return
    try:
        result = compare_all()
    except (NotConfigured, ApiError) as exc:
        report.state, report.body = "failed", json.dumps({"error": exc.reason}, ensure_ascii=False)
        return
    report.state, report.body = "done", json.dumps(result, ensure_ascii=False)


def status_routes(bp, plugin: str, record_model, report_model, template: str, kinds, resync, reconcile_job: str):
    """The admin's 同步 page of a plugin's blueprint (``/``), with its 全量同步 (``/resync``: ``resync(group_id)``
    marks every record) and 对账 (``/reconcile``) buttons. ``kinds()``: {kind: label}."""
    from flask import flash, redirect, render_template, url_for
    from core.i18n import gettext as _
    from flask_login import current_user

    from core import roles
    from core.auth import roles_required
    admin_only = roles_required(roles.ADMIN)

    @bp.route("/", endpoint="status")
    @admin_only
    def status_page():
        return render_template(template, status=status(record_model, report_model), kinds=kinds())

    @bp.route("/resync", methods=["POST"], endpoint="resync")
    @admin_only
    def resync_now():
        count = resync(current_user.group_id)
        db.session.commit()
        flash(_("已安排同步 %(n)s 条记录", n=count), "info")
        return redirect(url_for(f"{plugin}.status"))

    @bp.route("/reconcile", methods=["POST"], endpoint="reconcile")
    @admin_only
    def reconcile_now():
        start_report(report_model, reconcile_job, current_user.group_id, current_user.username)
        db.session.commit()
        flash(_("正在对账，完成后刷新本页查看结果"), "info")
        return redirect(url_for(f"{plugin}.status"))


def resync_command(plugin: str, resync, doc: str):
    """``flask gentou <plugin> resync --company CODE``: 全量同步 from the command line (``resync(group_id)``
    marks every record; the jobs send them)."""
    import click
    from flask.cli import AppGroup

    from core.audit import acting_as
    from core.cli import with_company
    from core.modules import is_enabled
    from core.tenancy import tenant

    @click.group(plugin, cls=AppGroup, help=doc)
    def group():
        pass

    @group.command("resync")
    @with_company
    def resync_company(group):
        """Queue every record of the company to be sent again (the jobs send them)."""
        if not is_enabled(group.id, plugin):
            raise click.ClickException(f"module {plugin} is not enabled for {group.code}")
        with tenant(group.id), acting_as(None, "cli"):
            count = resync(group.id)
            db.session.commit()
        click.echo(f"queued {count} records")
    return group
