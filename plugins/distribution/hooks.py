"""The distribution plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import Job, MenuItem
from core.hookspecs import hookimpl
from core.settings import Setting

STAFF = roles.ACCOUNTANTS + (roles.BUSINESS_ADMIN,)


@hookimpl
def register_models():
    from plugins.distribution import models
    return [models.DistributionAccount, models.DistributionBatch, models.DistributionLine]


@hookimpl
def register_blueprints(app):
    from plugins.distribution.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("分配"), endpoint="distribution.index", weight=30, roles=STAFF),
            MenuItem(label=_l("我的分配"), endpoint="distribution.me", section="personal", weight=20,
                     roles=(roles.PARTNER,))]


@hookimpl
def register_processes():
    from plugins.distribution.processes import KINDS
    return KINDS


@hookimpl
def register_jobs():
    from plugins.distribution.notices import notify_batch
    return [Job(name="notify_batch", func=notify_batch, description="分配通知")]


@hookimpl
def register_settings():
    return [Setting("interest_start", _l("资金利息起算日"), default="payment",
                    help=_l("payment：合伙人缴清之日；deadline：缴款截止日期"),
                    valid=lambda value: value in ("payment", "deadline"))]


@hookimpl
def demo_data(group_id):
    from plugins.distribution.demo import add_demo
    add_demo(group_id)


@hookimpl
def todo_items(user):
    from plugins.distribution.todo import todo_items as items
    return items(user)
