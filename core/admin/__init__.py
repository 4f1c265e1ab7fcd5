"""后台管理: the admin screens of the host (company tree, projects, users, modules, log)."""
from flask import Blueprint
from flask_login import current_user, login_required
from flask import abort

from core import roles

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    if not current_user.has_role(roles.ADMIN):
        abort(403)


from core.admin import (audit_view, companies, modules_view, notices_view, projects, providers_view,  # noqa: E402,F401
                        users)
