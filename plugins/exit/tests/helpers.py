"""A project past 事业合伙立项 (the distribution stage's world) with the exit module on and a platform company."""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from core.extensions import db
from core.models import Company
from core.processes.models import ProcessInstance
from core.tenancy import tenant
from plugins.distribution.tests.helpers import flashes, make_world
from tests.conftest import post

SHIWEI_PAID = dt.date(2024, 2, 29)   # a leap day
JINTAO_PAID = dt.date(2023, 3, 1)    # a year that holds 2024-02-29
LIUQIAO_PAID = dt.date(2024, 1, 15)


def exit_world(code="AAA", platform=True):
    world = make_world(code, partners=[("shiwei", "史伟", "realestate", "746428.00", SHIWEI_PAID),
                                       ("jintao", "金涛", "realestate", "288940.00", JINTAO_PAID),
                                       ("liuqiao", "刘乔", "city", "288940.00", LIUQIAO_PAID)]
                       if code == "AAA" else
                       [(f"{code.lower()}_x", "外集团合伙人", "city", "100000.00", LIUQIAO_PAID)])
    from core.modules import enable
    from core.settings import save
    with tenant(world["group"]):
        enable(world["group"], "exit", actor="test")
        company = db.session.scalar(sa.select(Company).where(Company.name == "置业集团"))
        if platform:
            save(world["group"], "exit", {"platform_company": str(company.id)})
        db.session.commit()
        world["platform"] = company.id
        from plugins.subscription.models import Subscription
        world["subscriptions"] = {name: db.session.scalar(sa.select(Subscription.id).where(Subscription.user_id == uid))
                                  for name, uid in world["users"].items()}
    return world


def page(world):
    return f"/exit/projects/{world['project']}"


def calculate(client, world, username, kind, exit_on, **extra):
    """POST a 离职退休测算; returns the saved calculation's id (or None) and the page's messages."""
    subscription_id = world["subscriptions"][username]
    response = post(client, page(world) + "/calculate", {"subscription": str(subscription_id), "kind": kind,
                                                         "exit_on": exit_on, **extra})
    assert response.status_code == 302
    messages = flashes(client.get(page(world)).get_data(as_text=True))
    found = re.search(r"已保存离职退休测算 #(\d+)", " ".join(messages))
    return (int(found.group(1)) if found else None), messages


def start(client, world, calculation_id):
    response = post(client, f"{page(world)}/calculations/{calculation_id}/start")
    assert response.status_code == 302
    return flashes(client.get(page(world)).get_data(as_text=True))


def decide(app, world, hh, approve=True):
    with app.app_context(), tenant(world["group"]):
        process_id = db.session.scalar(sa.select(ProcessInstance.id).where(ProcessInstance.kind == "exit_partner")
                                       .order_by(ProcessInstance.id.desc()))
    response = post(hh, f"/processes/{process_id}/decide",
                    {"decision": "approve" if approve else "reject", "comment": "同意"})
    assert response.status_code == 302
    return process_id


def transfer(app, client, world, username, kind="resign", exit_on="2025-02-28"):
    """The whole exit of one partner as the accountant runs it: 测算, 发起, approved, 合伙投资过户给平台公司."""
    from plugins.exit.models import PartnerExit
    from tests.conftest import login
    kj = login(client, world["kj"])
    calculation, _messages = calculate(kj, world, username, kind, exit_on)
    start(kj, world, calculation)
    decide(app, world, login(app.test_client(), world["hh"]))
    with app.app_context(), tenant(world["group"]):
        found = db.session.scalar(sa.select(PartnerExit).where(PartnerExit.user_id == world["users"][username])
                                  .order_by(PartnerExit.id.desc()))
        exit_id, version = found.id, found.version
    assert post(kj, f"{page(world)}/exits/{exit_id}/transfer", {"version": str(version)}).status_code == 302
    return kj
