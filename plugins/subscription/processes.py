"""The approval processes of this stage: 项目资金峰值 and 事业合伙立项."""
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

from core import review as reviews
from core.events import emit
from core.extensions import db
from core.processes.kinds import Field, ProcessKind
from core.processes.models import PASSED
from plugins.subscription import services
from plugins.subscription.events import SubscriptionConfirmed
from plugins.subscription.models import TIERS


def _plan(project):
    return services.initiation(project)


def _peak(project) -> str:
    peak = _plan(project).capital_peak
    return f"{peak:,}" if peak is not None else ""


def _ratio_text(project) -> str:
    ratios = services.ratios(project.id)
    return "，".join(f"{TIERS[t]} {r:.3f}%" for t, r in ratios.items() if r) or "—"


def _total_ratio(project) -> str:
    return f"{sum(services.ratios(project.id).values()):.3f}%"


def _pot_total(project) -> str:
    plan = _plan(project)
    return f"{sum(services.pots(plan.capital_peak, services.ratios(project.id)).values()):,}"


def _investment_total(project) -> str:
    return f"{sum((s.investment or 0 for s in services.subscriptions(project.id)), services.ZERO):,}"


def _plan_passed(project):
    """事业合伙立项 needs the 项目资金峰值 process done and the plan passed in 方案审核."""
    if not services.is_approved(project.id, services.PEAK_PROCESS):
        return _("须先完成：%(label)s", label=_("项目资金峰值"))
    review = reviews.review_of(_plan(project))
    if review is None or review.state != PASSED:
        return _("须先完成：%(label)s", label=_("方案审核"))
    return None


def _confirm_investments(instance):
    """事业合伙立项 approved: every partner's investment is confirmed (SubscriptionConfirmed)."""
    for row in services.subscriptions(instance.project_id):
        if row.investment:
            emit(SubscriptionConfirmed(group_id=instance.group_id, project_id=instance.project_id,
                                       subscription_id=row.id, user_id=row.user_id, investment=f"{row.investment:.2f}"))


def _method(project) -> str:
    return project.acquisition_method_label


KINDS = [
    ProcessKind(code=services.PEAK_PROCESS, label=_l("项目资金峰值"), weight=10, fields=(
        Field("acquisition", _l("取得方式"), "readonly", prefill=_method),
        Field("capital_peak", _l("资金峰值"), "readonly", prefill=_peak, required=True),
        Field("ratios", _l("合伙投资占比"), "readonly", prefill=_ratio_text),
        Field("total_ratio", _l("合计占比"), "readonly", prefill=_total_ratio),
    )),
    ProcessKind(code=services.INITIATION_PROCESS, label=_l("事业合伙立项"), weight=20, requires=_plan_passed, fields=(
        Field("acquisition", _l("取得方式"), "readonly", prefill=_method),
        Field("capital_peak", _l("资金峰值"), "readonly", prefill=_peak, required=True),
        Field("total_ratio", _l("合伙投资占比"), "readonly", prefill=_total_ratio),
        Field("pot_total", _l("合伙投资额度"), "readonly", prefill=_pot_total),
        Field("investment_total", _l("合伙投资总额"), "readonly", prefill=_investment_total),
    ), on_approve=_confirm_investments),
]
