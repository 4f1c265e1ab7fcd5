"""The company's 明道云 settings and client; projects, payments and payouts as rows of the mapped
worksheets; the sync and 对账 jobs."""
from __future__ import annotations

import logging
import re
from decimal import Decimal

from flask import current_app
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

from core import redact, settings, sync
from core.apiclient import TIMEOUT, ApiError
from core.extensions import db
from core.jobs import enqueue, redis_connection
from core.models import Project, User
from core.money import round_cents
from core.sync import NotConfigured
from core.tenancy import current_group_id
from plugins.mingdao import payouts
from plugins.mingdao.client import Client
from plugins.mingdao.models import MingdaoRecord, MingdaoReport
from plugins.subscription.models import PAYMENT_KINDS, Initiation, Payment, Subscription

PLUGIN = "mingdao"
PUSH_JOB, RECONCILE_JOB = "mingdao.push", "mingdao.reconcile"
PROJECT, PAYMENT, PAYOUT = "project", "payment", "payout"
CHUNK = 100  # records a job
RATE = (20, 1.0)  # calls a second per app (the service answers 429 beyond its limit)
FIELDS = {
    PROJECT: {"code": _l("项目编码"), "name": _l("项目名称"), "company": _l("城市公司"),
              "land_acquired_on": _l("拿地日期"), "capital_peak": _l("资金峰值")},
    PAYMENT: {"code": _l("缴款编号"), "project": _l("项目"), "partner": _l("合伙人"), "partner_code": _l("合伙人账号"),
              "kind": _l("类型"), "amount": _l("金额"), "paid_on": _l("缴款日期"), "state": _l("状态")},
    PAYOUT: {"code": _l("分配编号"), "project": _l("项目"), "partner": _l("合伙人"), "partner_code": _l("合伙人账号"),
             "batch": _l("分配批次"), "amount": _l("分配金额"), "paid_on": _l("分配日期")},
}
KINDS = {PROJECT: _l("项目"), PAYMENT: _l("缴款"), PAYOUT: _l("分配")}
SETTING = {PROJECT: ("project_worksheet_id", "project_controls"), PAYMENT: ("payment_worksheet_id", "payment_controls"),
           PAYOUT: ("payout_worksheet_id", "payout_controls")}
ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
MAPPING = re.compile(r"^\s*([a-z_]+)\s*=\s*([A-Za-z0-9_\-]{1,64})\s*$")
PAYMENT_EVENTS = {"PaymentConfirmed", "PaymentReversed", "PaymentRefunded"}
log = logging.getLogger("gentou.mingdao")


def parse_mapping(text: str, kind: str | None = None) -> dict[str, str]:
    """``code=ctrl1, name=ctrl2`` → {Gentou field: controlId}; ValueError on anything else."""
    mapping = {}
    for item in re.split(r"[,，;；\n]+", text or ""):
        if not item.strip():
            continue
        found = MAPPING.match(item)
        if not found or (kind and found.group(1) not in FIELDS[kind]):
            raise ValueError(item.strip())
        mapping[found.group(1)] = found.group(2)
    return mapping


def valid_mapping(kind: str):
    def check(text: str) -> bool:
        try:
            parse_mapping(text, kind)
        except ValueError:
            return False
        return True
    return check


def config(group_id: int) -> dict[str, str]:
    return settings.values(group_id, PLUGIN)


def client_for(group_id: int, cfg: dict | None = None) -> Client:
    cfg = cfg if cfg is not None else config(group_id)
    labels = {s.key: str(s.label) for s in settings.declared(PLUGIN)}
    missing = [labels[k] for k in ("app_key", "sign") if not cfg.get(k)]
    if missing:
        raise NotConfigured(_("明道云设置不完整，请填写：%(fields)s", fields="、".join(missing)))
    return Client(cfg["api_base"], cfg["app_key"], cfg["sign"], redis=redis_connection(),
                  timeout=current_app.config.get("MINGDAO_TIMEOUT", TIMEOUT),
                  rate=current_app.config.get("MINGDAO_RATE", RATE))


def target(cfg: dict, kind: str) -> tuple[str, dict[str, str]]:
    """(worksheetId, {field: controlId}) mapped for ``kind``; NotConfigured unless its code is mapped."""
    sheet_key, controls_key = SETTING[kind]
    mapping = parse_mapping(cfg.get(controls_key, ""), kind)
    if not cfg.get(sheet_key) or "code" not in mapping:
        raise NotConfigured(_("请先在明道云设置中选择%(what)s工作表并映射其编码字段（测试连接）",
                              what=str(KINDS[kind])))
    return cfg[sheet_key], mapping


# What a row holds ----------------------------------------------------------------------------
def money(value) -> str:
    return "" if value is None else f"{round_cents(Decimal(value))}"


def values(kind: str, object_ids) -> dict[int, dict[str, str]]:
    """{object id: {Gentou field: text}} of the projects, payments or payouts that exist."""
    if kind == PAYOUT:
        return payouts.values(object_ids)
    if kind == PROJECT:
        peaks = dict(db.session.execute(db.select(Initiation.project_id, Initiation.capital_peak)
                                        .where(Initiation.project_id.in_(object_ids))).all())
        return {p.id: {"code": p.code, "name": p.name, "company": p.company.name if p.company else "",
                       "land_acquired_on": p.land_acquired_on.isoformat() if p.land_acquired_on else "",
                       "capital_peak": money(peaks.get(p.id))}
                for p in db.session.scalars(db.select(Project).where(Project.id.in_(object_ids)))}
    rows = db.session.execute(
        db.select(Payment, Project.code, Project.name, User.name, User.username)
        .join(Subscription, Subscription.id == Payment.subscription_id).join(Project, Project.id == Payment.project_id)
        .join(User, User.id == Subscription.user_id).where(Payment.id.in_(object_ids))).all()
    return {p.id: {"code": f"GT-PAY-{p.id}", "project": f"{code} {name}", "partner": partner, "partner_code": username,
                   "kind": str(PAYMENT_KINDS.get(p.kind, p.kind)), "amount": money(p.amount),
                   "paid_on": p.paid_on.isoformat(), "state": _("已冲销") if p.reversed_at else _("有效")}
            for p, code, name, partner, username in rows}


def controls(mapping: dict[str, str], fields: dict[str, str]) -> list[dict]:
    return [{"controlId": control, "value": fields.get(field, "")} for field, control in sorted(mapping.items())]


# Marking and jobs ----------------------------------------------------------------------------
def queue(group_id: int, kind: str, object_ids, force: bool = False) -> int:
    record_ids = sync.mark(MingdaoRecord, group_id, kind, object_ids, force=force)
    for start in range(0, len(record_ids), CHUNK):
        enqueue(PUSH_JOB, group_id, record_ids=record_ids[start:start + CHUNK])
    return len(record_ids)


def on_changes(group_id: int, changed: dict[str, list[int]]) -> None:
    if changed.get("Project"):
        queue(group_id, PROJECT, changed["Project"])


def on_event(event) -> None:
    """缴款确认, 冲销 and 退款 (also those of 立项调整: its 补缴 and 退款 are entries of the same kind): the
    payment's row is added or edited after the commit; 分配 paid: a row per partner of the batch."""
    name = type(event).__name__
    if name in PAYMENT_EVENTS:
        queue(event.group_id, PAYMENT, [event.payment_id])
    elif name == payouts.EVENT:  # the distribution module's, when it is installed and enabled
        recorded = payouts.record(event)
        if config(event.group_id).get(SETTING[PAYOUT][0]):  # 不同步: kept, sent by a 全量同步 once it is chosen
            queue(event.group_id, PAYOUT, recorded)


def resync(group_id: int) -> int:
    total = queue(group_id, PROJECT, db.session.scalars(db.select(Project.id)).all(), force=True)
    total += queue(group_id, PAYMENT, db.session.scalars(db.select(Payment.id)).all(), force=True)
    if config(group_id).get(SETTING[PAYOUT][0]):
        total += queue(group_id, PAYOUT, payouts.ids(), force=True)
    return total


def push(record_ids: list[int], attempt: int = 1) -> dict[str, int]:
    """The job: add or edit the rows of these records, one call each; a row refused for its values
    fails alone (its reason shown), an outage or a busy answer retries the rest after the backoff."""
    group_id = current_group_id()
    cfg = config(group_id)
    return sync.run(MingdaoRecord, PUSH_JOB, record_ids, attempt,
                    lambda client, kind, rows, outcome: _push_kind(client, cfg, kind, rows, outcome),
                    lambda: client_for(group_id, cfg))


def _push_kind(client: Client, cfg: dict, kind: str, rows: list, outcome: dict) -> None:
    found = values(kind, [r.object_id for r in rows])
    worksheet_id, mapping = target(cfg, kind)
    for record in rows:
        fields = found.get(record.object_id)
        if fields is None:
            sync.failed(record, _("已不存在，未同步"))
            outcome["failed"] += 1
            continue
        record.code = fields["code"]
        sent = controls(mapping, fields)
        payload_digest = sync.digest([worksheet_id, sent])
        if record.remote_id and record.digest == payload_digest:
            sync.done(record)
            outcome["unchanged"] += 1
            continue
        try:
            row_id = record.remote_id
            if not row_id and (record.attempts > 1 or record.last_error or record.sent_at):
                # an earlier attempt may have added the row and lost the answer: look it up by its code
                row_id = client.find(worksheet_id, mapping["code"], record.code)
            if row_id:  # edited; also when an earlier answer was lost after the row was added
                client.edit_row(worksheet_id, row_id, sent)
            else:
                row_id = client.add_row(worksheet_id, sent)
        except ApiError as exc:
            if not getattr(exc, "about_row", False):
                raise
            sync.failed(record, redact.scrub(exc.reason))
            outcome["failed"] += 1
        else:
            sync.done(record, row_id, payload_digest)
            outcome["sent"] += 1
        db.session.commit()  # each row's outcome stays, whatever happens to the next


def reconcile(report_id: int) -> None:
    """对账 job: read the mapped worksheets back (getFilterRows, page by page) and note what differs."""
    group_id = current_group_id()
    cfg = config(group_id)

    def compare_all():
        client = client_for(group_id, cfg)
        return {kind: _compare(client, cfg, kind) for kind in KINDS if cfg.get(SETTING[kind][0])}
    sync.write_report(MingdaoReport, report_id, compare_all)


def _compare(client: Client, cfg: dict, kind: str) -> dict:
    worksheet_id, mapping = target(cfg, kind)
    if kind == PROJECT:
        ids = db.session.scalars(db.select(Project.id)).all()
    elif kind == PAYOUT:
        ids = payouts.ids()
    else:
        ids = db.session.scalars(db.select(Payment.id)).all()
    ours = {fields["code"]: {f: fields.get(f, "") for f in mapping} for fields in values(kind, ids).values()}
    theirs = {}
    for row in client.rows(worksheet_id):
        fields = {field: str(row.get(control, "") or "") for field, control in mapping.items()}
        theirs[fields["code"]] = fields
    return sync.compare(ours, theirs)
