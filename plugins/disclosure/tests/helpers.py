"""A project under way (立项 with its 盈利指标, partners with a confirmed investment), and the steps of the stage."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import sqlalchemy as sa

from core import roles
from core.extensions import db
from core.models import Project
from core.processes.models import ProcessInstance
from core.tenancy import tenant
from plugins.disclosure.models import ProfitVersion
from plugins.subscription.models import Initiation, Subscription
from tests.conftest import post
from tests.factories import make_tenant, make_user

MODULES = ["subscription", "disclosure", "event_recorder"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _partners(project_id: int, prefix: str, partners) -> dict[str, int]:
    ids = {}
    for i, (username, investment) in enumerate(partners):
        user = make_user(username, [roles.PARTNER])
        db.session.add(Subscription(project_id=project_id, user_id=user.id, tier="city", token=f"{prefix}{i:06d}",
                                    min_amount=Decimal(0), max_amount=Decimal(investment), deadline=dt.date(2030, 1, 1),
                                    subscribed_amount=Decimal(investment), investment=Decimal(investment)))
        ids[username] = user.id
    return ids


def make_world(code="AAA", partners=(("aaa_p1", "100000.00"), ("aaa_p2", "200000.00")),
               others=(("aaa_o1", "50000.00"),)) -> dict:
    """Project 1 with 立项 盈利指标 and ``partners``; project 2 of the same company with ``others``."""
    t = make_tenant(code, modules=MODULES)
    with tenant(t.group.id):
        project = t.project
        db.session.add(Initiation(project_id=project.id, sales_revenue=Decimal("1000000000.00"),
                                  net_profit=Decimal("80000000.00"), net_margin=Decimal("8.000"),
                                  irr=Decimal("15.000"), payback_months=30))
        second = Project(code=f"{code}-P2", name=f"{code}二期", company_id=t.city.id, batch_id=t.batch.id, is_open=True)
        db.session.add(second)
        db.session.flush()
        users = _partners(project.id, code, partners)
        users.update(_partners(second.id, code + "X", others))
        db.session.commit()
        return {"group": t.group.id, "project": project.id, "second": second.id, "kj": t.accountant.username,
                "hh": t.business_admin.username, "outsider": t.outsider.username, "partner": t.partner.username,
                "users": users}


def dynamics_url(world, version_id=None) -> str:
    return f"/disclosure/projects/{world['project']}/dynamics" + (f"?v={version_id}" if version_id else "")


def flashes(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'role="alert">(.*?)<button', page, re.S)]


def add_version(client, world, **fields) -> int:
    """新增版本 as the accountant; returns its id."""
    response = post(client, dynamics_url(world), fields)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    return int(re.search(r"v=(\d+)", response.headers["Location"]).group(1))


def version_row(app, world, version_id) -> ProfitVersion:
    with app.app_context(), tenant(world["group"]):
        return db.session.get(ProfitVersion, version_id)


def start_disclosure(client, world, files=(), description="请审批披露", **kwargs):
    data = {"description": description}
    if files:
        data["attachments"] = list(files)
    return post(client, f"/processes/projects/{world['project']}/start/disclosure", data,
                content_type="multipart/form-data", **kwargs)


def last_process(app, world) -> int:
    with app.app_context(), tenant(world["group"]):
        return db.session.scalar(sa.select(ProcessInstance.id).where(ProcessInstance.kind == "disclosure")
                                 .order_by(ProcessInstance.id.desc()))


def approve(client, process_id):
    return post(client, f"/processes/{process_id}/decide", {"decision": "approve", "comment": "同意"})
