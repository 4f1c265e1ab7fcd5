"""The exit plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import MenuItem
from core.hookspecs import hookimpl

STAFF = roles.ACCOUNTANTS + (roles.BUSINESS_ADMIN,)


@hookimpl
def register_models():
    from plugins.exit import models
    return [models.ExitCalculation, models.PartnerExit, models.PlatformHolding, models.HoldingChange]


@hookimpl
def register_blueprints(app):
    from plugins.exit.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("退出流程"), endpoint="exit.index", weight=40, roles=STAFF),
            MenuItem(label=_l("我的退出"), endpoint="exit.me", section="personal", weight=30,
                     roles=(roles.PARTNER,))]


@hookimpl
def register_settings():
    from plugins.exit.rules import SETTINGS
    return SETTINGS


@hookimpl
def register_processes():
    from plugins.exit.processes import KINDS
    return KINDS


@hookimpl
def holder_marks(project_id):
    from plugins.exit.services import marks
    return marks(project_id)


@hookimpl
def other_holders(project_id):
    from plugins.exit.services import holders
    return holders(project_id)


@hookimpl
def distribution_holders(project_id):
    from plugins.exit.services import sharing
    return sharing(project_id)


@hookimpl
def stake_sources(project_id):
    from plugins.exit.services import stake_sources as sources
    return sources(project_id)


@hookimpl
def stakes_passed_on(project_id):
    from plugins.exit.services import passed_on
    return passed_on(project_id)


@hookimpl
def stake_taken(project_id, source_key, taken):
    from plugins.exit.services import stake_taken as take
    take(project_id, source_key, taken)


@hookimpl
def holding_adjusted(project_id, key, tier, old, new, ref, reason):
    from plugins.exit.services import SOURCE_KEY, holding_adjusted as adjust
    if key != SOURCE_KEY:
        return None
    adjust(project_id, tier, old, new, ref, reason)
    return True


@hookimpl
def holding_settled(project_id, key, tier, ref, amount, settled_on):
    from plugins.exit.services import SOURCE_KEY, holding_settled as settle
    if key != SOURCE_KEY:
        return None
    settle(project_id, tier, ref, amount, settled_on)
    return True


@hookimpl
def stakes_adjusted(project_id):
    from plugins.exit.services import adjustments
    return adjustments(project_id)


@hookimpl
def todo_items(user):
    from plugins.exit.todo import todo_items as items
    return items(user)
