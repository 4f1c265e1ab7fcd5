"""Pages of the stage. Staff pages need a role that works on projects and an authorisation on the
project; the partner's pages show only the partner's own rows."""
from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core import roles
from core.extensions import db
from core.models import Project
from core.permissions import project_or_404, projects_query

bp = Blueprint("distribution", __name__, template_folder="../templates")
STAFF = roles.ACCOUNTANTS + (roles.BUSINESS_ADMIN,)


def staff_project(project_id: int, editing: bool = True):
    """The project for a staff page; accountants edit, the business admin reads, unlocks and reviews."""
    if not current_user.has_role(*(roles.ACCOUNTANTS if editing else STAFF)):
        abort(403)
    return project_or_404(current_user, project_id)


@bp.route("/")
def index():
    if not current_user.has_role(*STAFF):
        abort(403)
    projects = db.session.scalars(projects_query(current_user).options(joinedload(Project.company))
                                  .order_by(Project.name)).all()
    return render_template("distribution/index.html", projects=projects)


from plugins.distribution.views import accounts, batches  # noqa: E402,F401
