"""Pages: 测试连接 on the settings page, the sync records (同步记录), a project's CRM payments (查询).

No page calls the CRM except 测试连接: syncs and queries are jobs, their results rows to read.
"""
from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from flask_login import current_user

from core import roles
from core.auth import roles_required
from core.extensions import db
from core.models import Project
from core.money import AmountError, parse_money
from core.permissions import get_or_404, project_or_404, projects_query
from core.ui import SHANGHAI
from plugins.crm import services
from plugins.crm.client import OPERATORS, CrmError
from plugins.crm.models import FAILED, KINDS, PENDING, SENDING, STATES, CrmPayment, CrmQuery

bp = Blueprint("crm", __name__, template_folder="templates")
admin_only = roles_required(roles.ADMIN)
staff = roles_required(roles.ADMIN, *roles.PROJECT_ROLES)
FILTER_FIELDS = {"payment_amount": _l("回款金额"), "payment_time": _l("回款日期"), "name": _l("回款编号"),
                 "remark": _l("备注")}
OPERATOR_LABELS = {"EQ": "=", "N": "≠", "GT": ">", "GTE": "≥", "LT": "<", "LTE": "≤", "LIKE": _l("包含"),
                   "NLIKE": _l("不包含"), "IS": _l("为空"), "ISN": _l("不为空"), "IN": _l("属于"), "NIN": _l("不属于"),
                   "BETWEEN": _l("介于"), "NBETWEEN": _l("不介于"), "STARTWITH": _l("开头是"), "ENDWITH": _l("结尾是"),
                   "EXISTS": _l("有值"), "NEXISTS": _l("无值"), "CONTAINS": _l("数组包含")}
NO_VALUE = {"IS", "ISN", "EXISTS", "NEXISTS"}
MANY = {"IN", "NIN", "BETWEEN", "NBETWEEN"}
PER_PAGE = 50


@bp.route("/settings/test", methods=["POST"])
@admin_only
def test_connection():
    """测试连接: a token now and the operator by mobile (the one network call a page may make)."""
    cfg = services.config(current_user.group_id)
    try:
        client = services.client_for(current_user.group_id, cfg)
        client.fresh_token()
        operator = services.operator_of(client, cfg)
    except services.NotConfigured as exc:
        flash(exc.reason, "danger")
    except CrmError as exc:
        flash(_("连接失败：%(reason)s", reason=exc.reason), "danger")
    else:
        flash(_("连接成功：企业 %(corp)s，操作人 %(operator)s", corp=client.corp_id(), operator=operator), "success")
    return redirect(url_for("admin.module_settings", name=services.PLUGIN))


@bp.route("/")
@admin_only
def index():
    state = request.args.get("state", "")
    query = db.select(CrmPayment).order_by(CrmPayment.id.desc())
    if state in STATES:
        query = query.where(CrmPayment.state == state)
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    counts = dict(db.session.execute(db.select(CrmPayment.state, db.func.count()).group_by(CrmPayment.state)).all())
    return render_template("crm/index.html", page=page, state=state, states=STATES, kinds=KINDS, counts=counts,
                           names=_names(page.items))


@bp.route("/payments/<int:row_id>/resync", methods=["POST"])
@admin_only
def resync(row_id):
    row = get_or_404(CrmPayment, row_id)
    if row.state != FAILED:
        flash(_("只有同步失败的记录可以重新同步"), "warning")
    else:
        services.resync(row)
        db.session.commit()
        flash(_("已重新排队同步：%(entry)s", entry=str(row)), "success")
    return redirect(url_for("crm.index", state=request.args.get("state", "")))


@bp.route("/projects")
@staff
def projects():
    """CRM回款: the projects the user may open, each with its CRM payments one click away."""
    page = db.paginate(projects_query(current_user).order_by(Project.code), per_page=PER_PAGE, error_out=False)
    last = dict(db.session.execute(db.select(CrmQuery.project_id, db.func.max(CrmQuery.finished_at)).where(
        CrmQuery.project_id.in_([p.id for p in page.items])).group_by(CrmQuery.project_id)).all())
    return render_template("crm/projects.html", page=page, last=last)


@bp.route("/projects/<int:project_id>/payments", methods=["GET", "POST"])
@staff
def project_payments(project_id):
    """查询: the CRM's payments of the project under the filters, marked against our records."""
    project = project_or_404(current_user, project_id)
    if request.method == "POST":
        filters, errors = parse_filters(request.form)
        if errors:
            for error in errors:
                flash(error, "danger")
        else:
            services.start_query(project, filters, current_user.username)
            db.session.commit()
            flash(_("正在查询 CRM，稍候刷新本页"), "info")
        return redirect(url_for("crm.project_payments", project_id=project.id))
    query = db.session.scalar(db.select(CrmQuery).where(CrmQuery.project_id == project.id)
                              .order_by(CrmQuery.id.desc()).limit(1))
    lines, unlisted = services.reconcile(query) if query is not None and query.state == "synced" else ([], [])
    page_no = max(1, request.args.get("page", 1, type=int))
    shown = lines[(page_no - 1) * PER_PAGE:page_no * PER_PAGE]
    return render_template("crm/project_payments.html", project=project, query=query, lines=shown,
                           count=len(lines), unlisted=unlisted, page_no=page_no,
                           pages=max(1, -(-len(lines) // PER_PAGE)), fields=FILTER_FIELDS, operators=OPERATORS,
                           operator_labels=OPERATOR_LABELS, filters=shown_filters(query),
                           running=query is not None and query.state in (PENDING, SENDING), kinds=KINDS,
                           names=_names(unlisted))


def shown_filters(query: CrmQuery | None) -> list[dict]:
    """The last query's filters as the form shows them again (dates as dates, values joined by ；)."""
    shown = []
    for f in json.loads(query.filters) if query else []:
        values = [dt.datetime.fromtimestamp(v / 1000, SHANGHAI).date().isoformat()
                  if f["field_name"] == "payment_time" and isinstance(v, int) else str(v) for v in f["field_values"]]
        shown.append({**f, "text": "; ".join(values)})
    return shown


def parse_filters(form) -> tuple[list[dict], list[str]]:
    """Up to three filter rows (field, operator, value) into the CRM's filters; problems in words."""
    filters, errors = [], []
    for index in range(3):
        field, operator = form.get(f"field{index}", ""), form.get(f"op{index}", "")
        raw = (form.get(f"value{index}") or "").strip()
        if not field and not raw:
            continue
        label = FILTER_FIELDS.get(field)
        if label is None or operator not in OPERATORS:
            errors.append(_("第 %(n)s 个条件的字段或比较方式不正确", n=index + 1))
            continue
        if operator in NO_VALUE:
            filters.append({"field_name": field, "field_values": [], "operator": operator})
            continue
        parts = [p.strip() for p in raw.replace("；", ";").split(";")] if operator in MANY else [raw]
        if not raw or any(not p for p in parts):
            errors.append(_("请填写%(field)s的值", field=label))
            continue
        if operator in ("BETWEEN", "NBETWEEN") and len(parts) != 2:
            errors.append(_("%(field)s介于两个值之间：用分号分隔，例如 1;100", field=label))
            continue
        values = []
        for part in parts:
            value, problem = _value(field, part, str(label))
            if problem:
                errors.append(problem)
                break
            values.append(value)
        else:
            filters.append({"field_name": field, "field_values": values, "operator": operator})
    return filters, errors


def _value(field: str, text: str, label: str):
    if field == "payment_amount":
        try:
            return f"{parse_money(text, label, signed=True):.2f}", None
        except AmountError as exc:
            return None, str(exc)
    if field == "payment_time":
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return None, _("%(field)s应为日期，例如 2026-11-28", field=label)
        return int(dt.datetime.combine(day, dt.time(), SHANGHAI).timestamp() * 1000), None
    if len(text) > 200:
        return None, _("%(field)s最多 200 个字符", field=label)
    return text, None


def _names(rows) -> dict[int, str]:
    from core.models import User
    ids = {r.user_id for r in rows}
    return dict(db.session.execute(db.select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}

