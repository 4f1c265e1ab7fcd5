"""Demo data of the stage: the 分配账户 of the demo project's partners."""
from core.extensions import db
from core.models import User
from plugins.distribution.models import DistributionAccount
from plugins.subscription.demo import PARTNERS

BANKS = ["建设银行泰安分行", "工商银行泰安分行", "农业银行泰安分行"]


def add_demo(group_id: int) -> None:
    users = db.session.scalars(db.select(User).where(User.username.in_([p[0] for p in PARTNERS]))).all()
    have = set(db.session.scalars(db.select(DistributionAccount.user_id)))
    for i, user in enumerate(users):
        if user.id not in have:
            db.session.add(DistributionAccount(user_id=user.id, holder=user.name, bank=BANKS[i % len(BANKS)],
                                   number=f"6217{i:04d}00012345678"))
