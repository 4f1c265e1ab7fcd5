"""The minority plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import MenuItem
from core.hookspecs import hookimpl

STAFF = roles.ACCOUNTANTS + (roles.BUSINESS_ADMIN,)


@hookimpl
def register_models():
    from plugins.minority import models
    return [models.MinorityShareholder, models.MinorityBatch, models.MinorityLine]


@hookimpl
def register_blueprints(app):
    from plugins.minority.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("小股东"), endpoint="minority.index", weight=35, roles=STAFF),
            MenuItem(label=_l("外部股东"), endpoint="minority.admin_shareholders", section="admin", weight=65,
                     roles=(roles.ADMIN, roles.BUSINESS_ADMIN))]


@hookimpl
def demo_data(group_id):
    from plugins.minority.demo import add_demo
    add_demo(group_id)
