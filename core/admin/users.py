"""账号及角色: users, their roles, and project authorisation per role (项目授权)."""
from flask import current_app, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from sqlalchemy import or_
from sqlalchemy.orm import joinedload

from core import roles
from core.admin import bp
from core.admin.companies import company_tree
from core.admin.forms import UserForm
from core.extensions import db, paginate_rows
from core.forms import read_id
from core.models import Company, Project, ProjectAuthorisation, User, UserRole
from core.permissions import get_or_404
from core.versioning import claim


@bp.route("/users")
def users():
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    conditions = []
    if q:
        like = f"%{q}%"
        conditions.append(or_(User.username.ilike(like), User.name.ilike(like), User.mobile.ilike(like)))
    if role in roles.ALL:
        conditions.append(User.id.in_(db.select(UserRole.user_id).where(UserRole.role == role)))
    query = (db.select(User.id, User.username, User.name, User.mobile, User.active, Company.name.label("company_name"))
             .select_from(User).outerjoin(User.company).where(*conditions).order_by(User.id))
    count = db.select(db.func.count(User.id)).where(*conditions)
    return render_template("admin/users.html", rows=lambda: _user_rows(query, count), q=q, role=role)


def _user_rows(query, count):
    """A page of users and the labels of their roles."""
    page = paginate_rows(query, per_page=current_app.config["PAGE_SIZE"], count_select=count)
    held: dict[int, set[str]] = {}
    for user_id, code in db.session.execute(db.select(UserRole.user_id, UserRole.role)
                                            .where(UserRole.user_id.in_([u.id for u in page.items]))):
        held.setdefault(user_id, set()).add(code)
    return page, {user_id: "、".join(roles.labels_of(codes)) for user_id, codes in held.items()}


def password_problem(password: str) -> str | None:
    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        return _("密码至少需要 %(n)s 位", n=current_app.config["PASSWORD_MIN_LENGTH"])
    if len(password) > current_app.config["PASSWORD_MAX_LENGTH"]:
        return _("密码最多 %(n)s 位", n=current_app.config["PASSWORD_MAX_LENGTH"])
    return None


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_form(user_id=None):
    user = get_or_404(User, user_id) if user_id else None
    form = UserForm(obj=user)
    form.company_id.choices = [(0, "—")] + [(c.id, "　" * d + c.name) for d, c in company_tree()]
    if request.method == "GET" and user:
        form.roles.data = sorted(user.roles)
        form.company_id.data = user.company_id or 0
    if form.validate_on_submit():
        username = form.username.data.strip()
        clash = db.session.scalar(db.select(User.id).where(User.username == username, User.id != (user_id or 0))
                                  .execution_options(all_tenants=True))
        problem = password_problem(form.password.data or "") if (form.password.data or not user) else None
        if clash:
            form.username.errors.append(_("账号 %(u)s 已存在", u=username))
        elif problem:
            form.password.errors.append(problem)
        else:
            claim(user)
            target = user or User()
            target.username, target.name = username, form.name.data.strip()
            target.mobile, target.email = (form.mobile.data or "").strip(), (form.email.data or "").strip()
            target.company_id = form.company_id.data or None
            target.active, target.locale = form.active.data, form.locale.data
            if form.password.data:
                target.set_password(form.password.data)
            db.session.add(target)
            db.session.flush()
            target.set_roles(form.roles.data)
            db.session.commit()
            flash(_("已保存"), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/authorisations", methods=["GET", "POST"])
@bp.route("/authorisations/<int:project_id>", methods=["GET", "POST"])
def authorisations(project_id=None):
    """Pick a project on the left, tick per role the users who may work on it."""
    project = get_or_404(Project, project_id) if project_id else None
    holders = {r: [] for r in roles.PROJECT_ROLES}
    for user_role in db.session.scalars(db.select(UserRole).options(joinedload(UserRole.user))
                                        .where(UserRole.role.in_(roles.PROJECT_ROLES))).all():
        holders[user_role.role].append(user_role.user)
    current = set()
    if project:
        current = set(db.session.execute(db.select(ProjectAuthorisation.user_id, ProjectAuthorisation.role)
                                         .where(ProjectAuthorisation.project_id == project.id)).all())
    if project and request.method == "POST":
        claim(project)  # the project's authorisations are part of it
        wanted = set()
        for role, users_of_role in holders.items():
            allowed = {u.id for u in users_of_role}
            wanted |= {(read_id(uid), role) for uid in request.form.getlist(role) if read_id(uid) in allowed}
        for user_id, role in wanted - current:
            db.session.add(ProjectAuthorisation(user_id=user_id, project_id=project.id, role=role))
        for row in db.session.scalars(db.select(ProjectAuthorisation)
                                      .where(ProjectAuthorisation.project_id == project.id)).all():
            if (row.user_id, row.role) not in wanted:
                db.session.delete(row)
        db.session.commit()
        flash(_("已保存"), "success")
        return redirect(url_for("admin.authorisations", project_id=project.id))
    projects = db.session.scalars(db.select(Project).order_by(Project.name)).all()
    return render_template("admin/authorisations.html", project=project, projects=projects,
                           holders=holders, current=current, tree=company_tree())
