"""Pages of the stage. Staff pages need a role that works on projects and an authorisation on the
project; the partner's pages show only the partner's own subscriptions."""
from flask import Blueprint, abort
from flask_login import current_user

from core import roles
from core.permissions import project_or_404

bp = Blueprint("subscription", __name__, template_folder="../templates")
STAFF = roles.ACCOUNTANTS + (roles.BUSINESS_ADMIN,)


def staff_project(project_id: int, editing: bool = True):
    """The project for a staff page; accountants edit, the business admin reads and reviews."""
    if not current_user.has_role(*(roles.ACCOUNTANTS if editing else STAFF)):
        abort(403)
    return project_or_404(current_user, project_id)


from plugins.subscription.views import figures, initiation, partner, partners, payments  # noqa: E402,F401
