"""The reports plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import Job, MenuItem
from core.hookspecs import hookimpl

STAFF = (roles.BUSINESS_ADMIN,) + roles.ACCOUNTANTS


@hookimpl
def register_models():
    from plugins.reports import models
    return [models.ReportExport]


@hookimpl
def register_jobs():
    from plugins.reports.jobs import run_export
    return [Job(name="export", func=run_export, description="辅助工具导出")]


@hookimpl
def register_blueprints(app):
    from plugins.reports.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("报表"), endpoint="reports.index", weight=80, roles=STAFF),
            MenuItem(label=_l("辅助工具"), endpoint="reports.tools", section="admin", weight=90, roles=(roles.ADMIN,)),
            MenuItem(label=_l("我的投资"), endpoint="reports.me", section="personal", weight=15,
                     roles=(roles.PARTNER,))]
