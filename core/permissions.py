"""Who may see which project (项目授权)."""
from __future__ import annotations

from flask import abort
from sqlalchemy import Select

from core import roles
from core.extensions import db
from core.models import Project, ProjectAuthorisation


def sees_all_projects(user) -> bool:
    return user.has_role(*roles.GROUP_WIDE)


def projects_query(user, role: str | None = None) -> Select:
    """A SELECT of the projects ``user`` may open (optionally through one ``role``)."""
    query = db.select(Project)
    if role is None and sees_all_projects(user):
        return query
    allowed = db.select(ProjectAuthorisation.project_id).where(ProjectAuthorisation.user_id == user.id)
    if role is not None:
        allowed = allowed.where(ProjectAuthorisation.role == role)
    return query.where(Project.id.in_(allowed))


def project_or_404(user, project_id: int, role: str | None = None) -> Project:
    """The project if ``user`` may open it; 404 for another group's or an unauthorised one."""
    project = db.session.scalar(projects_query(user, role).where(Project.id == project_id))
    if project is None:
        abort(404)
    return project


def get_or_404(model, record_id):
    """A row of the current group company by primary key, or 404 (scoped, not session.get)."""
    row = db.session.scalar(db.select(model).where(model.id == record_id))
    if row is None:
        abort(404)
    return row
