"""Demo data of the stage: the demo partners' 分配账户, and 马鞍山-林语春风 taken to its first distributions
(investments confirmed and paid, 本金分配 approved and notified, 第1次利润分配 computed and waiting for 送审)."""
import datetime as dt
from decimal import Decimal

from core.extensions import db
from core.models import Project, User
from core.models.user import utcnow
from core.processes.models import APPROVED, PASSED, ProcessInstance, Review
from plugins.distribution import notices, services
from plugins.distribution.models import DistributionAccount
from plugins.subscription import services as subscription
from plugins.subscription.demo import PARTNERS
from plugins.subscription.models import Initiation, Payment, Subscription, TierRatio

BANKS = ["建设银行泰安分行", "工商银行泰安分行", "农业银行泰安分行"]
PROJECT = "MAS-LYCF"
# (username, tier, investment, paid on)
INVESTED = [("shiwei", "realestate", "746428.00", "2019-06-20"), ("jintao", "realestate", "288940.00", "2019-06-21"),
            ("wanglei", "realestate", "57788.00", "2019-06-25"), ("liuqiao", "city", "288940.00", "2019-06-20"),
            ("zhoufeng", "city", "28894.00", "2019-07-01")]


def add_demo(group_id: int) -> None:
    users = {u.username: u for u in db.session.scalars(db.select(User).where(
        User.username.in_([p[0] for p in PARTNERS])))}
    have = set(db.session.scalars(db.select(DistributionAccount.user_id)))
    for i, user in enumerate(users.values()):
        if user.id not in have:
            db.session.add(DistributionAccount(user_id=user.id, holder=user.name, bank=BANKS[i % len(BANKS)],
                                               number=f"6217{i:04d}00012345678", confirmed_at=utcnow()))
    project = db.session.scalar(db.select(Project).where(Project.code == PROJECT))
    if project is None or db.session.scalar(db.select(Initiation.id).where(Initiation.project_id == project.id)):
        return
    _invested_project(project, users)
    principal = services.create(project, "principal")
    principal.distributed_on = dt.date(2021, 6, 19)
    db.session.flush()
    services.compute_principal(project, principal)
    db.session.add(Review(record_table=principal.__tablename__, record_id=principal.id, project_id=project.id,
                          title=f"{project.name} {principal.label}", state=PASSED, submitted_by="hhkj",
                          decided_by="hhadmin", submitted_at=utcnow(), decided_at=utcnow()))
    db.session.add(ProcessInstance(project_id=project.id, kind=principal.process_code, state=APPROVED,
                                   slot=f"{project.id}:{principal.process_code}", initiator_id=users["shiwei"].id,
                                   started_at=utcnow(), completed_at=utcnow(), decided_by="hhadmin"))
    db.session.flush()
    services.mark_approved(principal)
    notices.send(principal.id, actor="demo", at_once=True)
    profit = services.create(project, "profit")
    profit.distributed_on, profit.net_profit, profit.ratio = dt.date(2022, 1, 1), Decimal("85000000.00"), Decimal("40")
    db.session.flush()
    services.compute_profit(project, profit)


def _invested_project(project, users) -> None:
    """The subscription stage done: plan, ratios, confirmed and paid investments, 事业合伙立项 approved."""
    db.session.add(Initiation(project_id=project.id, project_company="马鞍山锦艺置业有限公司",
                              capital_peak=Decimal("36000000.00"), financing_ratio=Decimal("40.000"),
                              financing_rate=Decimal("6.000")))
    db.session.add_all([TierRatio(project_id=project.id, tier="realestate", ratio=Decimal("3.310")),
                        TierRatio(project_id=project.id, tier="city", ratio=Decimal("0.600"))])
    for username, tier, amount, paid in INVESTED:
        if username not in users:
            continue
        value = Decimal(amount)
        financed = (value * Decimal("0.4")).quantize(Decimal("0.01"))
        row = Subscription(project_id=project.id, user_id=users[username].id, tier=tier, min_amount=Decimal(0),
                           max_amount=value, deadline=dt.date(2019, 6, 15), subscribed_amount=value, investment=value,
                           financed=financed, self_funded=value - financed, token=subscription.new_token())
        db.session.add(row)
        db.session.flush()
        db.session.add(Payment(subscription_id=row.id, project_id=project.id, paid_on=dt.date.fromisoformat(paid),
                               amount=value, recorded_by="hhkj", recorded_at=utcnow()))
    db.session.add(ProcessInstance(project_id=project.id, kind=subscription.INITIATION_PROCESS, state=APPROVED,
                                   slot=f"{project.id}:{subscription.INITIATION_PROCESS}",
                                   initiator_id=next(iter(users.values())).id, started_at=utcnow(),
                                   completed_at=utcnow(), decided_by="hhadmin"))
    db.session.add(ProcessInstance(project_id=project.id, kind=services.ACTUAL_PEAK, state=APPROVED,
                                   initiator_id=next(iter(users.values())).id, started_at=utcnow(),
                                   completed_at=utcnow(), decided_by="hhadmin",
                                   form_data={"actual_peak": "35800000.00"}))
    db.session.flush()
