"""The approval processes of the stage: 实际资金峰值确认 (循环), 本金分配, 利润分配N, 清算分配."""
from __future__ import annotations

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

from core import review as reviews
from core.events import emit
from core.extensions import db
from core.processes.kinds import Field, ProcessKind
from core.processes.models import PASSED
from plugins.distribution import excel, notices, services
from plugins.distribution.events import DistributionApproved
from plugins.distribution.models import DistributionBatch
from plugins.subscription import services as subscription
from plugins.subscription.models import TIERS

ACTUAL_PEAK = services.ACTUAL_PEAK
PROFIT_KINDS = services.PROFIT_BATCHES


def _batch(project, kind: str, number: int = 1) -> DistributionBatch | None:
    return db.session.scalar(db.select(DistributionBatch).where(DistributionBatch.project_id == project.id, DistributionBatch.kind == kind,
                                                    DistributionBatch.number == number))


def _reviewed(kind: str, number: int = 1):
    def requires(project):
        batch = _batch(project, kind, number)
        review = reviews.review_of(batch) if batch else None
        if review is None or review.state != PASSED:
            return _("须先完成：%(label)s", label=_("分配审核"))
        return None
    return requires


def _money(value) -> str:
    return f"{value:,.2f}" if value is not None else "—"


def _form(kind: str, number: int = 1) -> tuple[Field, ...]:
    """The manual's form: 本次分配节点, 比例, 净利润, 金额, 占比, 预计分配时间, 本次分配信息 per tier."""
    def batch(project):
        return _batch(project, kind, number)

    def node(project):
        found = batch(project)
        return (found.label + (_("（手工）") if found.by_hand else "")) if found else ""

    def ratio(project):
        found = batch(project)
        return f"{found.ratio:.3f}%" if found and found.ratio is not None else "0.000%"

    def amount(project):
        found = batch(project)
        rows = services.lines(found.id) if found else []
        return _money(sum((r.with_other + r.profit for r in rows), services.ZERO))

    def tiers(project):
        found, ratios = batch(project), subscription.ratios(project.id)
        rows = services.lines(found.id) if found else []
        return "，".join(f"{TIERS[t]} {r:.3f}% {_money(sum((x.profit for x in rows if x.tier == t), services.ZERO))}"
                        for t, r in ratios.items())

    return (Field("node", _l("本次分配节点"), "readonly", prefill=node, required=True),
            Field("ratio", _l("本次分配比例"), "readonly", prefill=ratio),
            Field("net_profit", _l("锦艺方预计净利润"), "readonly", prefill=lambda p: _money(getattr(batch(p), "net_profit", None))),
            Field("amount", _l("本次分配金额"), "readonly", prefill=amount),
            Field("total_ratio", _l("合伙投资占比"), "readonly",
                  prefill=lambda p: f"{sum(subscription.ratios(p.id).values()):.3f}%"),
            Field("distributed_on", _l("预计分配时间"), "readonly",
                  prefill=lambda p: getattr(batch(p), "distributed_on", None) or "", required=True),
            Field("tiers", _l("本次分配信息"), "readonly", prefill=tiers))  # 情况说明: the host's description


def _attach_calculation(kind: str, number: int = 1):
    """发起: the system's 分配测算表 (.xlsx) goes with the process as its first attachment."""
    def on_start(instance, user):
        from core.models import Project
        from core.processes import attachments
        project = db.session.get(Project, instance.project_id)
        batch = _batch(project, kind, number)
        data = excel.calculation(batch.label, services.lines(batch.id), TIERS)
        db.session.add(attachments.store(project.group_id, project.id, f"{project.name}_{batch.label}_分配测算表.xlsx",
                                         data, user.username, process_id=instance.id))
    return on_start


def _approved(kind: str, number: int = 1):
    def on_approve(instance):
        from core.models import Project
        batch = _batch(db.session.get(Project, instance.project_id), kind, number)
        if batch is None or not services.mark_approved(batch):
            return
        user_ids, amounts = services.amounts(batch.id)
        emit(DistributionApproved(group_id=batch.group_id, project_id=batch.project_id, batch_id=batch.id,
                                  user_ids=user_ids, amounts=amounts))
        notices.schedule(batch)
    return on_approve


KINDS = [
    ProcessKind(code=ACTUAL_PEAK, label=_l("实际资金峰值确认"), weight=60, repeatable=True, fields=(
        Field("actual_peak", _l("资金峰值-实际"), "money", required=True),)),
    ProcessKind(code="distribution_principal", label=_l("本金分配"), weight=70, requires=_reviewed("principal"),
                fields=_form("principal"), on_approve=_approved("principal"),
                on_start=_attach_calculation("principal")),
    *[ProcessKind(code=f"distribution_profit_{n}", label=_l("利润分配%(n)s", n=n), weight=70 + n,
                  requires=_reviewed("profit", n), fields=_form("profit", n), on_approve=_approved("profit", n),
                  on_start=_attach_calculation("profit", n))
      for n in range(1, PROFIT_KINDS + 1)],
    ProcessKind(code="distribution_liquidation", label=_l("清算分配"), weight=90, requires=_reviewed("liquidation"),
                fields=_form("liquidation"), on_approve=_approved("liquidation"),
                on_start=_attach_calculation("liquidation")),
]
