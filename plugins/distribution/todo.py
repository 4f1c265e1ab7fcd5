"""待办 of this stage on the home page, one query per list.

Accountant: batches that passed 审核 and wait for their approval process to be started (发起).
"""
from __future__ import annotations

from flask import url_for
from core.i18n import gettext as _

from core import roles
from core.declarations import Todo
from core.extensions import db
from core.models import Project
from core.permissions import projects_query
from core.processes.models import PASSED, RESET, ProcessInstance, Review
from core.worklist import LIMIT
from plugins.distribution.models import DistributionBatch


def todo_items(user) -> list[Todo]:
    if not user.has_role(*roles.ACCOUNTANTS):
        return []
    visible = projects_query(user).with_only_columns(Project.id)
    passed = db.select(Review.id).where(Review.record_table == DistributionBatch.__tablename__,
                                        Review.record_id == DistributionBatch.id, Review.state == PASSED)
    code = db.case((DistributionBatch.kind == "profit",
                    db.literal("distribution_profit_") + db.cast(DistributionBatch.number, db.String)),
                   else_=db.literal("distribution_") + DistributionBatch.kind)
    started = db.select(ProcessInstance.id).where(ProcessInstance.project_id == DistributionBatch.project_id,
                                                  ProcessInstance.kind == code, ProcessInstance.state != RESET)
    rows = db.session.execute(
        db.select(DistributionBatch, Project.name).join(Project, Project.id == DistributionBatch.project_id)
        .where(DistributionBatch.project_id.in_(visible), DistributionBatch.approved_at.is_(None), passed.exists(),
               ~started.exists())
        .order_by(Project.name, DistributionBatch.id).limit(LIMIT)).all()
    return [Todo(_("待发起流程"), f"{name} · {batch.label}",
                 url_for("processes.project_processes", project_id=batch.project_id), weight=45)
            for batch, name in rows]
