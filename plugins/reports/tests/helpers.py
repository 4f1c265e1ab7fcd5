"""A group company with two projects, a peak change, an exit and two distributions, written as the
stages leave their tables; and an independent computation of what the reports must show."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import sqlalchemy as sa
from openpyxl import load_workbook

from core import roles
from core.extensions import db
from core.models import Project, ProjectAuthorisation
from core.models.user import utcnow
from core.processes.models import APPROVED, ProcessInstance
from core.tenancy import tenant
from plugins.distribution.models import DistributionBatch, DistributionLine
from plugins.subscription.models import Initiation, Payment, Subscription, TierRatio
from tests.factories import make_tenant, make_user

MODULES = ["subscription", "distribution", "exit", "reports"]


def _subscribe(project_id, user_id, amount, token, paid=()):
    row = Subscription(project_id=project_id, user_id=user_id, tier="city", token=token, min_amount=D(0),
                       max_amount=D(amount), deadline=dt.date(2030, 1, 1), subscribed_amount=D(amount),
                       investment=D(amount), financed=D(0), self_funded=D(amount))
    db.session.add(row)
    db.session.flush()
    for day, value, reversed_ in paid:
        db.session.add(Payment(subscription_id=row.id, project_id=project_id, paid_on=day, amount=D(value),
                               recorded_by="test", recorded_at=utcnow(), reversed_at=utcnow() if reversed_ else None,
                               kind="refund" if D(value) < 0 else "payment"))
    return row


def _batch(project_id, kind, number, day, lines, approved=True):
    batch = DistributionBatch(project_id=project_id, kind=kind, number=number, distributed_on=day,
                              approved_at=utcnow() if approved else None)
    db.session.add(batch)
    db.session.flush()
    for sub, principal, interest, other, profit in lines:
        db.session.add(DistributionLine(batch_id=batch.id, project_id=project_id, subscription_id=sub.id,
                                        user_id=sub.user_id, tier=sub.tier, principal=D(principal),
                                        interest=D(interest), other=D(other), profit=D(profit)))
    return batch


def make_world(code="RPT", modules=MODULES):
    t = make_tenant(code, modules=modules)
    with tenant(t.group.id):
        p1 = t.project
        p2 = Project(code=f"{code}-P2", name=f"{code}二期", company_id=t.city.id, batch_id=t.batch.id, is_open=True)
        db.session.add(p2)
        db.session.flush()
        # peak change on p1: 100,000,000.00 -> 110,000,000.00 (峰值变更), investments raised, 补缴 paid
        db.session.add_all([Initiation(project_id=p1.id, capital_peak=D("110000000.00")),
                            Initiation(project_id=p2.id, capital_peak=D("33333333.33")),
                            TierRatio(project_id=p1.id, tier="city", ratio=D("0.600")),
                            TierRatio(project_id=p1.id, tier="realestate", ratio=D("0.333")),
                            TierRatio(project_id=p2.id, tier="city", ratio=D("1.111"))])
        alice = make_user(f"{code.lower()}_alice", [roles.PARTNER], name="甲")
        bob = make_user(f"{code.lower()}_bob", [roles.PARTNER], name="=乙+1")  # a name Excel would run
        carol = make_user(f"{code.lower()}_carol", [roles.PARTNER], name="丙")
        a1 = _subscribe(p1.id, alice.id, "110000.00", f"{code}1", [(dt.date(2020, 1, 10), "100000.00", False),
                                                                   (dt.date(2021, 1, 10), "10000.00", False)])
        b1 = _subscribe(p1.id, bob.id, "55000.01", f"{code}2", [(dt.date(2020, 1, 12), "50000.00", False),
                                                                (dt.date(2020, 1, 13), "999.99", True)])
        c1 = _subscribe(p1.id, carol.id, "33333.33", f"{code}3", [(dt.date(2020, 1, 15), "33333.33", False)])
        a2 = _subscribe(p2.id, alice.id, "20000.00", f"{code}4", [(dt.date(2022, 3, 1), "20000.00", False)])
        # two distributions of p1 (and one not yet approved, left out)
        _batch(p1.id, "principal", 1, dt.date(2023, 1, 10),
               [(a1, "110000.00", "-1234.56", "10.01", "0"), (b1, "50000.00", "-333.33", "0", "0"),
                (c1, "33333.33", "-0.01", "0", "0")])
        _batch(p1.id, "profit", 1, dt.date(2024, 1, 10),
               [(a1, "0", "0", "0", "22222.22"), (b1, "0", "0", "0", "11111.11"), (c1, "0", "0", "0", "0.01")])
        _batch(p2.id, "principal", 1, dt.date(2024, 6, 1), [(a2, "20000.00", "0", "0", "0")], approved=False)
        # carol resigned from p1: exit paid
        from plugins.exit.models import ExitCalculation, PartnerExit
        calc = ExitCalculation(project_id=p1.id, subscription_id=c1.id, user_id=carol.id, kind="resign",
                               exit_on=dt.date(2024, 3, 1), total=D("100.00"), created_by="test", created_at=utcnow())
        process = ProcessInstance(project_id=p1.id, kind="exit", state=APPROVED, initiator_id=t.accountant.id,
                                  started_at=utcnow())
        db.session.add_all([calc, process])
        db.session.flush()
        db.session.add(PartnerExit(project_id=p1.id, subscription_id=c1.id, user_id=carol.id, calculation_id=calc.id,
                                   process_id=process.id, kind="resign", exit_on=dt.date(2024, 3, 1), state="paid",
                                   payout=D("100.00"), paid_on=dt.date(2024, 4, 1)))
        # the accountant is authorised on p1 only (make_tenant); p2 stays hidden from them
        db.session.commit()
        return {"group": t.group.id, "p1": p1.id, "p2": p2.id, "kj": t.accountant.username,
                "hh": t.business_admin.username, "admin": t.admin.username, "outsider": t.outsider.username,
                "alice": alice.username, "bob": bob.username, "carol": carol.username, "city": t.city.id,
                "batch": t.batch.id}


def add_partners(world, count, prefix):
    """``count`` more paid partners on p1, each with a line in every approved batch; in bulk."""
    from core.models import User
    from tests.factories import _HASH
    with tenant(world["group"]):
        db.session.execute(sa.insert(User.__table__), [
            {"group_id": world["group"], "username": f"{prefix}{i:06d}", "name": f"合伙人{i}", "password_hash": _HASH,
             "mobile": "", "email": "", "active": True, "locale": "", "version": 1, "failed_logins": 0,
             "session_token": f"{prefix}{i:06d}"} for i in range(count)])
        ids = db.session.scalars(sa.select(User.id).where(User.username.like(f"{prefix}%"))).all()
        value = D("1000.00")
        db.session.execute(sa.insert(Subscription.__table__), [
            {"group_id": world["group"], "project_id": world["p1"], "user_id": uid, "tier": "city",
             "token": f"{prefix}{uid}", "min_amount": D(0), "max_amount": value, "deadline": dt.date(2030, 1, 1),
             "subscribed_amount": value, "investment": value, "financed": D(0), "self_funded": value, "version": 1}
            for uid in ids])
        subs = db.session.execute(sa.select(Subscription.id, Subscription.user_id)
                                  .where(Subscription.user_id.in_(ids))).all()
        db.session.execute(sa.insert(Payment.__table__), [
            {"group_id": world["group"], "subscription_id": sid, "project_id": world["p1"],
             "paid_on": dt.date(2020, 2, 1), "amount": value, "recorded_by": "t", "recorded_at": utcnow(),
             "kind": "payment", "reversed_by": "", "reversal_reason": ""} for sid, _ in subs])
        batches = db.session.scalars(sa.select(DistributionBatch.id).where(DistributionBatch.project_id == world["p1"])).all()
        lines = [
            {"group_id": world["group"], "batch_id": bid, "project_id": world["p1"], "subscription_id": sid,
             "user_id": uid, "tier": "city", "principal": D("100.00"), "interest": D("-1.00"), "other": D(0),
             "profit": D("0.01"), "version": 1} for bid in batches for sid, uid in subs]
        if lines:
            db.session.execute(sa.insert(DistributionLine.__table__), lines)
        db.session.commit()


def authorise(world, username, project_key):
    from core.models import User
    with tenant(world["group"]):
        user = db.session.scalar(sa.select(User).where(User.username == username))
        db.session.add(ProjectAuthorisation(user_id=user.id, project_id=world[project_key], role=roles.CITY_ACCOUNTANT))
        db.session.commit()


def workbook(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]
