"""Demo data of the stage: 泰安-锦艺誉峯 with its peak, ratios, partner list and subscriptions."""
import datetime as dt
from decimal import Decimal

from core.extensions import db
from core.models import Project, User
from plugins.subscription import services
from plugins.subscription.models import Initiation, Shareholder, Subscription, TierRatio

# (username, tier, lower bound, upper bound, subscribed)
PARTNERS = [("shiwei", "realestate", "100000", "1000000", "746428.00"),
            ("jintao", "realestate", "100000", "500000", "288940.00"),
            ("wanglei", "realestate", "50000", "300000", "57788.00"),
            ("liuqiao", "city", "100000", "500000", "288940.00"),
            ("zhoufeng", "city", "20000", "100000", "28894.00")]


def add_demo(group_id: int) -> None:
    project = db.session.scalar(db.select(Project).where(Project.code == "TA-JYYF"))
    if project is None or db.session.scalar(db.select(Initiation.id).where(Initiation.project_id == project.id)):
        return
    db.session.add(Initiation(project_id=project.id, project_company="泰安锦艺置业有限公司",
                              capital_peak=Decimal("30000000.00"), financing_ratio=Decimal("40.000"),
                              financing_rate=Decimal("6.000"), payee_name="泰安锦艺置业有限公司",
                              payee_bank="建设银行泰安分行", payee_account="3705 0166 0001 0000 1234",
                              payment_deadline=dt.date(2030, 1, 31)))
    db.session.add_all([TierRatio(project_id=project.id, tier="realestate", ratio=Decimal("3.310")),
                        TierRatio(project_id=project.id, tier="city", ratio=Decimal("0.600"))])
    db.session.add_all([Shareholder(project_id=project.id, name="锦艺置业", ours=True, stake=Decimal("51")),
                        Shareholder(project_id=project.id, name="合作方", ours=False, stake=Decimal("49"))])
    users = {u.username: u for u in db.session.scalars(db.select(User).where(
        User.username.in_([p[0] for p in PARTNERS])))}
    for username, tier, low, high, subscribed in PARTNERS:
        if username in users:
            db.session.add(Subscription(project_id=project.id, user_id=users[username].id, tier=tier,
                                        min_amount=Decimal(low), max_amount=Decimal(high),
                                        deadline=dt.date(2030, 1, 15), subscribed_amount=Decimal(subscribed),
                                        token=services.new_token()))
