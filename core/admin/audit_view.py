"""系统日志: the audit log with filters."""
import datetime as dt

from flask import current_app, render_template, request

from core.admin import bp
from core.extensions import db
from core.models import AuditLog
from core.ui import SHANGHAI


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _utc_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), SHANGHAI).astimezone(dt.UTC).replace(tzinfo=None)


@bp.route("/audit-log")
def audit_log():
    f = {k: request.args.get(k, "").strip() for k in ("actor", "action", "table", "record", "start", "end")}
    query = db.select(AuditLog).order_by(AuditLog.id.desc())
    if f["actor"]:
        query = query.where(AuditLog.actor.ilike(f"%{f['actor']}%"))
    if f["action"]:
        query = query.where(AuditLog.action == f["action"])
    if f["table"]:
        query = query.where(AuditLog.record_table == f["table"])
    if f["record"]:
        query = query.where(AuditLog.record_id == f["record"])
    if start := _day(f["start"]):
        query = query.where(AuditLog.at >= _utc_start(start))
    if end := _day(f["end"]):
        query = query.where(AuditLog.at < _utc_start(end + dt.timedelta(days=1)))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"] * 2, error_out=False)
    tables = db.session.scalars(db.select(AuditLog.record_table).distinct().order_by(AuditLog.record_table)).all()
    return render_template("admin/audit_log.html", page=page, f=f, tables=tables, labels=table_labels())


def table_labels() -> dict[str, str]:
    """Table name -> the model's ``__label__`` (e.g. core_project -> 项目)."""
    return {m.local_table.name: str(getattr(m.class_, "__label__", m.local_table.name))
            for m in db.Model.registry.mappers}
