"""项目维护: the project list (search, paging) and the project form."""
from flask_login import current_user
from flask import current_app, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from sqlalchemy import or_
from sqlalchemy.orm import contains_eager

from core.admin import bp
from core.admin.forms import ProjectForm
from core.extensions import db
from core.models import Batch, Company, GroupCompany, Project
from core.models.org import PROJECT_OWNER_KINDS, operator_labels
from core.permissions import get_or_404
from core.versioning import claim


def project_list_query(q: str):
    query = (db.select(Project).join(Project.company).outerjoin(Project.batch)
             .options(contains_eager(Project.company), contains_eager(Project.batch)).order_by(Project.id))
    if q:
        like = f"%{q}%"
        query = query.where(or_(Project.name.ilike(like), Project.code.ilike(like), Batch.name.ilike(like),
                                Company.name.ilike(like), Company.region.ilike(like)))
    return query


@bp.route("/projects")
def projects():
    q = request.args.get("q", "").strip()
    page = db.paginate(project_list_query(q), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("admin/projects.html", page=page, q=q, operator_labels=operator_labels)


def _fill_choices(form: ProjectForm, group: GroupCompany) -> None:
    owners = db.session.scalars(db.select(Company).where(Company.kind.in_(PROJECT_OWNER_KINDS))
                                .order_by(Company.name)).all()
    form.company_id.choices = [(c.id, c.name) for c in owners]
    form.batch_id.choices = [(0, "—")] + [
        (b.id, b.name) for b in db.session.scalars(db.select(Batch).order_by(Batch.name.desc())).all()]
    form.operator.choices = list(operator_labels(group.short_name).items())


@bp.route("/projects/new", methods=["GET", "POST"])
@bp.route("/projects/<int:project_id>", methods=["GET", "POST"])
def project_form(project_id=None):
    project = get_or_404(Project, project_id) if project_id else None
    group = db.session.get(GroupCompany, current_user.group_id)
    form = ProjectForm(obj=project)
    _fill_choices(form, group)
    if request.method == "GET" and project:
        form.batch_id.data = project.batch_id or 0
    if form.validate_on_submit():
        code = form.code.data.strip()
        if db.session.scalar(db.select(Project.id).where(Project.code == code, Project.id != (project_id or 0))):
            form.code.errors.append(_("项目编码 %(code)s 已存在", code=code))
        else:
            claim(project)
            target = project or Project()
            for field in ("company_id", "land_acquired_on", "is_open", "is_settled", "is_joint_operation",
                          "operator", "acquisition_method"):
                setattr(target, field, getattr(form, field).data)
            target.code, target.name = code, form.name.data.strip()
            target.batch_id = form.batch_id.data or None
            db.session.add(target)
            db.session.commit()
            flash(_("已保存"), "success")
            return redirect(url_for("admin.projects"))
    return render_template("admin/project_form.html", form=form, project=project)
