"""Demo data of 小股东: 靖江项目 (joint operation) with its 股权合作, two outside shareholders (one 审核通过,
one waiting for review) and a 第1次股东分配 computed by stake and approved."""
import datetime as dt
from decimal import Decimal

from core.extensions import db
from core.models import Project
from core.models.user import utcnow
from core.processes.models import PASSED, SUBMITTED, Review
from plugins.minority import checks, services
from plugins.minority.models import MinorityShareholder
from plugins.subscription.models import Shareholder

PROJECT = "JJ-01"
PARTNER = "靖江合作方"


def add_demo(group_id: int) -> None:
    project = db.session.scalar(db.select(Project).where(Project.code == PROJECT))
    if project is None or db.session.scalar(db.select(MinorityShareholder.id)
                                            .where(MinorityShareholder.project_id == project.id)):
        return
    if not services.cooperation(project.id):
        db.session.add_all([Shareholder(project_id=project.id, name="锦艺置业", ours=True, stake=Decimal("60")),
                            Shareholder(project_id=project.id, name=PARTNER, ours=False, stake=Decimal("40"))])
    partner = next((r.name for r in services.cooperation(project.id) if not r.ours), None)
    if partner is None:
        return
    code, person = "91321282MA1MDEM70", "32128219750315001"
    rows = [MinorityShareholder(project_id=project.id, name="靖江恒信投资有限公司", kind="company",
                                id_number=code + checks.credit_check_char(code), contact="周敏", phone="13800001111",
                                bank="工商银行靖江支行", account_name="靖江恒信投资有限公司",
                                account_number="1105 0200 0920 0012 345", stake=Decimal("25.000"), cooperation=partner),
            MinorityShareholder(project_id=project.id, name="陈建国", kind="person",
                                id_number=person + checks.id_check_char(person), contact="陈建国", phone="13800002222",
                                bank="建设银行靖江支行", account_name="陈建国", account_number="6217 0000 1000 2000 300",
                                stake=Decimal("15.000"), cooperation=partner)]
    db.session.add_all(rows)
    db.session.flush()
    now = utcnow()
    for row, state in ((rows[0], PASSED), (rows[1], SUBMITTED)):
        db.session.add(Review(record_table=MinorityShareholder.__tablename__, record_id=row.id, project_id=project.id,
                              title=f"{project.name} 股东登记 {row.name}", state=state, submitted_by="zykj",
                              submitted_at=now, decided_by="hhadmin" if state == PASSED else "",
                              decided_at=now if state == PASSED else None))
    db.session.flush()
    batch = services.create(project)
    batch.distributable, batch.distributed_on, batch.note = Decimal("3000000.00"), dt.date(2026, 6, 30), "首次分配"
    db.session.flush()
    services.compute(batch)
    db.session.add(Review(record_table=batch.__tablename__, record_id=batch.id, project_id=project.id,
                          title=f"{project.name} {batch.label}", state=PASSED, submitted_by="zykj", submitted_at=now,
                          decided_by="hhadmin", decided_at=now))
    db.session.flush()
    batch.review_passed(None)
