"""系统日志: the audit log with filters, each entry in words: labels, not column names or reprs, and
Asia/Shanghai times."""
import datetime as dt
import re

from flask import current_app, render_template, request
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

from core.admin import bp
from core.extensions import db
from core.models import AuditLog
from core.ui import SHANGHAI, localtime

ACTIONS = {"create": _l("新建"), "update": _l("修改"), "delete": _l("删除"), "enable": _l("启用"), "disable": _l("停用"),
           "approved": _l("审批通过"), "rejected": _l("驳回"), "reset": _l("重置"), "review:submitted": _l("送审"),
           "review:passed": _l("审核通过"), "review:returned": _l("退回"), "review:unlock": _l("解锁编辑"),
           "review:lock": _l("锁定"), "setting": _l("设置"), "password": _l("修改密码"), "reverse": _l("冲销"),
           "fallback": _l("转为系统内审批")}
# Labels of the columns every module shares; a model names its own in ``__column_labels__``.
COLUMN_LABELS = {"id": _l("ID"), "group_id": _l("集团"), "project_id": _l("项目"), "company_id": _l("公司"),
                 "user_id": _l("用户"), "name": _l("名称"), "code": _l("编码"), "username": _l("账号"),
                 "mobile": _l("手机"), "email": _l("邮箱"), "active": _l("启用"), "locale": _l("语言"),
                 "role": _l("角色"), "state": _l("状态"), "comment": _l("意见"), "amount": _l("金额"),
                 "version": _l("版本"), "created_at": _l("创建时间"), "created_by": _l("创建人"),
                 "unlocked": _l("已解锁"), "reset_reason": _l("重置原因"), "completed_at": _l("完成时间"),
                 "decided_by": _l("审批人"), "result_comment": _l("审批意见"), "slot": _l("流程槽"),
                 "is_open": _l("开通"), "region": _l("区域"), "short_name": _l("简称"), "parent_id": _l("上级公司"),
                 "batch_id": _l("批次"), "operator": _l("操盘方"), "land_acquired_on": _l("拿地时间"),
                 "acquisition_method": _l("取得方式"), "is_joint_operation": _l("联合操盘"),
                 "is_settled": _l("已清算"), "value": _l("值"), "module": _l("模块"), "kind": _l("类型"),
                 "initiator_id": _l("发起人"), "started_at": _l("发起时间"), "form_data": _l("表单"),
                 "description": _l("情况说明"), "provider": _l("审批方式"), "external_id": _l("外部编号"),
                 "decided_at": _l("审核时间"), "submitted_by": _l("送审人"), "submitted_at": _l("送审时间"),
                 "title": _l("标题"), "token": _l("令牌")}
_UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_REPR = re.compile(r"^<\w+ .*>$")  # summaries stored before records had labels: "<Payment (pending 3)>"


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
    return render_template("admin/audit_log.html", page=page, f=f, tables=tables, labels=table_labels(),
                           actions=ACTIONS, readable=readable, summary=summary)


def table_labels() -> dict[str, str]:
    """Table name -> the model's ``__label__`` (e.g. core_project -> 项目)."""
    return {m.local_table.name: str(getattr(m.class_, "__label__", m.local_table.name))
            for m in db.Model.registry.mappers}


def column_labels(table: str) -> dict[str, str]:
    """Column -> its label, for ``table``: the model's ``__column_labels__``, else the shared ones."""
    labels = {key: str(label) for key, label in COLUMN_LABELS.items()}
    for mapper in db.Model.registry.mappers:
        if mapper.local_table.name == table:
            labels.update({key: str(label) for key, label in getattr(mapper.class_, "__column_labels__", {}).items()})
    return labels


def value_labels(table: str) -> dict[str, dict]:
    """Coded values shown by their labels: process and review states, process kinds."""
    from core.processes.models import REVIEW_LABELS, STATE_LABELS
    from core.processes.service import kinds
    if table == "core_process":
        return {"state": STATE_LABELS, "kind": {code: kind.label for code, kind in kinds().items()}}
    if table == "core_review":
        return {"state": REVIEW_LABELS}
    return {}


def _value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, str) and _UTC_TIME.match(value):
        return localtime(dt.datetime.fromisoformat(value), "%Y-%m-%d %H:%M:%S")  # stored in UTC
    return str(value)


def readable(values: dict | None, table: str) -> list[str]:
    """Before/after values as lines "label：value"; a bulk entry (record id -> its values) as one line per record."""
    if not values:
        return []
    labels, coded = column_labels(table), value_labels(table)
    lines = []
    for key, value in values.items():
        if isinstance(value, dict):
            inner = "，".join(f"{labels.get(k, k)}：{_value(v)}" for k, v in value.items())
            lines.append(f"#{key} {inner}" if str(key).isdigit() else f"{labels.get(key, key)}：{inner}")
        else:
            lines.append(f"{labels.get(key, key)}：{_value(coded.get(key, {}).get(value, value))}")
    return lines


def summary(row, labels: dict[str, str]) -> str:
    """The record's label (a named action's summary in the reader's language), or the model's label for entries
    that stored a Python repr."""
    if _REPR.match(row.summary or ""):
        return labels.get(row.record_table, row.record_table)
    return row.summary_text  # in the reader's language when its message id was kept
