"""The adjustment plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import MenuItem
from core.hookspecs import hookimpl

STAFF = roles.ACCOUNTANTS + (roles.BUSINESS_ADMIN,)


@hookimpl
def register_models():
    from plugins.adjustment import models
    return [models.Round, models.Line, models.HolderLine]


@hookimpl
def register_blueprints(app):
    from plugins.adjustment.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("立项调整"), endpoint="adjustment.index", weight=25, roles=STAFF),
            MenuItem(label=_l("投资变更"), endpoint="adjustment.me", section="personal", weight=15,
                     roles=(roles.PARTNER,))]


@hookimpl
def register_processes():
    from plugins.adjustment.processes import KINDS
    return KINDS


@hookimpl
def demo_data(group_id):
    from plugins.adjustment.demo import add_demo
    add_demo(group_id)


@hookimpl
def register_cli(group):
    from plugins.adjustment.cli import adjustment_cli
    group.add_command(adjustment_cli)


@hookimpl
def todo_items(user):
    from plugins.adjustment.todo import todo_items as items
    return items(user)
