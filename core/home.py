"""The home page: greeting, the projects the user may open (by company) or takes part in, and 待办."""
import datetime as dt

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from core import roles, worklist
from core.extensions import db
from core.models import Company, Project
from core.permissions import projects_query
from core.ui import SHANGHAI

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    # The lists are kept (fragments.cached_rows) per day: a 待办 may fall due with the date alone.
    return render_template("home.html", rows=_lists, today=dt.datetime.now(SHANGHAI).date())


def _lists():
    """The projects the user may open, by company, those they take part in, and their 待办."""
    projects = db.session.scalars(projects_query(current_user).order_by(Project.name)).all()
    companies = {c.id: c for c in db.session.scalars(db.select(Company)).all()}
    by_company: dict[int, list[Project]] = {}
    for p in projects:
        by_company.setdefault(p.company_id, []).append(p)
    staff = current_user.has_role(roles.ADMIN, *roles.PROJECT_ROLES)
    from core.modules import hooks_for
    user = current_user._get_current_object()
    member = [link for found in hooks_for(user.group_id).member_projects(user=user) for link in found or []]
    return by_company, companies, staff, sorted(member, key=lambda p: p.name), worklist.todo(user)
