"""Pages of 小股东. Staff pages need an accountant's role (to edit) or the business admin's (to read and
review) and an authorisation on the project; the 外部股东 tab of 后台管理 is for the admins."""
from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core import roles
from core.extensions import db
from core.models import Project
from core.permissions import projects_query
from plugins.distribution.views import STAFF, staff_project  # noqa: F401  (the same rule: accountants edit)

bp = Blueprint("minority", __name__, template_folder="../templates")
ADMINS = (roles.ADMIN, roles.BUSINESS_ADMIN)


@bp.route("/")
def index():
    if not current_user.has_role(*STAFF):
        abort(403)
    projects = db.session.scalars(projects_query(current_user).options(joinedload(Project.company))
                                  .order_by(Project.name)).all()
    return render_template("minority/index.html", projects=projects)


from plugins.minority.views import admin, batches, shareholders  # noqa: E402,F401
