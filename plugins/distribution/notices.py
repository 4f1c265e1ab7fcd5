"""分配通知: on the distribution date each partner is told what they receive (outbox, personal channels)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from core.i18n import gettext as _

from core import outbox
from core.audit import record_action
from core.events import emit
from core.extensions import db
from core.jobs import enqueue, perform_later
from core.models import Project
from core.models.user import utcnow
from core.ui import SHANGHAI
from plugins.distribution import services
from plugins.distribution.events import DistributionPaid
from plugins.distribution.models import DistributionBatch

JOB = "distribution.notify_batch"


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def schedule(batch: DistributionBatch) -> None:
    """A job for the 分配日期 (now if that day has come in Asia/Shanghai); the job itself re-checks the day."""
    delay = (dt.datetime.combine(batch.distributed_on, dt.time(), SHANGHAI) - dt.datetime.now(SHANGHAI)).total_seconds()
    if delay <= 0:
        enqueue(JOB, batch.group_id, batch_id=batch.id)
    else:
        perform_later(JOB, batch.group_id, delay, batch_id=batch.id)


def _message(project, batch: DistributionBatch, line) -> str:
    figures = {k: f"{v:,.2f}" for k, v in (("principal", line.principal), ("interest", line.interest),
                                           ("other", line.other), ("profit", line.profit),
                                           ("total", line.with_other + line.profit))}
    return _("%(project)s%(batch)s（分配日期 %(on)s）：本金 %(principal)s 元，资金利息 %(interest)s 元，其它 %(other)s 元，利润 %(profit)s 元，合计 %(total)s 元。",
             project=project.name, batch=batch.label, on=batch.distributed_on.isoformat(), **figures)


def send(batch_id: int, actor: str = "", at_once: bool = False) -> int:
    """Notify the batch's partners once (the batch is claimed by one UPDATE); DistributionPaid in the same
    transaction. Before the 分配日期 only ``at_once`` (the business admin's 立即发送) sends."""
    batch = db.session.get(DistributionBatch, batch_id)
    if batch is None or batch.approved_at is None or (not at_once and batch.distributed_on > today()):
        return 0
    now = utcnow()
    if db.session.execute(sa.update(DistributionBatch).where(DistributionBatch.id == batch.id, DistributionBatch.notified_at.is_(None))
                          .values(notified_at=now).execution_options(synchronize_session=False)).rowcount != 1:
        return 0
    record_action(db.session, batch.group_id, "distribution:notified", DistributionBatch.__tablename__, batch.id, batch.label,
                  before={"notified_at": None}, after={"notified_at": now.isoformat(timespec="seconds")})
    project = db.session.get(Project, batch.project_id)
    rows = [r for r in services.lines(batch.id) if not r.holder]  # a holder that is not a partner is not notified
    outbox.notify_each(batch.group_id, [(r.user_id, _message(project, batch, r)) for r in rows],
                       _("分配通知：%(project)s %(batch)s", project=project.name, batch=batch.label),
                       link="/distribution/me", channels_=outbox.personal_channels(batch.group_id),
                       kind="distribution.notice", project_id=project.id, actor=actor)
    emit(DistributionPaid(group_id=batch.group_id, project_id=batch.project_id, batch_id=batch.id,
                          user_ids=tuple(r.user_id for r in rows),
                          amounts=tuple(f"{r.with_other + r.profit:.2f}" for r in rows), kind=batch.kind,
                          number=batch.number,
                          distributed_on=batch.distributed_on.isoformat() if batch.distributed_on else ""))
    return len(rows)


def notify_batch(batch_id: int) -> int:
    """The job: runs on the 分配日期 (or later, for a sweep)."""
    return send(batch_id, actor="job")
