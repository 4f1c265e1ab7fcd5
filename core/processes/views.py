"""流程/项目流程: a project's processes, the start form, the instance page, reset, attachments."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from core.i18n import gettext as _
from flask_login import current_user, login_required

from core import roles
from core.extensions import db
from core.forms import text_problem
from core.models import Project
from core.permissions import project_or_404
from core.processes import attachments, forms, service
from core.processes.models import Attachment, ProcessInstance

bp = Blueprint("processes", __name__, url_prefix="/processes")


@bp.before_request
@login_required
def _staff_only():
    if not current_user.has_role(roles.ADMIN, *roles.PROJECT_ROLES):
        abort(403)


def _instance_or_404(process_id: int) -> tuple[ProcessInstance, Project]:
    instance = db.session.scalar(db.select(ProcessInstance).where(ProcessInstance.id == process_id))
    if instance is None:
        abort(404)
    return instance, project_or_404(current_user, instance.project_id)


def _kind_or_404(code: str, group_id: int):
    kind = next((k for k in service.kinds_for(group_id) if k.code == code), None)
    if kind is None:
        abort(404)
    return kind


@bp.route("/projects/<int:project_id>")
def project_processes(project_id):
    project = project_or_404(current_user, project_id)
    kinds = service.kinds_for(current_user.group_id)
    instances = db.session.scalars(db.select(ProcessInstance).where(ProcessInstance.project_id == project.id)
                                   .order_by(ProcessInstance.id)).all()
    latest = {}
    for instance in instances:
        if instance.state != "reset" or instance.kind not in latest:
            latest[instance.kind] = instance
    blocked = {k.code: service.missing_requirement(k, project) for k in kinds}
    return render_template("processes/list.html", project=project, kinds=kinds, latest=latest, blocked=blocked,
                           providers=service.approval_providers(current_user.group_id))


@bp.route("/projects/<int:project_id>/start/<code>", methods=["GET", "POST"])
def start(project_id, code):
    project = project_or_404(current_user, project_id)
    kind = _kind_or_404(code, current_user.group_id)
    values, errors, description = forms.prefilled(kind, project), {}, ""
    if request.method == "POST":
        data, description, uploads, errors = forms.read(kind, project, request.form, request.files)
        values.update({k: request.form.get(k, v) for k, v in values.items()})
        if not errors:
            try:
                stored = [attachments.store(project.group_id, project.id, name, content, current_user.username)
                          for name, content in uploads]
                instance = service.start(kind, project, current_user, data, description, stored)
                db.session.commit()
            except service.ProcessError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                return redirect(url_for("processes.project_processes", project_id=project.id))
            flash(_("已发起%(label)s", label=kind.label), "success")
            return redirect(url_for("processes.view", process_id=instance.id))
    return render_template("processes/start.html", project=project, kind=kind, values=values, errors=errors,
                           description=description, allowed=", ".join(attachments.ALLOWED),
                           initiator=current_user)


@bp.route("/<int:process_id>")
def view(process_id):
    instance, project = _instance_or_404(process_id)
    kind = service.kinds().get(instance.kind)
    files = db.session.scalars(db.select(Attachment).where(Attachment.process_id == instance.id)).all()
    provider = service.approval_providers(current_user.group_id).get(instance.provider)
    bpm_url = provider.url(instance) if provider else None
    return render_template("processes/view.html", instance=instance, project=project, kind=kind, files=files,
                           bpm_url=bpm_url)


@bp.route("/<int:process_id>/decide", methods=["POST"])
def decide(process_id):
    instance, _project = _instance_or_404(process_id)
    approved = request.form.get("decision") == "approve"
    comment = (request.form.get("comment") or "").strip()
    problem = text_problem(_("审批意见"), comment, ProcessInstance.result_comment)
    try:
        if problem:
            raise service.ProcessError(problem)
        service.decide_in_app(instance, current_user, approved, comment)
        db.session.commit()
        flash(_("已审批"), "success")
    except service.ProcessError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect(url_for("processes.view", process_id=process_id))


@bp.route("/<int:process_id>/reset", methods=["POST"])
def reset(process_id):
    instance, project = _instance_or_404(process_id)
    reason = (request.form.get("reason") or "").strip()
    try:
        problem = text_problem(_("重置原因"), reason, ProcessInstance.reset_reason)
        if problem:
            raise service.ProcessError(problem)
        service.reset(instance, current_user, reason)
        db.session.commit()
        flash(_("已重置"), "success")
    except service.ProcessError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect(url_for("processes.project_processes", project_id=project.id))


@bp.route("/attachments/<token>")
def attachment(token):
    row = db.session.scalar(db.select(Attachment).where(Attachment.token == token))
    if row is None:
        abort(404)
    project_or_404(current_user, row.project_id)
    return send_file(attachments.path_of(row), mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename)
