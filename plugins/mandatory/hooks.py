"""The mandatory plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import MenuItem
from core.hookspecs import hookimpl


@hookimpl
def register_models():
    from plugins.mandatory.models import MandatoryEntry, MandatoryWaiver
    return [MandatoryEntry, MandatoryWaiver]


@hookimpl
def register_blueprints(app):
    from plugins.mandatory.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("强投名单"), endpoint="mandatory.entries", section="admin", weight=55,
                     roles=(roles.ADMIN,))]


@hookimpl
def required_partners(project_id):
    from plugins.mandatory.services import required_partners as found
    return found(project_id)


@hookimpl
def required_partner_waived(project_id, user_id, reason):
    from plugins.mandatory.services import waive
    waive(project_id, user_id, reason)
