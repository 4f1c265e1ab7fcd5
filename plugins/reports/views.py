"""报表 pages, their .xlsx exports, 辅助工具 (admin) and 个人中心/我的投资 (the partner's own).

Staff reports: the business admin (every project of the group company) and the accountants (their
authorised projects only, core.permissions.projects_query). 我的投资 shows the signed-in partner's own
rows and takes no id from the request."""
from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from decimal import Decimal

from flask import (Blueprint, abort, after_this_request, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user, login_required

from core import charts, roles
from core.auth import roles_required
from core.extensions import db
from core.jobs import enqueue
from core.models.user import utcnow
from core.i18n import gettext as _
from core.models import Batch, Company, Project
from core.permissions import projects_query
from plugins.reports import excel, exports, services
from plugins.reports.jobs import file_of
from plugins.reports.models import DONE, FAILED, QUEUED, ReportExport
from plugins.reports.personal import position

bp = Blueprint("reports", __name__, template_folder="templates")
STAFF = (roles.BUSINESS_ADMIN,) + roles.ACCOUNTANTS
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 50


def _int(name):
    text = request.args.get(name, "").strip()
    if not text:
        return None, None
    if not text.isdigit() or len(text) > 12:
        return None, _("筛选条件无效，已忽略")
    return int(text), None


def _date(name):
    text = request.args.get(name, "").strip()
    if not text:
        return None, None
    try:
        return dt.date.fromisoformat(text), None
    except ValueError:
        return None, _("日期格式应为 YYYY-MM-DD，已忽略")


def filters_from_request() -> tuple[services.Filters, list[str]]:
    values, problems = {}, []
    for name in ("company_id", "project_id", "batch_id"):
        values[name], problem = _int(name)
        problems.append(problem)
    for name in ("date_from", "date_to"):
        values[name], problem = _date(name)
        problems.append(problem)
    values["query"] = request.args.get("q", "").strip()[:60]
    return services.Filters(**values), sorted({p for p in problems if p})


def _choices():
    projects = db.session.execute(projects_query(current_user).with_only_columns(Project.id, Project.name)
                                  .order_by(Project.name)).all()
    companies = db.session.execute(db.select(Company.id, Company.name).order_by(Company.name)).all()
    batches = db.session.execute(db.select(Batch.id, Batch.name).order_by(Batch.name)).all()
    return {"projects": projects, "companies": companies, "batches": batches}


def _report(code):
    report = services.REPORTS.get(code)
    if report is None or not report.available():
        abort(404)
    return report


@bp.route("/")
@roles_required(*STAFF)
def index():
    reports = [r for r in services.REPORTS.values() if r.available()]
    return render_template("reports/index.html", reports=reports)


def _export(report, rows, columns, totals, name):
    path = excel.write_stream(report.title, columns, rows, totals, _("合计"))

    @after_this_request
    def _remove(response):
        try:
            os.unlink(path)
        except OSError:
            pass
        return response
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.route("/<code>")
@roles_required(*STAFF)
def report(code):
    report = _report(code)
    filters, problems = filters_from_request()
    sort, descending = request.args.get("sort", ""), request.args.get("desc") == "1"
    number, _problem = _int("page")
    columns = report.columns()
    if request.args.get("export") and report.small:  # a row per project (or batch): small enough for the request
        _rows, totals, _count = services.page(report, current_user, filters, sort, descending, 1, 1)
        rows = services.all_rows(report, current_user, filters, sort, descending)
        return _export(report, rows, columns, totals, f"{report.title}.xlsx")
    rows, totals, count = services.page(report, current_user, filters, sort, descending, number or 1, PER_PAGE)
    pages = max((count + PER_PAGE - 1) // PER_PAGE, 1)
    args = {k: v for k, v in request.args.items() if k not in ("page", "export")}
    figures = _charts(filters) if report.code == "realtime" else ()
    mine = () if report.small else _mine(exports.report_kind(report.code), 5)
    return render_template("reports/report.html", report=report, columns=columns, rows=rows, totals=totals,
                           count=count, page=number or 1, pages=pages, args=args, sort=sort, desc=descending,
                           problems=problems, filters=filters, charts=figures, exports=mine,
                           progress=_progress_text, label=exports.label, **_choices())


@bp.route("/<code>/export", methods=["POST"])
@roles_required(*STAFF)
def report_export(code):
    """A report of partner rows is exported by a job, with the page's filters and order (in the query string);
    the page then shows its progress and the file, as 辅助工具 does."""
    report = _report(code)
    if report.small:
        abort(404)
    filters, _problems = filters_from_request()
    params = {"filters": filters.to_params(), "sort": request.args.get("sort", ""),
              "desc": request.args.get("desc") == "1"}
    _start(exports.report_kind(code), params)
    args = {k: v for k, v in request.args.items() if k not in ("page", "export")}
    return redirect(url_for("reports.report", code=code, **args))


def _start(kind: str, params: dict | None = None) -> None:
    row = ReportExport(user_id=current_user.id, kind=kind, params=params, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    enqueue("reports.export", current_user.group_id, export_id=row.id)
    db.session.commit()
    flash(_("已开始导出%(name)s，完成后可在下方下载", name=exports.label(kind)), "success")


def _mine(kinds, limit: int):
    """The signed-in user's latest exports of ``kinds`` (one kind or several)."""
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    return db.session.scalars(db.select(ReportExport).where(ReportExport.user_id == current_user.id,
                                                            ReportExport.kind.in_(kinds))
                              .order_by(ReportExport.id.desc()).limit(limit)).all()


def _charts(filters):
    """实时跟踪汇总表's charts: invested vs returned over time (cumulative, by month), and per company."""
    out = []
    labels, invested, returned = services.cash_over_time(current_user, filters)
    if labels:
        out.append(charts.line_chart(labels, [(_("累计已缴"), invested), (_("累计分配"), returned)],
                                     title=_("投资与回款"), width=640))
    companies = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in services.all_rows(services.REPORTS["realtime"], current_user, filters):
        companies[row["company"]][0] += row["paid"] or 0
        companies[row["company"]][1] += row["distributed"]
    if companies:
        names = sorted(companies)
        out.append(charts.bar_chart(names, [(_("已缴金额"), [companies[n][0] for n in names]),
                                            (_("分配合计"), [companies[n][1] for n in names])],
                                    title=_("各公司投资与回款"), width=640))
    return out


@bp.route("/tools")
@roles_required(roles.ADMIN)
def tools():
    return render_template("reports/tools.html", kinds=exports.KINDS, exports=_mine(exports.KINDS, 10),
                           progress=_progress_text, label=exports.label)


@bp.route("/tools/<kind>", methods=["POST"])
@roles_required(roles.ADMIN)
def export_start(kind):
    """Queue the export; the page then shows its progress (core/static/progress.js) and the file."""
    if kind not in exports.KINDS:
        abort(404)
    _start(kind)
    return redirect(url_for("reports.tools"))


def _own_export(export_id) -> ReportExport:
    """The export if the signed-in user asked for it (in their group company); 404 otherwise."""
    row = db.session.scalar(db.select(ReportExport).where(ReportExport.id == export_id,
                                                          ReportExport.user_id == current_user.id))
    if row is None:
        abort(404)
    return row


def _progress_text(row) -> str:
    if row.state == DONE:
        return _("已完成，共 %(n)s 行", n=row.rows_total)
    if row.state == FAILED:
        return _("导出失败，请重试")
    if row.state == QUEUED:
        return _("排队中")
    return _("已导出 %(done)s / %(total)s 行", done=row.rows_done, total=row.rows_total)


@bp.route("/exports/<int:export_id>/progress")
@roles_required(roles.ADMIN, *STAFF)
def export_progress(export_id):
    row = _own_export(export_id)
    return jsonify(text=_progress_text(row), finished=row.state in (DONE, FAILED))


@bp.route("/exports/<int:export_id>.xlsx")
@roles_required(roles.ADMIN, *STAFF)
def export_download(export_id):
    row = _own_export(export_id)
    path = file_of(row) if row.state == DONE else None
    if path is None:
        abort(404)
    name = f"{exports.label(row.kind)}.xlsx"
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.route("/me")
@login_required
def me():
    if not current_user.has_role(roles.PARTNER):
        abort(403)
    found = position(current_user.id)
    chart = None
    if found["flows"]:
        by_day = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for day, amount in found["flows"]:
            by_day[day][0 if amount < 0 else 1] += amount
        days = sorted(by_day)
        chart = charts.bar_chart([d.isoformat() for d in days],
                                 [(_("缴款"), [by_day[d][0] for d in days]), (_("分配及退出打款"), [by_day[d][1] for d in days])],
                                 title=_("我的现金流"), width=640)
    return render_template("reports/me.html", position=found, chart=chart)
