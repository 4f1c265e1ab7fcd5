"""The dingtalk plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import Job, MenuItem
from core.hookspecs import hookimpl


@hookimpl
def register_models():
    from plugins.dingtalk.models import DingTalkBinding
    return [DingTalkBinding]


@hookimpl
def register_blueprints(app):
    from plugins.dingtalk.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("钉钉账号"), endpoint="dingtalk.bindings", section="admin", weight=75,
                     roles=(roles.ADMIN,))]


@hookimpl
def register_settings():
    from core.settings import Setting
    from plugins.dingtalk.client import DEFAULT_BASE
    from plugins.dingtalk.crypto import valid_aes_key
    from plugins.dingtalk.services import valid_process_codes
    return [
        Setting("corp_id", "CorpId"),
        Setting("app_key", "AppKey"),
        Setting("app_secret", "AppSecret", kind="secret"),
        Setting("agent_id", "AgentId", kind="int"),
        Setting("robot_token", _l("群机器人 access_token"), kind="secret",
                help=_l("机器人 Webhook 地址中 access_token= 之后的部分")),
        Setting("robot_secret", _l("群机器人加签密钥"), kind="secret", help=_l("以 SEC 开头"),
                valid=lambda value: value.startswith("SEC")),
        Setting("callback_token", _l("事件订阅 Token"), kind="secret"),
        Setting("callback_aes_key", _l("事件订阅 aes_key"), kind="secret", help=_l("43 个字符"), valid=valid_aes_key),
        Setting("api_base", _l("钉钉接口地址"), kind="url", default=DEFAULT_BASE),
        Setting("app_url", _l("本系统访问地址"), kind="url",
                help=_l("消息中的链接以此开头，例如 https://gt.example.com；不填则消息不带链接")),
        Setting("process_codes", _l("审批模板编码"),
                help=_l("流程代码=钉钉审批模板编码，用逗号分隔，例如 capital_peak=PROC-XXX；未列出的流程在本系统中审批"),
                valid=valid_process_codes),
    ]


@hookimpl
def notification_channels():
    from plugins.dingtalk.channels import RobotChannel, WorkNoticeChannel
    return [WorkNoticeChannel(), RobotChannel()]


@hookimpl
def register_jobs():
    from plugins.dingtalk.approvals import create_approval
    from plugins.dingtalk.channels import check_send_result
    from plugins.dingtalk.services import bind_users_job
    return [Job(name="check_send_result", func=check_send_result),
            Job(name="create_approval", func=create_approval),
            Job(name="bind_users", func=bind_users_job)]


@hookimpl
def approval_providers(group_id):
    from plugins.dingtalk.approvals import provider_for
    provider = provider_for(group_id)
    return [provider] if provider else []


@hookimpl
def register_cli(group):
    from plugins.dingtalk.cli import dingtalk_cli
    group.add_command(dingtalk_cli)
