"""披露/盈亏动态 (accountants enter versions, everyone on the project reads them), 披露/披露审核 (the business
admin sends the merged notice) and 个人中心/项目披露 (a partner reads what was disclosed of their projects)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from core.i18n import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from core import roles
from core.extensions import db
from core.forms import limits
from core.jobs import enqueue
from core.models import Project
from core.money import AmountError, parse_column
from core.permissions import project_or_404, projects_query
from core.processes import attachments
from core.processes.models import Attachment, ProcessInstance
from core.versioning import claim
from plugins.disclosure import services
from plugins.disclosure.models import ProfitVersion
from plugins.subscription.forms import FormReader
# accountants enter versions, the business admin reads them; both need the project's 项目授权
from plugins.subscription.views import STAFF, staff_project

bp = Blueprint("disclosure", __name__, template_folder="templates")


def _version_or_404(project: Project, version_id: int) -> ProfitVersion:
    version = db.session.scalar(db.select(ProfitVersion).where(ProfitVersion.id == version_id,
                                                               ProfitVersion.project_id == project.id))
    if version is None:
        abort(404)
    return version


def read_figures(form) -> tuple[dict, dict]:
    """The version's fields from the form, each checked against its column; (values, errors by field)."""
    reader = FormReader(form)
    values = {"as_of": reader.date("as_of", _("数据日期"), required=True)}
    for name, label, kind in services.INDICATORS:
        label = str(label)
        if kind == "money":
            values[name] = reader.money(name, label)
        elif kind == "signed_money":
            values[name] = reader.money(name, label, minimum=None)
        elif kind == "int":
            values[name] = reader.integer(name, label, maximum=1200)
        else:  # a margin or an IRR may be negative, and has the column's places and digits
            raw = (form.get(name) or "").strip().rstrip("%")
            try:
                values[name] = parse_column(raw, getattr(ProfitVersion, name), label, signed=True) if raw else None
            except AmountError as exc:
                reader.errors[name] = str(exc)
    values["progress"] = reader.text("progress", _("进度节点"), ProfitVersion.progress)
    values["note"] = reader.text("note", _("说明"), ProfitVersion.note)
    return values, reader.errors


@bp.route("/")
def index():
    if not current_user.has_role(*STAFF):
        abort(403)
    projects = db.session.scalars(projects_query(current_user).options(joinedload(Project.company))
                                  .order_by(Project.name)).all()
    return render_template("disclosure/index.html", projects=projects)


def _values(version: ProfitVersion | None) -> dict:
    """A version's fields as the form shows them (numbers as text that reads back the same)."""
    if version is None:
        return {}
    out = {"as_of": version.as_of.isoformat(), "progress": version.progress, "note": version.note}
    for name, _label, kind in services.INDICATORS:
        value = getattr(version, name)
        out[name] = "" if value is None else (f"{value:,}" if kind != "int" else str(value))
    return out


def _page(project: Project, selected: ProfitVersion | None, errors=None, form=None, status=200, editing=False):
    rows = services.versions(project.id)
    if selected is None and rows:
        selected = rows[-1]
    plan = services.initiation(project.id)
    previous = next((v for v in reversed(rows) if selected and v.number < selected.number), None)
    running = services.running_ids(project.id)
    return render_template(
        "disclosure/dynamics.html", project=project, rows=rows, selected=selected, running=running,
        comparison=services.compare(plan, previous, selected) if selected else [], previous=previous,
        charts=services.indicator_charts(plan, rows), indicators=services.INDICATORS, errors=errors or {},
        form=form, limits=limits(ProfitVersion), can_edit=current_user.has_role(*roles.ACCOUNTANTS),
        locked=services.lock_reason(selected) if selected else None,
        new_values=form if form is not None and not editing else {**_values(rows[-1] if rows else None), "as_of": ""},
        edit_values=form if form is not None and editing else _values(selected)), status


@bp.route("/projects/<int:project_id>/dynamics", methods=["GET", "POST"])
def dynamics(project_id):
    """盈亏动态: the versions, the selected one compared with 立项 and the previous one, a chart per indicator;
    POST adds a new version."""
    project = staff_project(project_id, editing=request.method == "POST")
    if request.method == "GET":
        selected = None
        if request.args.get("v", "").isdigit():
            selected = _version_or_404(project, int(request.args["v"]))
        return _page(project, selected)
    values, errors = read_figures(request.form)
    if errors:
        return _page(project, None, errors, request.form, 400)
    try:
        version = services.create(project, values, current_user.username)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(_("他人同时新增了版本，请刷新后重试"), "danger")
        return redirect(url_for("disclosure.dynamics", project_id=project.id))
    flash(_("已新增第%(n)s版", n=version.number), "success")
    return redirect(url_for("disclosure.dynamics", project_id=project.id, v=version.id))


@bp.route("/projects/<int:project_id>/dynamics/<int:version_id>", methods=["POST"])
def edit_version(project_id, version_id):
    project = staff_project(project_id, editing=True)
    version = _version_or_404(project, version_id)
    values, errors = read_figures(request.form)
    if errors:
        return _page(project, version, {f"edit-{k}": v for k, v in errors.items()}, request.form, 400, editing=True)
    try:
        services.update(version, values)
        claim(version)
        db.session.commit()
    except services.DisclosureError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(_("已保存"), "success")
    return redirect(url_for("disclosure.dynamics", project_id=project.id, v=version_id))


def _attachments(version: ProfitVersion) -> list[Attachment]:
    if version.process_id is None:
        return []
    return list(db.session.scalars(db.select(Attachment).where(Attachment.process_id == version.process_id)
                                   .order_by(Attachment.id)))


def _visible():
    return projects_query(current_user).with_only_columns(Project.id)


@bp.route("/review")
def review():
    """披露审核: the disclosed versions, how many partners wait for each, and 合并发送通知."""
    if not current_user.has_role(roles.BUSINESS_ADMIN):
        abort(403)
    rows = services.review_rows(_visible())
    return render_template("disclosure/review.html", rows=rows, waiting=sum(n for _v, _p, n in rows))


@bp.route("/review/<int:version_id>")
def review_version(version_id):
    """The business admin reads a disclosure as the partners will, with its process and attachments."""
    if not current_user.has_role(roles.BUSINESS_ADMIN):
        abort(403)
    version = db.session.scalar(db.select(ProfitVersion).where(ProfitVersion.id == version_id))
    if version is None:
        abort(404)
    project = project_or_404(current_user, version.project_id)
    return _detail(project, version, staff=True)


@bp.route("/review/send", methods=["POST"])
def send():
    """合并发送通知: a job writes the notices (10,000 partners take seconds), the outbox delivers them."""
    if not current_user.has_role(roles.BUSINESS_ADMIN):
        abort(403)
    waiting = services.waiting_partners(_visible())
    if not waiting:
        flash(_("没有待通知的披露"), "info")
        return redirect(url_for("disclosure.review"))
    enqueue(services.SEND_JOB, current_user.group_id, user_id=current_user.id)
    db.session.commit()
    flash(_("已开始向 %(n)s 位合伙人合并发送披露通知", n=waiting), "success")
    return redirect(url_for("disclosure.review"))


def _detail(project: Project, version: ProfitVersion, staff: bool = False):
    rows = [v for v in services.versions(project.id) if v.disclosed_at is not None or v.id == version.id]
    disclosed = [v for v in rows if v.disclosed_at is not None and v.number <= version.number]
    previous = next((v for v in reversed(disclosed) if v.number < version.number), None)
    plan = services.initiation(project.id)
    process = db.session.get(ProcessInstance, version.process_id) if version.process_id else None
    return render_template("disclosure/detail.html", project=project, version=version, staff=staff,
                           comparison=services.compare(plan, previous, version), previous=previous,
                           charts=services.indicator_charts(plan, disclosed or [version]),
                           files=_attachments(version), process=process)


def _partner_only():
    if not current_user.has_role(roles.PARTNER):
        abort(403)


@bp.route("/me")
def me():
    _partner_only()
    return render_template("disclosure/me.html", rows=services.disclosed_for(current_user.id))


def _mine_or_404(version_id: int) -> tuple[ProfitVersion, Project]:
    """A disclosed version of a project the partner invested in; anything else is not found."""
    found = db.session.execute(
        db.select(ProfitVersion, Project).join(Project, Project.id == ProfitVersion.project_id)
        .where(ProfitVersion.id == version_id, ProfitVersion.disclosed_at.is_not(None),
               ProfitVersion.project_id.in_(services.invested_projects(current_user.id)))).first()
    if found is None:
        abort(404)
    return found


@bp.route("/me/<int:version_id>")
def my_disclosure(version_id):
    _partner_only()
    version, project = _mine_or_404(version_id)
    return _detail(project, version)


@bp.route("/me/<int:version_id>/files/<token>")
def my_attachment(version_id, token):
    """An attachment of the disclosure's 披露 process, for the partners of that project only."""
    _partner_only()
    version, _project = _mine_or_404(version_id)
    row = next((a for a in _attachments(version) if a.token == token), None)
    if row is None:
        abort(404)
    return send_file(attachments.path_of(row), mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename)
