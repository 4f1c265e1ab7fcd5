"""A project past 事业合伙立项 (as the subscription stage leaves it) and the steps of a round, as users take them."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import sqlalchemy as sa

from core import roles
from core.extensions import db
from core.models.user import utcnow
from core.processes.models import APPROVED, ProcessInstance, Review
from core.tenancy import tenant
from plugins.adjustment.models import Line, Round
from plugins.subscription.payments import today
from plugins.subscription.models import Initiation, Payment, Subscription, TierRatio
from tests.conftest import login, post
from tests.factories import make_tenant, make_user

MODULES = ["subscription", "adjustment", "event_recorder", "stake_holder"]
TODAY = today()  # Asia/Shanghai, as the pages see it


def make_world(code="AAA", partners=(), peak="1000000.00", ratios=None, others=()):
    """``partners``: (username, tier, investment, paid) on the approved plan; ``others``: partner users not on
    the list. Returns ids and usernames."""
    t = make_tenant(code, modules=MODULES)
    with tenant(t.group.id):
        project = t.project
        db.session.add(Initiation(project_id=project.id, capital_peak=Decimal(peak), financing_ratio=Decimal("40.000"),
                                  financing_rate=Decimal("6.000"), payee_name="项目公司", payee_bank="建设银行",
                                  payee_account="3705 0166", payment_deadline=dt.date(2030, 1, 31)))
        for tier, ratio in (ratios or {"realestate": "3.310", "city": "0.600"}).items():
            db.session.add(TierRatio(project_id=project.id, tier=tier, ratio=Decimal(ratio)))
        users = {}
        for i, (username, tier, investment, paid) in enumerate(partners):
            user = make_user(username, [roles.PARTNER], name=username.upper())
            amount = Decimal(investment)
            row = Subscription(project_id=project.id, user_id=user.id, tier=tier, token=f"{code}{i:06d}",
                               min_amount=Decimal(0), max_amount=amount * 2, deadline=dt.date(2030, 1, 1),
                               subscribed_amount=amount, investment=amount)
            db.session.add(row)
            db.session.flush()
            if paid:
                db.session.add(Payment(subscription_id=row.id, project_id=project.id, paid_on=TODAY,
                                       amount=Decimal(paid), recorded_by="test", recorded_at=utcnow()))
            users[username] = user.id
        for username in others:
            users[username] = make_user(username, [roles.PARTNER], name=username.upper()).id
        db.session.add(ProcessInstance(project_id=project.id, kind="coinvest_initiation", state=APPROVED,
                                       initiator_id=t.accountant.id, started_at=utcnow(), completed_at=utcnow(),
                                       slot=f"{project.id}:coinvest_initiation"))
        db.session.commit()
        return {"group": t.group.id, "project": project.id, "kj": t.accountant.username,
                "hh": t.business_admin.username, "outsider": t.outsider.username, "partner": t.partner.username,
                "users": users}


def flashes(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'role="alert">(.*?)<button', page, re.S)]


def base(world) -> str:
    return f"/adjustment/projects/{world['project']}"


def new_round(app, world, kj, kind, **fields) -> int:
    response = post(kj, f"{base(world)}/rounds", {"kind": kind, **fields})
    assert response.status_code == 302
    found = re.search(r"/rounds/(\d+)$", response.headers["Location"])
    assert found, flashes(kj.get(base(world)).get_data(as_text=True))
    return int(found.group(1))


def act(kj, world, round_id, action, data=None) -> str:
    """POST an action of the round page; the page the user lands on."""
    return post(kj, f"{base(world)}/rounds/{round_id}/{action}", data or {}, follow_redirects=True).get_data(
        as_text=True)


def run_process(app, world, kj, hh, code, approve=True):
    response = post(kj, f"/processes/projects/{world['project']}/start/{code}", {"description": "请审批"},
                    content_type="multipart/form-data")
    assert response.status_code == 302, flashes(kj.get(f"/processes/projects/{world['project']}").get_data(as_text=True))
    with app.app_context(), tenant(world["group"]):
        process_id = db.session.scalar(sa.select(sa.func.max(ProcessInstance.id)).where(ProcessInstance.kind == code))
    post(hh, f"/processes/{process_id}/decide", {"decision": "approve" if approve else "reject", "comment": "同意"})
    return process_id


def review(app, world, hh, round_id, passed=True):
    with app.app_context(), tenant(world["group"]):
        review_id = db.session.scalar(sa.select(Review.id).where(Review.record_table == "adjustment_round",
                                                                 Review.record_id == round_id))
    post(hh, f"/reviews/{review_id}/decide", {"decision": "pass" if passed else "return", "comment": "同意"})


def lines(app, world, round_id) -> dict[str, Line]:
    with app.app_context(), tenant(world["group"]):
        rows = db.session.scalars(sa.select(Line).options(sa.orm.joinedload(Line.user))
                                  .where(Line.round_id == round_id)).all()
        for r in rows:
            db.session.expunge(r)
        return {r.user.username: r for r in rows}


def investments(app, world) -> dict[str, Decimal]:
    with app.app_context(), tenant(world["group"]):
        return {s.user.username: s.investment for s in db.session.scalars(
            sa.select(Subscription).options(sa.orm.joinedload(Subscription.user))
            .where(Subscription.project_id == world["project"]))}


def plan(app, world) -> Initiation:
    with app.app_context(), tenant(world["group"]):
        row = db.session.scalar(sa.select(Initiation).where(Initiation.project_id == world["project"]))
        db.session.expunge(row)
        return row


def the_round(app, world, round_id) -> Round:
    with app.app_context(), tenant(world["group"]):
        row = db.session.get(Round, round_id)
        db.session.expunge(row)
        return row


def staff(app, world):
    return login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])


def take_over(app, world, kj, hh, amounts: dict[str, str], source="exit:platform", tier="realestate") -> int:
    """A 新增合伙 round whose new partners (``amounts`` by username) take over the holding ``source``, through
    计算新合伙明细, 送审, 审核 and its process."""
    round_id = new_round(app, world, kj, "new_partners", source=source, payment_deadline="2030-05-31")
    for username, amount in amounts.items():
        act(kj, world, round_id, "partners", {"username": username, "tier": tier, "amount": amount})
    act(kj, world, round_id, "compute")
    act(kj, world, round_id, "submit")
    review(app, world, hh, round_id)
    run_process(app, world, kj, hh, "new_partners_initiation")
    return round_id
