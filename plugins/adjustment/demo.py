"""Demo data: a 峰值变更 in draft (new peak and 股权合作 beside the approved ones) on the first demo project
whose 事业合伙立项 is approved (马鞍山-林语春风 when the distribution demo made it so)."""
from decimal import Decimal

from core.extensions import db
from core.processes.models import APPROVED, ProcessInstance
from plugins.adjustment import services
from plugins.adjustment.models import Round
from plugins.subscription import services as subscription
from plugins.subscription.models import Shareholder


def add_demo(group_id: int) -> None:
    if db.session.scalar(db.select(Round.id).limit(1)):
        return
    from core.models import Project
    project = db.session.scalar(db.select(Project).join(ProcessInstance, ProcessInstance.project_id == Project.id)
                                .where(ProcessInstance.kind == subscription.INITIATION_PROCESS,
                                       ProcessInstance.state == APPROVED).order_by(Project.id).limit(1))
    peak = subscription.initiation(project).capital_peak if project else None
    if not peak:
        return
    round_ = services.create(project, "peak", "demo", new_peak=(peak * Decimal("1.1")).quantize(Decimal("0.01")),
                             note="土地款追加，资金峰值上调 10%")
    holders = db.session.scalars(db.select(Shareholder).where(Shareholder.project_id == project.id)).all()
    if holders:
        services.set_shareholders(round_, [(h.name, h.ours, h.stake) for h in holders])
