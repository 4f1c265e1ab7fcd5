"""The company's 合思 settings and client; projects and partners as instances; the sync and 对账 jobs."""
from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from core.i18n import gettext as _

from core import redact, roles, settings, sync
from core.sync import NotConfigured
from core.apiclient import TIMEOUT
from core.extensions import db
from core.jobs import enqueue, redis_connection
from core.money import round_cents
from core.models import Project, User
from core.models.user import UserRole
from core.modules import hooks_for
from core.tenancy import current_group_id
from plugins.ekuaibao.client import LIMIT, Client
from plugins.ekuaibao.models import EkuaibaoRecord, EkuaibaoReport

PLUGIN = "ekuaibao"
PUSH_JOB, RECONCILE_JOB = "ekuaibao.push", "ekuaibao.reconcile"
PROJECT, PARTNER = "project", "partner"
KINDS = {PROJECT: "project_entity_id", PARTNER: "partner_entity_id"}
CHINA = ZoneInfo("Asia/Shanghai")
ID = re.compile(r"^[A-Za-z0-9_:\-]{1,80}$")
log = logging.getLogger("gentou.ekuaibao")


def config(group_id: int) -> dict[str, str]:
    return settings.values(group_id, PLUGIN)


def client_for(group_id: int, cfg: dict | None = None) -> Client:
    cfg = cfg if cfg is not None else config(group_id)
    labels = {s.key: str(s.label) for s in settings.declared(PLUGIN)}
    missing = [labels[k] for k in ("app_key", "app_security") if not cfg.get(k)]
    if missing:
        raise NotConfigured(_("合思设置不完整，请填写：%(fields)s", fields="、".join(missing)))
    return Client(cfg["api_base"], cfg["app_key"], cfg["app_security"], redis=redis_connection(),
                  timeout=current_app.config.get("EKUAIBAO_TIMEOUT", TIMEOUT))


# What an instance holds ----------------------------------------------------------------------
def ms_epoch(day: dt.date | None) -> str:
    """A date as 合思 wants it: the ms-epoch of its midnight in China, as a string."""
    if day is None:
        return ""
    return str(int(dt.datetime.combine(day, dt.time(), CHINA).timestamp() * 1000))


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{round_cents(Decimal(value))}"


def _capital_peaks(project_ids) -> dict[int, Decimal]:
    """The capital peak of each project, from the enabled module that keeps it (``capital_peaks``), if any."""
    peaks: dict[int, Decimal] = {}
    for found in hooks_for(current_group_id()).capital_peaks(project_ids=list(project_ids)):
        peaks.update(found or {})
    return peaks


def values(kind: str, object_ids) -> dict[int, tuple[str, dict[str, str]]]:
    """{object id: (code, {field: text})} of the projects or partners that still exist; fields by their
    short names (``name``, ``code``, ...), texts as 合思 takes them (dates ms-epoch, money "12.35")."""
    out = {}
    if kind == PROJECT:
        projects = db.session.scalars(db.select(Project).where(Project.id.in_(object_ids))).all()
        peaks = _capital_peaks([p.id for p in projects])
        for p in projects:
            out[p.id] = (p.code, {"name": p.name, "code": p.code, "company": p.company.name if p.company else "",
                                  "landAcquiredOn": ms_epoch(p.land_acquired_on), "capitalPeak": money(peaks.get(p.id))})
    else:
        users = db.session.scalars(db.select(User).where(User.id.in_(object_ids))).all()
        for u in users:
            if u.has_role(roles.PARTNER):
                out[u.id] = (u.username, {"name": u.name, "code": u.username, "mobile": u.mobile or "",
                                          "company": u.company.name if getattr(u, "company", None) else "",
                                          "active": "true" if u.active else "false"})
    return out


def data_link(entity: dict, fields: dict[str, str], owner_id: str = "") -> dict:
    """One instance: the entity's declared fields we have a value for (E_<entityId>_<field>); enabled
    (合思 would store it disabled without ``disabled: false``) unless it is a partner who left."""
    declared = {f.get("name") for f in entity.get("fields") or []}
    prefix = f"E_{entity['id']}_"
    data = {prefix + key: text for key, text in fields.items() if text != "" and prefix + key in declared}
    item = {"disabled": fields.get("active") == "false", "visible": {"fullVisible": True}, "data": data}
    if owner_id:
        item["ownerId"] = owner_id
    return item


def _entity(client: Client, cfg: dict, kind: str) -> dict:
    entity_id = cfg.get(KINDS[kind])
    if not cfg.get("platform_id") or not entity_id:
        raise NotConfigured(_("请先在合思设置中选择自建应用和业务对象（测试连接）"))
    for entity in client.entities(cfg["platform_id"]):
        if str(entity.get("id")) == entity_id:
            return entity
    raise NotConfigured(_("合思中找不到所选业务对象 %(id)s，请重新测试连接并选择", id=entity_id))


# Marking and jobs ----------------------------------------------------------------------------
def queue(group_id: int, kind: str, object_ids, force: bool = False) -> int:
    """Mark these projects/partners to be pushed and enqueue the jobs (≤ 100 records each) with the
    transaction; the caller commits. Returns how many were marked."""
    record_ids = sync.mark(EkuaibaoRecord, group_id, kind, object_ids, force=force)
    for start in range(0, len(record_ids), LIMIT):
        enqueue(PUSH_JOB, group_id, record_ids=record_ids[start:start + LIMIT])
    return len(record_ids)


def partners_of(user_ids) -> list[int]:
    return list(db.session.scalars(db.select(UserRole.user_id).where(
        UserRole.user_id.in_(list(user_ids)), UserRole.role == roles.PARTNER)))


def on_changes(group_id: int, changed: dict[str, list[int]]) -> None:
    """core.changes: projects and partners created or changed in this transaction are pushed after it."""
    if changed.get("Project"):
        queue(group_id, PROJECT, changed["Project"])
    user_ids = set(changed.get("User", []))
    if changed.get("UserRole"):
        user_ids |= set(db.session.scalars(db.select(UserRole.user_id).where(UserRole.id.in_(changed["UserRole"]))))
    partners = partners_of(user_ids) if user_ids else []
    if partners:
        queue(group_id, PARTNER, partners)


def resync(group_id: int) -> int:
    """全量同步: every project and partner of the company, sent even if unchanged."""
    projects = db.session.scalars(db.select(Project.id)).all()
    partners = db.session.scalars(db.select(UserRole.user_id).where(UserRole.role == roles.PARTNER)).all()
    return queue(group_id, PROJECT, projects, force=True) + queue(group_id, PARTNER, partners, force=True)


def push(record_ids: list[int], attempt: int = 1) -> dict[str, int]:
    """The job: claim the records, send what changed (≤ 100 per call), record each row's outcome."""
    group_id = current_group_id()
    cfg = config(group_id)
    return sync.run(EkuaibaoRecord, PUSH_JOB, record_ids, attempt,
                    lambda client, kind, rows, outcome: _push_kind(client, cfg, kind, rows, outcome),
                    lambda: client_for(group_id, cfg))


def _push_kind(client: Client, cfg: dict, kind: str, rows: list, outcome: dict) -> None:
    found = values(kind, [r.object_id for r in rows])
    gone = [r for r in rows if r.object_id not in found]
    for record in gone:  # deleted, or no longer a partner: nothing to send
        sync.failed(record, _("已不存在或已不是合伙人，未同步"))
        outcome["failed"] += 1
    rows = [r for r in rows if r.object_id in found]
    if not rows:
        return
    entity = _entity(client, cfg, kind)
    items = []
    for record in rows:
        code, fields = found[record.object_id]
        item = data_link(entity, fields, cfg.get("owner_id", ""))
        record.code = code
        payload_digest = sync.digest([entity["id"], item])
        if record.remote_id and record.digest == payload_digest:
            sync.done(record)
            outcome["unchanged"] += 1
        else:
            items.append((record, item, payload_digest))
    for start in range(0, len(items), LIMIT):
        chunk = items[start:start + LIMIT]
        answer = client.add(str(entity["id"]), [item for _r, item, _d in chunk])
        ids = answer.get("dataLinkIds") or {}
        messages = answer.get("errorMsg") or []
        for index, (record, _item, payload_digest) in enumerate(chunk):
            if record.code in ids:
                sync.done(record, str(ids[record.code]), payload_digest)
                outcome["sent"] += 1
            else:
                message = messages[index] if index < len(messages) else _("合思未返回该条的结果")
                sync.failed(record, redact.scrub(str(message)))
                outcome["failed"] += 1
        db.session.commit()  # what was accepted stays accepted if a later chunk fails


def reconcile(report_id: int) -> None:
    """对账 job: list the instances back (page by page) and note what differs from Gentou."""
    group_id = current_group_id()
    cfg = config(group_id)

    def compare_all():
        client = client_for(group_id, cfg)
        return {kind: _compare(client, cfg, kind) for kind in (PROJECT, PARTNER)}
    sync.write_report(EkuaibaoReport, report_id, compare_all)


def _compare(client: Client, cfg: dict, kind: str) -> dict:
    entity = _entity(client, cfg, kind)
    prefix = f"E_{entity['id']}_"
    if kind == PROJECT:
        ids = db.session.scalars(db.select(Project.id)).all()
    else:
        ids = db.session.scalars(db.select(UserRole.user_id).where(UserRole.role == roles.PARTNER)).all()
    ours = {code: {key[len(prefix):]: text for key, text in data_link(entity, fields)["data"].items()}
            for code, fields in values(kind, ids).values()}
    theirs = {}
    for item in client.instances(str(entity["id"])):
        form = item.get("form") or {}
        theirs[str(item.get("code") or "")] = {key[len(prefix):]: text for key, text in form.items()
                                               if key.startswith(prefix)}
        if item.get("active") is False:
            theirs[str(item.get("code") or "")]["active"] = "false"
    return sync.compare(ours, theirs)
