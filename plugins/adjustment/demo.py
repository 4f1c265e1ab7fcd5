"""Demo data: a 峰值变更 of 泰安-锦艺誉峯 in draft beside the approved plan (when the plan is approved)."""
from decimal import Decimal

from core.extensions import db
from core.models import Project
from plugins.adjustment import services
from plugins.adjustment.models import Round
from plugins.subscription import services as subscription


def add_demo(group_id: int) -> None:
    project = db.session.scalar(db.select(Project).where(Project.code == "TA-JYYF"))
    if project is None or db.session.scalar(db.select(Round.id).where(Round.project_id == project.id)):
        return
    if not subscription.is_approved(project.id, subscription.INITIATION_PROCESS):
        return
    services.create(project, "peak", "demo", new_peak=Decimal("33000000.00"), note="土地款追加")
