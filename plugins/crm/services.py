"""The company's CRM settings and client; payments recorded from events and synced by jobs; queries.

An event writes (or updates) a ``CrmPayment`` row in its own transaction and enqueues a job carrying
the row's id: the row is the idempotency record (one per entry, ``key`` unique), so an event
delivered twice creates one PaymentObj. The job claims its rows with one conditional UPDATE (a
second job on the same rows finds nothing to do), creates or updates the PaymentObj, and keeps the
CRM's dataId. Timeouts, 5xx and rate-limit codes bring a row back later with a backoff; a permanent
error stops it with the CRM's reason, shown on the 同步记录 page. The admins' inbox is told once per
run of failures of the company (``CrmAlert``: from a failure until a payment goes through again), not
by every failing job, and reminded after ``CRM_ALERT_REMIND`` seconds (a day) while the run lasts.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal

from flask import current_app
from core.i18n import gettext as _
from sqlalchemy import and_, func, or_
from sqlalchemy.exc import IntegrityError

from core import apiclient, redact, roles, settings
from core.extensions import db
from core.jobs import enqueue, perform_later, redis_connection
from core.models import Project, User
from core.models.user import UserRole, utcnow
from core.sync import NotConfigured
from core.tenancy import current_group_id
from core.ui import SHANGHAI
from plugins.crm.client import DEFAULT_BASE, ENDPOINT_WINDOW, MAX_OFFSET, PAGE, TIMEOUT, Client, CrmError
from plugins.crm.models import FAILED, KINDS, PENDING, SENDING, SYNCED, CrmAlert, CrmPayment, CrmQuery

PLUGIN = "crm"
SYNC_JOB = "crm.sync_payments"
QUERY_JOB = "crm.query_payments"
API_NAME = "PaymentObj"
CHUNK = 100        # rows per sync job
EARLY = 1.0        # seconds: a retry job may start this much before its rows are due
REMIND = 86400.0   # seconds: while failures go on, the admins are told again after this long
log = logging.getLogger("gentou.crm")


def config(group_id: int) -> dict[str, str]:
    return settings.values(group_id, PLUGIN)


def require(cfg: dict, *keys: str) -> None:
    labels = {s.key: str(s.label) for s in settings.declared(PLUGIN)}
    missing = [labels[k] for k in keys if not cfg.get(k)]
    if missing:
        raise NotConfigured(_("CRM 设置不完整，请填写：%(fields)s", fields="、".join(missing)))


def client_for(group_id: int, cfg: dict | None = None) -> Client:
    cfg = cfg if cfg is not None else config(group_id)
    require(cfg, "app_id", "app_secret", "permanent_code", "operator_mobile")
    client = Client(cfg["api_base"] or DEFAULT_BASE, cfg["app_id"], cfg["app_secret"], cfg["permanent_code"],
                    redis=redis_connection(), timeout=current_app.config.get("CRM_TIMEOUT", TIMEOUT))
    client.endpoint_limit = current_app.config.get("CRM_ENDPOINT_LIMIT", client.endpoint_limit)
    return client


def operator_of(client: Client, cfg: dict) -> str:
    """The operator's openUserId (currentOpenUserId of every data call)."""
    user_id = client.open_user_id(cfg["operator_mobile"])
    if not user_id:
        raise NotConfigured(_("CRM 中找不到手机号为 %(mobile)s 的员工（操作人）", mobile=cfg["operator_mobile"]))
    return user_id


def backoff(attempt: int) -> float | None:
    return apiclient.backoff(attempt, current_app.config.get("CRM_BACKOFF", apiclient.BACKOFF))


# Events → rows ---------------------------------------------------------------------------------
def record(group_id: int, key: str, kind: str, project_id: int, user_id: int, amount: Decimal,
           paid_on: dt.date) -> CrmPayment | None:
    """The entry's row, created once: an event delivered twice finds it (None: it existed)."""
    if db.session.scalar(db.select(CrmPayment.id).where(CrmPayment.key == key)) is not None:
        return None
    row = CrmPayment(key=key, kind=kind, project_id=project_id, user_id=user_id, amount=amount, paid_on=paid_on,
                     created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same event, committed meanwhile by another transaction
        return None
    return row


def payment_recorded(group_id: int, payment_id: int) -> None:
    """缴款确认 or 退款: one PaymentObj (a refund's amount is negative)."""
    from plugins.subscription.models import Payment, Subscription
    payment = db.session.get(Payment, payment_id)
    user_id = db.session.scalar(db.select(Subscription.user_id).where(Subscription.id == payment.subscription_id))
    row = record(group_id, f"P{payment.id}", "refund" if payment.amount < 0 else "payment", payment.project_id,
                 user_id, payment.amount, payment.paid_on)
    if row is not None:
        schedule(group_id, [row.id])


def payment_reversed(group_id: int, payment_id: int) -> None:
    """冲销: the PaymentObj is updated (amount 0.00, the reversal in its remark), or created so if the
    CRM never had it."""
    payment_recorded(group_id, payment_id)
    row = db.session.scalar(db.select(CrmPayment).where(CrmPayment.key == f"P{payment_id}"))
    if row.reversed:
        return
    row.reversed, row.revision = True, row.revision + 1
    if row.state != SENDING:  # a running job sees the new revision when it finishes and comes back
        row.state, row.attempts, row.next_attempt_at, row.last_error = PENDING, 0, None, ""
        schedule(group_id, [row.id])


def payouts_recorded(group_id: int, project_id: int, batch_id: int, user_ids, amounts,
                     distributed_on: str = "") -> None:
    """分配 paid: one PaymentObj per partner, the amount paid out as a negative payment, dated the batch's
    分配日期 (ISO; today for an event that does not say it)."""
    paid_on = dt.date.fromisoformat(distributed_on) if distributed_on else dt.datetime.now(SHANGHAI).date()
    ids = []
    for user_id, amount in zip(user_ids, amounts):
        row = record(group_id, f"D{batch_id}-{user_id}", "payout", project_id, user_id, -Decimal(amount), paid_on)
        if row is not None:
            ids.append(row.id)
    schedule(group_id, ids)


def schedule(group_id: int, row_ids: list[int]) -> None:
    """Sync jobs for ``row_ids``, ``CHUNK`` rows each, once the transaction commits."""
    db.session.flush()
    for start in range(0, len(row_ids), CHUNK):
        enqueue(SYNC_JOB, group_id, ids=row_ids[start:start + CHUNK])


def resync(row: CrmPayment) -> None:
    """重新同步 of a failed row (an admin's button)."""
    row.state, row.attempts, row.next_attempt_at, row.last_error = PENDING, 0, None, ""
    schedule(row.group_id, [row.id])


def requeue(failed: bool = False) -> int:
    """Jobs for the company's rows that wait (pending, or claimed by a worker that died; ``failed``:
    the failed ones too, from their first attempt); the caller commits. Returns how many."""
    stale = utcnow() - dt.timedelta(seconds=current_app.config.get("CRM_LEASE", 300))
    waiting = or_(CrmPayment.state == PENDING, and_(CrmPayment.state == SENDING, CrmPayment.claimed_at < stale))
    if failed:  # the tenancy scopes reads only: an UPDATE names the company itself
        db.session.execute(db.update(CrmPayment).where(CrmPayment.group_id == current_group_id(),
                                                       CrmPayment.state == FAILED).values(
            state=PENDING, attempts=0, next_attempt_at=None, last_error="").execution_options(
            synchronize_session=False))
    ids = db.session.scalars(db.select(CrmPayment.id).where(waiting).order_by(CrmPayment.id)).all()
    schedule(current_group_id(), list(ids))
    return len(ids)


# The PaymentObj ------------------------------------------------------------------------------
def tag(row: CrmPayment) -> str:
    """How the PaymentObj's remark begins: finds it again after an attempt whose answer was lost."""
    return f"GT-{row.group_id}-{row.key} "


def project_mark(project: Project) -> str:
    return f"| {project.code} |"


def payment_object(row: CrmPayment, cfg: dict, operator: str) -> tuple[dict, dict | None]:
    project = db.session.get(Project, row.project_id)
    user = db.session.get(User, row.user_id)
    amount = Decimal("0.00") if row.reversed else row.amount
    remark = f"{tag(row)}{project_mark(project)} {project.name} | {user.name} | {KINDS[row.kind]}"
    if row.reversed:
        remark += " | " + _("已冲销，原金额 %(amount)s", amount=f"{row.amount:.2f}")
    ms = int(dt.datetime.combine(row.paid_on, dt.time(), SHANGHAI).timestamp() * 1000)
    obj = {"dataObjectApiName": API_NAME, "record_type": cfg["record_type"] or "default__c",
           "account_id": cfg["account_id"], "payment_amount": f"{amount:.2f}", "payment_time": ms,
           "owner": [operator], "remark": remark[:2000]}
    details = None
    if cfg["order_id"]:
        details = {"OrderPaymentObj": [{"order_id": cfg["order_id"], "payment_amount": f"{amount:.2f}",
                                        "record_type": "default__c"}]}
    return obj, details


# The sync job ----------------------------------------------------------------------------------
def _claim(ids: list[int]) -> list[int]:
    now = utcnow()
    stale = now - dt.timedelta(seconds=current_app.config.get("CRM_LEASE", 300))
    claimed = db.session.execute(
        db.update(CrmPayment).where(CrmPayment.id.in_(ids), or_(
            and_(CrmPayment.state == PENDING, or_(CrmPayment.next_attempt_at.is_(None),
                                                  CrmPayment.next_attempt_at <= now + dt.timedelta(seconds=EARLY))),
            and_(CrmPayment.state == SENDING, CrmPayment.claimed_at < stale)))
        .values(state=SENDING, claimed_at=now, attempts=CrmPayment.attempts + 1)
        .returning(CrmPayment.id).execution_options(synchronize_session=False)).scalars().all()
    db.session.commit()
    return sorted(claimed)


def sync_payments(ids: list[int]) -> dict[str, int]:
    """The job: claim the due rows of ``ids``, create or update their PaymentObj one by one.
    Returns counts by outcome (synced, pending, failed)."""
    group_id = current_group_id()
    claimed = _claim(ids)
    outcome = {SYNCED: 0, PENDING: 0, FAILED: 0}
    if not claimed:
        _schedule_waiting(group_id, ids)
        return outcome
    rows = db.session.scalars(db.select(CrmPayment).where(CrmPayment.id.in_(claimed)).order_by(CrmPayment.id)).all()
    cfg = config(group_id)
    try:
        client = client_for(group_id, cfg)
        operator = operator_of(client, cfg)
        require(cfg, "account_id")
    except NotConfigured as exc:
        _fail(rows, exc.reason, outcome)
        return outcome
    except CrmError as exc:
        _failed_call(rows, exc, outcome)
        _schedule_waiting(group_id, ids)
        return outcome
    failing = True  # as far as this job knows
    for index, row in enumerate(rows):
        try:
            _push(client, operator, cfg, row)
        except CrmError as exc:
            if exc.rate_limited:  # the rest were not tried: they come back with it
                _failed_call(rows[index:], exc, outcome)
                break
            failing = _failed_call([row], exc, outcome) or failing
        else:
            outcome[row.state] += 1
            if failing:
                _recovered(group_id)
                failing = False
        db.session.commit()
    _schedule_waiting(group_id, ids)
    return outcome


def _push(client: Client, operator: str, cfg: dict, row: CrmPayment) -> None:
    revision = row.revision
    obj, details = payment_object(row, cfg, operator)
    if not row.data_id and row.attempts > 1:  # an earlier attempt may have created it, its answer lost
        found = client.query(operator, API_NAME, [{"field_name": "remark", "field_values": [tag(row)],
                                                   "operator": "STARTWITH"}], limit=1, fields=["_id"])
        if found.get("dataList"):
            row.data_id = str(found["dataList"][0]["_id"])
    if row.data_id:
        client.update(operator, {**obj, "_id": row.data_id}, details)
    else:
        row.data_id = client.create(operator, obj, details)
    db.session.refresh(row, ["revision"])
    row.synced_revision, row.synced_at, row.last_error = revision, utcnow(), ""
    row.state = SYNCED if row.revision == revision else PENDING  # corrected meanwhile: once more
    if row.state == PENDING:
        row.attempts, row.next_attempt_at = 0, None


def _failed_call(rows: list[CrmPayment], exc: CrmError, outcome: dict) -> bool:
    """A retryable error brings ``rows`` back after the backoff, or after the wait the CRM asked for
    when it said to slow down (then nothing was done: not an attempt); out of attempts, failed.
    True when a row failed."""
    if not exc.retryable:
        return _fail(rows, exc.reason, outcome)
    now = utcnow()
    failed = []
    for row in rows:
        if exc.rate_limited:
            row.attempts -= 1
            delay = exc.retry_after or backoff(1)
        else:
            delay = backoff(row.attempts)
            if delay is None:
                failed.append(row)
                continue
            delay = max(delay, exc.retry_after or 0.0)
        row.state, row.last_error = PENDING, redact.scrub(exc.reason, row.group_id)[:500]
        row.next_attempt_at = now + dt.timedelta(seconds=delay)
        outcome[PENDING] += 1
    return _fail(failed, exc.reason, outcome)


def _fail(rows: list[CrmPayment], reason: str, outcome: dict) -> bool:
    """``rows`` failed, each keeping the reason (scrubbed of secrets); the admins are told when this
    starts a run of failures (or the run's last notice is old). True when a row failed."""
    from core import outbox
    if not rows:
        return False
    group_id = rows[0].group_id
    reason = redact.scrub(reason, group_id)[:500]
    for row in rows:
        row.state, row.last_error, row.next_attempt_at = FAILED, reason, None
        outcome[FAILED] += 1
    admins = db.session.scalars(db.select(UserRole.user_id).join(User, User.id == UserRole.user_id).where(
        UserRole.role == roles.ADMIN, User.active.is_(True))).all()
    if admins and _alert(group_id):
        body = _("%(reason)s\n同步恢复之前，后续的失败只记在同步记录中，不再逐条通知。", reason=reason)
        outbox.notify(group_id, admins, _("CRM 回款同步失败：%(count)s 条", count=len(rows)), body,
                      link="/crm/?state=failed", kind="crm.sync_failed")
    return True


def _alert(group_id: int) -> bool:
    """A failure: True when the admins are to be told, i.e. it starts the company's run of failures, or
    the run's last notice is older than ``CRM_ALERT_REMIND``. One conditional UPDATE of the company's
    row (created by its first failure), so two workers failing at once tell them once."""
    now = utcnow()
    remind = now - dt.timedelta(seconds=current_app.config.get("CRM_ALERT_REMIND", REMIND))
    told = db.session.execute(
        db.update(CrmAlert).where(CrmAlert.group_id == group_id,
                                  or_(CrmAlert.failing_since.is_(None), CrmAlert.notified_at < remind))
        .values(failing_since=func.coalesce(CrmAlert.failing_since, now), notified_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if told:
        return True
    if db.session.scalar(db.select(CrmAlert.id).where(CrmAlert.group_id == group_id)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(CrmAlert(group_id=group_id, failing_since=now, notified_at=now))
    except IntegrityError:  # the company's first failure, told meanwhile by another worker
        return False
    return True


def _recovered(group_id: int) -> None:
    """A payment went through: the run of failures, if any, is over."""
    db.session.execute(db.update(CrmAlert).where(CrmAlert.group_id == group_id, CrmAlert.failing_since.is_not(None))
                       .values(failing_since=None, notified_at=None).execution_options(synchronize_session=False))


def _schedule_waiting(group_id: int, ids: list[int]) -> None:
    """The job's rows still pending (a later attempt, not yet due when the job ran, or corrected while
    it ran) get a job when the first is due."""
    waiting = db.session.execute(db.select(CrmPayment.id, CrmPayment.next_attempt_at).where(
        CrmPayment.id.in_(ids), CrmPayment.state == PENDING)).all()
    if not waiting:
        return
    now = utcnow()
    delay = min(((due - now).total_seconds() if due else 0.0) for _id, due in waiting)
    perform_later(SYNC_JOB, group_id, max(0.0, delay), ids=sorted(i for i, _due in waiting))


# Queries ---------------------------------------------------------------------------------------
FIELDS = ("_id", "name", "payment_amount", "payment_time", "remark", "account_id", "life_status")


def start_query(project: Project, filters: list[dict], actor: str) -> CrmQuery:
    query = CrmQuery(project_id=project.id, filters=json.dumps(filters, ensure_ascii=False), requested_by=actor,
                     created_at=utcnow())
    db.session.add(query)
    db.session.flush()
    enqueue(QUERY_JOB, project.group_id, query_id=query.id)
    return query


def query_payments(query_id: int) -> int:
    """The query job: the project's PaymentObjs under the filters, 100 a call, as far as the CRM lets an
    offset go (10000). Told to slow down, it keeps what it has and comes back for the rest."""
    query = db.session.get(CrmQuery, query_id)
    if query is None or query.state != PENDING:
        return 0
    group_id = current_group_id()
    project = db.session.get(Project, query.project_id)
    cfg = config(group_id)
    filters = [{"field_name": "remark", "field_values": [project_mark(project)], "operator": "LIKE"}]
    if cfg["account_id"]:
        filters.append({"field_name": "account_id", "field_values": [cfg["account_id"]], "operator": "EQ"})
    filters += json.loads(query.filters)
    collected = json.loads(query.rows)
    offset = len(collected)  # every page but the last is full: where an interrupted run stopped
    try:
        client = client_for(group_id, cfg)
        operator = operator_of(client, cfg)
        while offset <= MAX_OFFSET:
            page = client.query(operator, API_NAME, filters, PAGE, offset, fields=list(FIELDS))
            batch = page.get("dataList") or []
            collected += [{k: item.get(k) for k in FIELDS} for item in batch]
            query.total = int(page.get("total") or 0)
            offset += PAGE
            if len(batch) < PAGE or offset >= query.total:
                break
    except NotConfigured as exc:
        query.state, query.error = FAILED, exc.reason
    except CrmError as exc:
        if exc.rate_limited:
            query.rows = json.dumps(collected, ensure_ascii=False)
            perform_later(QUERY_JOB, group_id, exc.retry_after or ENDPOINT_WINDOW, query_id=query.id)
            return len(collected)
        query.state, query.error = FAILED, redact.scrub(exc.reason, group_id)[:500]
    else:
        query.state, query.truncated = SYNCED, len(collected) < query.total
    query.rows = json.dumps(collected, ensure_ascii=False)
    query.finished_at = utcnow()
    return len(collected)


def reconcile(query: CrmQuery) -> tuple[list[dict], list[CrmPayment]]:
    """The query's rows, each marked against Gentou's records of the project (by dataId, then amount),
    and Gentou's synced rows the CRM did not list."""
    ours = db.session.scalars(db.select(CrmPayment).where(CrmPayment.project_id == query.project_id)
                              .order_by(CrmPayment.id)).all()
    by_data_id = {r.data_id: r for r in ours if r.data_id}
    lines = []
    for item in json.loads(query.rows):
        mine = by_data_id.pop(str(item.get("_id")), None)
        expected = None if mine is None else (Decimal("0.00") if mine.reversed else mine.amount)
        try:
            amount = Decimal(str(item.get("payment_amount")))
        except ArithmeticError:
            amount = None
        match = "missing" if mine is None else "match" if amount == expected else "differs"
        time_ms = item.get("payment_time")
        paid_on = (dt.datetime.fromtimestamp(time_ms / 1000, SHANGHAI).date()
                   if isinstance(time_ms, int) else None)
        lines.append({**item, "amount": amount, "paid_on": paid_on, "mine": mine, "expected": expected,
                      "match": match})
    unlisted = [] if query.filters != "[]" else [r for r in by_data_id.values()]
    return lines, unlisted
