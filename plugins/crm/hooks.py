"""The crm plugin's hook implementations."""
from core.i18n import lazy_gettext as _l

from core import roles
from core.declarations import Job, MenuItem
from core.hookspecs import hookimpl


@hookimpl
def register_models():
    from plugins.crm.models import CrmAlert, CrmPayment, CrmQuery
    return [CrmPayment, CrmQuery, CrmAlert]


@hookimpl
def register_blueprints(app):
    from plugins.crm.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("CRM同步"), endpoint="crm.index", section="admin", weight=76, roles=(roles.ADMIN,)),
            MenuItem(label=_l("CRM回款"), endpoint="crm.projects", weight=80, roles=(roles.ADMIN, *roles.PROJECT_ROLES))]


@hookimpl
def register_settings():
    from core.settings import Setting
    from plugins.crm.client import DEFAULT_BASE
    return [
        Setting("app_id", "appId"),
        Setting("app_secret", "appSecret", kind="secret"),
        Setting("permanent_code", _l("永久授权码 permanentCode"), kind="secret"),
        Setting("operator_mobile", _l("操作人手机号"), help=_l("CRM 中以此手机号查找操作人（currentOpenUserId）"),
                valid=lambda value: value.isdigit() and 5 <= len(value) <= 20),
        Setting("account_id", _l("回款客户ID（account_id）"), help=_l("回款记在 CRM 的这个客户下")),
        Setting("order_id", _l("销售订单ID（order_id）"), help=_l("填写后每笔回款带一条回款明细（OrderPaymentObj）；可不填")),
        Setting("record_type", _l("业务类型（record_type）"), default="default__c"),
        Setting("api_base", _l("CRM接口地址"), kind="url", default=DEFAULT_BASE,
                help=_l("例如 https://open.fxiaoke.com 或 https://open.71360.com")),
    ]


@hookimpl
def register_jobs():
    from plugins.crm.services import query_payments, sync_payments
    return [Job(name="sync_payments", func=sync_payments), Job(name="query_payments", func=query_payments)]


@hookimpl
def on_event(event):
    from plugins.crm import services
    from plugins.subscription.events import PaymentConfirmed, PaymentRefunded, PaymentReversed
    if isinstance(event, (PaymentConfirmed, PaymentRefunded)):
        services.payment_recorded(event.group_id, event.payment_id)
    elif isinstance(event, PaymentReversed):
        services.payment_reversed(event.group_id, event.payment_id)
    elif type(event).__name__ == "DistributionPaid":  # the distribution module's, when it is installed
        services.payouts_recorded(event.group_id, event.project_id, event.batch_id, event.user_ids, event.amounts,
                                  getattr(event, "distributed_on", ""))


@hookimpl
def register_cli(group):
    from plugins.crm.cli import crm_cli
    group.add_command(crm_cli)
