"""A project with its 股权合作 (我方 and one 合作方), and registrations of outside shareholders."""
from __future__ import annotations

import re
from decimal import Decimal

import sqlalchemy as sa

from core.extensions import db
from core.processes.models import Review
from core.tenancy import tenant
from plugins.minority import checks
from plugins.subscription.models import Shareholder
from tests.conftest import post
from tests.factories import make_tenant

MODULES = ["subscription", "distribution", "minority", "event_recorder"]
PARTNER = "远洋合作方"


def credit_code(body: str = "91350100M000100Y4") -> str:
    return body + checks.credit_check_char(body)


def id_number(body: str = "11010519491231002") -> str:
    return body + checks.id_check_char(body)


def make_world(code="AAA", ours="51", partner="49"):
    t = make_tenant(code, modules=MODULES)
    with tenant(t.group.id):
        db.session.add_all([Shareholder(project_id=t.project.id, name="锦艺置业", ours=True, stake=Decimal(ours)),
                            Shareholder(project_id=t.project.id, name=PARTNER, ours=False, stake=Decimal(partner))])
        db.session.commit()
        return {"group": t.group.id, "project": t.project.id, "kj": t.accountant.username,
                "hh": t.business_admin.username, "admin": t.admin.username, "outsider": t.outsider.username,
                "partner": t.partner.username}


def url(world, path=""):
    return f"/minority/projects/{world['project']}/{path}"


def registration(name="甲公司", kind="company", number=None, stake="20", **more):
    return {"name": name, "kind": kind, "id_number": number or (credit_code() if kind == "company" else id_number()),
            "stake": stake, "cooperation": PARTNER, "contact": "张三", "phone": "13800000000", "bank": "工商银行",
            "account_name": name, "account_number": "6222020000000001", **more}


def register(client, world, **fields) -> int:
    response = post(client, url(world, "shareholders"), registration(**fields))
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    return last_id(client.application, world, "minority_shareholder")


def last_id(app, world, table) -> int:
    with app.app_context(), tenant(world["group"]):
        return db.session.execute(sa.text(f"SELECT max(id) FROM {table} WHERE group_id = :g"),
                                  {"g": world["group"]}).scalar()


def review_id(app, world, table, record_id) -> int | None:
    with app.app_context(), tenant(world["group"]):
        return db.session.scalar(sa.select(Review.id).where(Review.record_table == table, Review.record_id == record_id))


def decide(hh, world, table, record_id, passed=True, comment=""):
    rid = review_id(hh.application, world, table, record_id)
    assert rid is not None
    response = post(hh, f"/reviews/{rid}/decide", {"decision": "pass" if passed else "return", "comment": comment})
    assert response.status_code == 302


def approved(client, hh, world, **fields) -> int:
    """A registration 申请审核 by the accountant and 审核通过 by the business admin."""
    sid = register(client, world, **fields)
    assert post(client, url(world, f"shareholders/{sid}/submit")).status_code == 302
    decide(hh, world, "minority_shareholder", sid)
    return sid


def new_batch(client, world) -> int:
    response = post(client, url(world, "batches/new"))
    assert response.status_code == 302
    found = re.search(r"batch=(\d+)", response.headers["Location"])
    assert found, flashes(client.get(url(world, "batches")).get_data(as_text=True))
    return int(found.group(1))


def flashes(page: str) -> list[str]:
    found = re.findall(r'role="alert">(.*?)<button', page, re.S) + re.findall(r'alert-danger">(.*?)</div>\s*</div>', page, re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", m).strip() for m in found]
