"""The ekuaibao plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import Job, MenuItem
from core.hookspecs import hookimpl


@hookimpl
def register_models():
    from core import changes
    from core.models import Project, User
    from core.models.user import UserRole
    from plugins.ekuaibao.models import EkuaibaoRecord, EkuaibaoReport
    from plugins.ekuaibao.services import PLUGIN, on_changes
    changes.watch(PLUGIN, {Project: ("code", "name", "company_id", "land_acquired_on"),
                           User: ("name", "username", "mobile", "company_id", "active"), UserRole: None}, on_changes)
    return [EkuaibaoRecord, EkuaibaoReport]


@hookimpl
def register_blueprints(app):
    from plugins.ekuaibao.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("合思同步"), endpoint="ekuaibao.status", section="admin", weight=80,
                     roles=(roles.ADMIN,))]


@hookimpl
def register_settings():
    from core.settings import Setting
    from plugins.ekuaibao.client import DEFAULT_BASE
    from plugins.ekuaibao.services import ID
    ident = lambda value: bool(ID.match(value))  # noqa: E731
    return [
        Setting("app_key", "appKey"),
        Setting("app_security", "appSecurity", kind="secret"),
        Setting("api_base", _l("合思接口地址"), kind="url", default=DEFAULT_BASE),
        Setting("platform_id", _l("自建应用 ID"), help=_l("测试连接后从列表中选择"), valid=ident),
        Setting("project_entity_id", _l("项目业务对象 ID"), help=_l("测试连接后从列表中选择"), valid=ident),
        Setting("partner_entity_id", _l("合伙人业务对象 ID"), help=_l("测试连接后从列表中选择"), valid=ident),
        Setting("owner_id", _l("实例负责人 staffId"), help=_l("可不填"), valid=ident),
    ]


@hookimpl
def register_jobs():
    from plugins.ekuaibao.services import push, reconcile
    return [Job(name="push", func=push), Job(name="reconcile", func=reconcile)]


@hookimpl
def register_cli(group):
    from plugins.ekuaibao.cli import ekuaibao_cli
    group.add_command(ekuaibao_cli)
