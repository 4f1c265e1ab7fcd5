"""The disclosure plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import Job, MenuItem
from core.hookspecs import hookimpl

STAFF = roles.ACCOUNTANTS + (roles.BUSINESS_ADMIN,)


@hookimpl
def register_models():
    from plugins.disclosure import models
    return [models.ProfitVersion, models.DisclosureReceipt]


@hookimpl
def register_blueprints(app):
    from plugins.disclosure.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("披露"), endpoint="disclosure.index", weight=40, roles=STAFF),
            MenuItem(label=_l("披露审核"), endpoint="disclosure.review", weight=41, roles=(roles.BUSINESS_ADMIN,)),
            MenuItem(label=_l("项目披露"), endpoint="disclosure.me", section="personal", weight=30,
                     roles=(roles.PARTNER,))]


@hookimpl
def register_processes():
    from plugins.disclosure.processes import KINDS
    return KINDS


@hookimpl
def register_jobs():
    from plugins.disclosure.services import send_merged_job
    return [Job(name="send_merged", func=send_merged_job, description="披露合并通知")]


@hookimpl
def todo_items(user):
    from plugins.disclosure.todo import todo_items as items
    return items(user)
