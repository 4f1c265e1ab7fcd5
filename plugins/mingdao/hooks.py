"""The mingdao plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import Job, MenuItem
from core.hookspecs import hookimpl


@hookimpl
def register_models():
    from core import changes
    from core.models import Project
    from plugins.mingdao.models import MingdaoPayout, MingdaoRecord, MingdaoReport
    from plugins.mingdao.services import PLUGIN, on_changes
    changes.watch(PLUGIN, {Project: ("code", "name", "company_id", "land_acquired_on")}, on_changes)
    return [MingdaoRecord, MingdaoPayout, MingdaoReport]


@hookimpl
def register_blueprints(app):
    from plugins.mingdao.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("明道云同步"), endpoint="mingdao.status", section="admin", weight=81,
                     roles=(roles.ADMIN,))]


@hookimpl
def register_settings():
    from core.settings import Setting
    from plugins.mingdao.client import DEFAULT_BASE
    from plugins.mingdao.services import ID, PAYMENT, PAYOUT, PROJECT, valid_mapping
    ident = lambda value: bool(ID.match(value))  # noqa: E731
    pick = _l("测试连接后从列表中选择")
    return [
        Setting("app_key", "AppKey"),
        Setting("sign", "Sign", kind="secret"),
        Setting("api_base", _l("明道云接口地址"), kind="url", default=DEFAULT_BASE,
                help=_l("私有部署为 {host}/api")),
        Setting("project_worksheet_id", _l("项目工作表 ID"), help=pick, valid=ident),
        Setting("project_controls", _l("项目字段映射"), help=_l("本系统字段=明道云字段ID，用逗号分隔；测试连接后可从列表中选择"),
                valid=valid_mapping(PROJECT)),
        Setting("payment_worksheet_id", _l("缴款工作表 ID"), help=pick, valid=ident),
        Setting("payment_controls", _l("缴款字段映射"), help=_l("本系统字段=明道云字段ID，用逗号分隔；测试连接后可从列表中选择"),
                valid=valid_mapping(PAYMENT)),
        Setting("payout_worksheet_id", _l("分配工作表 ID"), help=_l("分配通知发出后，每位合伙人每批一行；需启用分配模块"),
                valid=ident),
        Setting("payout_controls", _l("分配字段映射"), help=_l("本系统字段=明道云字段ID，用逗号分隔；测试连接后可从列表中选择"),
                valid=valid_mapping(PAYOUT)),
    ]


@hookimpl
def register_jobs():
    from plugins.mingdao.services import push, reconcile
    return [Job(name="push", func=push), Job(name="reconcile", func=reconcile)]


@hookimpl
def on_event(event):
    from plugins.mingdao.services import on_event as queue_payment
    queue_payment(event)


@hookimpl
def register_cli(group):
    from plugins.mingdao.cli import mingdao_cli
    group.add_command(mingdao_cli)
