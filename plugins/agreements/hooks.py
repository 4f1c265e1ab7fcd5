"""The agreements plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import Job, MenuItem
from core.hookspecs import hookimpl

STAFF = roles.ACCOUNTANTS + (roles.BUSINESS_ADMIN,)


@hookimpl
def register_models():
    from plugins.agreements import models
    return [models.AgreementTemplate, models.Seal, models.Agreement, models.GenerationBatch, models.GenerationItem]


@hookimpl
def register_blueprints(app):
    from plugins.agreements.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("协议"), endpoint="agreements.index", weight=30, roles=STAFF),
            MenuItem(label=_l("模板管理"), endpoint="agreements.templates", section="admin", weight=60,
                     roles=(roles.ADMIN,)),
            MenuItem(label=_l("协议下载"), endpoint="agreements.mine", section="personal", weight=20,
                     roles=(roles.PARTNER,))]


@hookimpl
def register_jobs():
    from plugins.agreements import jobs
    return [Job(name="generate", func=jobs.generate, description="生成协议"),
            Job(name="generate_item", func=jobs.generate_item, description="批量生成中的一份协议")]


@hookimpl
def on_event(event):
    from core.jobs import enqueue
    from plugins.subscription.events import SubscriptionConfirmed
    if isinstance(event, SubscriptionConfirmed):
        enqueue("agreements.generate", event.group_id, subscription_id=event.subscription_id)


@hookimpl
def holding_ended(project_id, subscription_id, ended_on, reason):
    from plugins.agreements.services import end
    end(subscription_id, ended_on, reason)


@hookimpl
def register_cli(group):
    from plugins.agreements.cli import agreements_cli, verify_command
    group.add_command(agreements_cli)
    group.add_command(verify_command)


@hookimpl
def demo_data(group_id):
    from core.extensions import db
    from core.models import GroupCompany
    from plugins.agreements import services
    if services.active_seal() is None:
        services.generate_seal(db.session.get(GroupCompany, group_id))


@hookimpl
def todo_items(user):
    from plugins.agreements.todo import to_sign
    return to_sign(user)
