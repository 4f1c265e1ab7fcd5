"""A project's agreements for staff, and 批量生成 with its progress."""
from flask import abort, flash, jsonify, redirect, render_template, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core import roles
from core.extensions import db
from core.jobs import enqueue
from core.models import Project
from core.models.user import utcnow
from core.permissions import project_or_404, projects_query
from plugins.agreements.hooks import STAFF
from plugins.agreements.models import Agreement, GenerationBatch, GenerationItem
from plugins.agreements.views import bp
from plugins.subscription.models import Subscription


def _staff_project(project_id: int):
    if not current_user.has_role(*STAFF):
        abort(403)
    return project_or_404(current_user, project_id)


@bp.route("/")
def index():
    if not current_user.has_role(*STAFF):
        abort(403)
    projects = db.session.scalars(projects_query(current_user).order_by(Project.name)).all()
    return render_template("agreements/index.html", projects=projects)


def progress_of(batch_id: int) -> dict:
    counts = dict(db.session.execute(db.select(GenerationItem.state, db.func.count()).where(
        GenerationItem.batch_id == batch_id).group_by(GenerationItem.state)).all())
    return {"total": sum(counts.values()), "done": counts.get("done", 0), "failed": counts.get("failed", 0)}


@bp.route("/projects/<int:project_id>")
def project_agreements(project_id):
    project = _staff_project(project_id)
    rows = db.session.scalars(db.select(Agreement).options(db.joinedload(Agreement.user))
                              .where(Agreement.project_id == project.id)
                              .order_by(Agreement.subscription_id, Agreement.version)).all()
    batch = db.session.scalar(db.select(GenerationBatch).where(GenerationBatch.project_id == project.id)
                              .order_by(GenerationBatch.id.desc()).limit(1))
    return render_template("agreements/project.html", project=project, rows=rows, batch=batch,
                           progress=progress_of(batch.id) if batch else None,
                           can_generate=current_user.has_role(*roles.ACCOUNTANTS))


@bp.route("/projects/<int:project_id>/batch", methods=["POST"])
def generate_all(project_id):
    project = _staff_project(project_id)
    if not current_user.has_role(*roles.ACCOUNTANTS):
        abort(403)
    ids = db.session.scalars(db.select(Subscription.id).where(Subscription.project_id == project.id,
                                                              Subscription.investment > 0)).all()
    if not ids:
        flash(_("没有已确认投资金额的合伙人"), "warning")
        return redirect(url_for("agreements.project_agreements", project_id=project.id))
    batch = GenerationBatch(project_id=project.id, created_at=utcnow(), created_by=current_user.username)
    db.session.add(batch)
    db.session.flush()
    items = [GenerationItem(batch_id=batch.id, subscription_id=i) for i in ids]
    db.session.add_all(items)
    db.session.flush()
    for item in items:
        enqueue("agreements.generate_item", project.group_id, item_id=item.id)
    db.session.commit()
    flash(_("已开始生成 %(n)s 份协议", n=len(ids)), "success")
    return redirect(url_for("agreements.project_agreements", project_id=project.id))


@bp.route("/projects/<int:project_id>/batches/<int:generation_id>/progress")
def batch_progress(project_id, generation_id):
    project = _staff_project(project_id)
    batch = db.session.scalar(db.select(GenerationBatch).where(GenerationBatch.id == generation_id,
                                                               GenerationBatch.project_id == project.id))
    if batch is None:
        abort(404)
    counts = progress_of(batch.id)
    return jsonify(**counts, finished=counts["done"] + counts["failed"] >= counts["total"],
                   text=_("已生成 %(done)s / %(total)s，%(failed)s 份失败", **counts))
