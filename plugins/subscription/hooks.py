"""The subscription plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import MenuItem
from core.hookspecs import hookimpl

STAFF = roles.ACCOUNTANTS + (roles.BUSINESS_ADMIN,)


@hookimpl
def register_models():
    from plugins.subscription import models
    return [models.Initiation, models.TierRatio, models.Shareholder, models.Milestone, models.Subscription,
            models.Payment]


@hookimpl
def register_blueprints(app):
    from plugins.subscription.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("立项"), endpoint="subscription.index", weight=20, roles=STAFF),
            MenuItem(label=_l("认购明细"), endpoint="subscription.my_subscriptions", section="personal", weight=10,
                     roles=(roles.PARTNER,))]


@hookimpl
def register_processes():
    from plugins.subscription.processes import KINDS
    return KINDS


@hookimpl
def demo_data(group_id):
    from plugins.subscription.demo import add_demo
    add_demo(group_id)


@hookimpl
def todo_items(user):
    from plugins.subscription.todo import todo_items as items
    return items(user)


@hookimpl
def member_projects(user):
    from plugins.subscription.todo import member_projects as projects
    return projects(user)


@hookimpl
def capital_peaks(project_ids):
    from core.extensions import db
    from plugins.subscription.models import Initiation
    return dict(db.session.execute(db.select(Initiation.project_id, Initiation.capital_peak)
                                   .where(Initiation.project_id.in_(list(project_ids)))).all())
