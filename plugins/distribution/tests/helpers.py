"""A project past 事业合伙立项 with its partners, as the subscription stage leaves it."""
from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import Workbook

from core import roles
from core.extensions import db
from core.models.user import utcnow
from core.processes.models import APPROVED, ProcessInstance
from core.tenancy import tenant
from plugins.distribution.models import DistributionBatch
from plugins.subscription.models import Initiation, Payment, Subscription, TierRatio
from tests.conftest import post
from tests.factories import make_tenant, make_user

MODULES = ["subscription", "distribution", "event_recorder"]


def make_world(code="AAA", partners=(), ratios=None, financing_rate="6.000", financing_ratio="40.000",
               actual_peak=True):
    """``partners``: (username, name, tier, investment, paid_on or None); with ``actual_peak`` the
    实际资金峰值确认 is approved too. Returns ids and usernames."""
    t = make_tenant(code, modules=MODULES)
    with tenant(t.group.id):
        project = t.project
        db.session.add(Initiation(project_id=project.id, capital_peak=Decimal("100000000.00"),
                                  financing_ratio=Decimal(financing_ratio), financing_rate=Decimal(financing_rate)))
        for tier, ratio in (ratios or {"realestate": "3.310", "city": "0.600"}).items():
            db.session.add(TierRatio(project_id=project.id, tier=tier, ratio=Decimal(ratio)))
        users = {}
        for i, (username, name, tier, investment, paid_on) in enumerate(partners):
            user = make_user(username, [roles.PARTNER], name=name)
            amount = Decimal(investment)
            financed = (amount * Decimal(financing_ratio) / 100).quantize(Decimal("0.01"))
            row = Subscription(project_id=project.id, user_id=user.id, tier=tier, token=f"{code}{i:06d}",
                               min_amount=Decimal(0), max_amount=amount, deadline=dt.date(2030, 1, 1),
                               subscribed_amount=amount, investment=amount, financed=financed,
                               self_funded=amount - financed)
            db.session.add(row)
            db.session.flush()
            if paid_on:
                db.session.add(Payment(subscription_id=row.id, project_id=project.id, paid_on=paid_on, amount=amount,
                                       recorded_by="test", recorded_at=utcnow()))
            users[username] = user.id
        db.session.add(ProcessInstance(project_id=project.id, kind="coinvest_initiation", state=APPROVED,
                                       initiator_id=t.accountant.id, started_at=utcnow(), slot=f"{project.id}:init"))
        if actual_peak:
            db.session.add(ProcessInstance(project_id=project.id, kind="actual_peak", state=APPROVED,
                                           initiator_id=t.accountant.id, started_at=utcnow(),
                                           form_data={"actual_peak": "36000000.00"}))
        db.session.commit()
        return {"group": t.group.id, "project": project.id, "kj": t.accountant.username,
                "hh": t.business_admin.username, "outsider": t.outsider.username, "partner": t.partner.username,
                "users": users}


def page_url(world, batch_id=None):
    base = f"/distribution/projects/{world['project']}/batches"
    return base + (f"?batch={batch_id}" if batch_id else "")


def batch_url(world, batch_id, action=""):
    return f"/distribution/projects/{world['project']}/batches/{batch_id}" + (f"/{action}" if action else "")


def new_batch(app, world, client, kind) -> int:
    response = post(client, f"/distribution/projects/{world['project']}/batches/new", {"kind": kind})
    assert response.status_code == 302, flashes(client.get(page_url(world)).get_data(as_text=True))
    return int(re.search(r"batch=(\d+)", response.headers["Location"]).group(1))


def flashes(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'role="alert">(.*?)<button', page, re.S)]


def sheet(rows, headers=("账号", "姓名", "事业合伙本金(A)", "资金利息(B)", "其它(C)", "利润(F)")) -> bytes:
    book = Workbook()
    book.active.append(list(headers))
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, url, data: bytes, **kwargs):
    return post(client, url, {"file": (io.BytesIO(data), "分配.xlsx")}, content_type="multipart/form-data", **kwargs)


def batch_row(app, world, batch_id) -> DistributionBatch:
    with app.app_context(), tenant(world["group"]):
        return db.session.scalar(sa.select(DistributionBatch).where(DistributionBatch.id == batch_id))


def cells(page: str) -> list[str]:
    """The money cells of the page's footer (合计) row."""
    foot = page[page.rfind("<tfoot>"):page.rfind("</tfoot>")]
    return [c.strip() for c in re.findall(r'<td class="money">(.*?)</td>', foot, re.S)]


def add_partners(world, count: int, prefix: str, tier: str = "city", amount: str = "100000.00",
                 paid: dt.date = dt.date(2024, 1, 15)) -> None:
    """``count`` more partners with a confirmed, paid investment, written in bulk."""
    from core.models import User
    from tests.factories import _HASH
    with tenant(world["group"]):
        db.session.execute(sa.insert(User.__table__), [
            {"group_id": world["group"], "username": f"{prefix}{i:05d}", "name": f"合伙人{i}", "password_hash": _HASH, "mobile": "", "email": "",
             "active": True, "locale": "", "version": 1, "failed_logins": 0, "session_token": f"{prefix}{i:05d}"}
            for i in range(count)])
        ids = db.session.scalars(sa.select(User.id).where(User.username.like(f"{prefix}%")).order_by(User.id)).all()
        value = Decimal(amount)
        db.session.execute(sa.insert(Subscription.__table__), [
            {"group_id": world["group"], "project_id": world["project"], "user_id": uid, "tier": tier,
             "token": f"{prefix}{uid}", "min_amount": Decimal(0), "max_amount": value, "deadline": dt.date(2030, 1, 1),
             "subscribed_amount": value, "investment": value, "financed": value * Decimal("0.4"),
             "self_funded": value * Decimal("0.6"), "version": 1} for uid in ids])
        subscriptions = db.session.scalars(sa.select(Subscription.id).where(Subscription.user_id.in_(ids))).all()
        db.session.execute(sa.insert(Payment.__table__), [
            {"group_id": world["group"], "subscription_id": sid, "project_id": world["project"], "paid_on": paid,
             "amount": value, "recorded_by": "test", "recorded_at": utcnow(), "kind": "payment",
             "reversed_by": "", "reversal_reason": ""} for sid in subscriptions])
        db.session.commit()


def review_id(app, world, batch_id):
    from core.processes.models import Review
    with app.app_context(), tenant(world["group"]):
        return db.session.scalar(sa.select(Review.id).where(Review.record_table == "distribution_batch",
                                                            Review.record_id == batch_id))


def run_process(app, world, kj, hh, code, **fields):
    """发起 the process ``code`` as the accountant, approved in the app by the business admin."""
    response = post(kj, f"/processes/projects/{world['project']}/start/{code}", {"description": "请审批", **fields},
                    content_type="multipart/form-data")
    assert response.status_code == 302, flashes(kj.get(f"/processes/projects/{world['project']}").get_data(as_text=True))
    with app.app_context(), tenant(world["group"]):
        process_id = db.session.scalar(sa.select(ProcessInstance.id).where(ProcessInstance.kind == code)
                                       .order_by(ProcessInstance.id.desc()))
    assert post(hh, f"/processes/{process_id}/decide", {"decision": "approve", "comment": "同意"}).status_code == 302


def approve(app, world, kj, hh, batch_id, code):
    """送审, 审核通过, then the batch's process approved."""
    assert post(kj, batch_url(world, batch_id, "submit")).status_code == 302
    assert post(hh, f"/reviews/{review_id(app, world, batch_id)}/decide", {"decision": "pass"}).status_code == 302
    run_process(app, world, kj, hh, code)
