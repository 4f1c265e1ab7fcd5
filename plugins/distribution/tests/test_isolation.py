"""Tenancy, authorisation and partner isolation on every route of the plugin; query counts of the batch page."""
import datetime as dt

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.tenancy import tenant
from plugins.distribution.tests.helpers import (add_partners, approve, batch_url, make_world, new_batch, page_url)
from tests.conftest import login, post, save
from tests.test_demo_and_queries import QueryCounter

PAID = dt.date(2024, 1, 15)


@pytest.fixture
def worlds(app):
    with app.app_context():
        a = make_world("AAA", partners=[("aaa_p1", "甲", "city", "100000.00", PAID)])
        b = make_world("BBB", partners=[("bbb_p1", "乙", "city", "100000.00", PAID)])
    return a, b


def routes(app, world, batch_id):
    """Every URL of the plugin that belongs to a project (GET or POST)."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("distribution.") or "project_id" not in rule.arguments:
            continue
        path = rule.rule.replace("<int:project_id>", str(world["project"])).replace("<int:batch_id>", str(batch_id))
        out.append((path, rule.methods))
    return out


def test_every_project_route_refuses_other_tenants_unauthorised_staff_and_partners(app, worlds):
    a, b = worlds
    kj = login(app.test_client(), a["kj"])
    batch = new_batch(app, a, kj, "principal")
    urls = routes(app, a, batch)
    assert len(urls) == 13
    # another company's business admin is refused by role (403) where only accountants act, else not found
    for username, expected in ((b["kj"], {404}), (b["hh"], {403, 404}), (a["outsider"], {404}),
                               (a["partner"], {403}), ("aaa_p1", {403})):
        client = login(app.test_client(), username)
        for path, methods in urls:
            if "GET" in methods:
                assert client.get(path).status_code in expected, (username, path)
            if "POST" in methods:
                response = post(client, path, {"kind": "profit", "by_hand": "1"})
                assert response.status_code in expected, (username, path)
    assert login(app.test_client(), "aaa_p1").get("/distribution/").status_code == 403
    assert kj.get("/distribution/me").status_code == 403
    assert post(kj, "/distribution/me", {"holder": "x", "bank": "y", "number": "12345678"}).status_code == 403
    with app.app_context(), tenant(a["group"]):
        from plugins.distribution.models import DistributionBatch
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DistributionBatch)) == 1
        assert db.session.get(DistributionBatch, batch).by_hand is False


def test_a_partner_sees_only_their_own_rows_and_account(app, worlds):
    a, b = worlds
    kj, hh = login(app.test_client(), a["kj"]), login(app.test_client(), a["hh"])
    with app.app_context():
        add_partners(a, 1, "aaa_q")
    for kind in ("principal", "profit"):
        batch = new_batch(app, a, kj, kind)
        save(kj, batch_url(a, batch), {"distributed_on": "2025-01-01", "net_profit": "1,000,000.00", "ratio": "50.000"},
             page=page_url(a, batch))
        post(kj, batch_url(a, batch, "compute"))
        approve(app, a, kj, hh, batch, "distribution_principal" if kind == "principal" else "distribution_profit_1")
    partner = login(app.test_client(), "aaa_p1")
    assert save(partner, "/distribution/me", {"holder": "甲", "bank": "建设银行", "number": "6217 0000 1234 5678"}
                ).status_code == 302
    mine = partner.get("/distribution/me").get_data(as_text=True)
    assert "本金分配" in mine and "第1次利润分配" in mine and "6217000012345678" in mine
    assert "合伙人0" not in mine  # the other partner's rows are not shown
    # 置业集团 has no partner here; 城市公司 1,000,000 × 0.6 % × 50 % = 3,000.00 split between two equal partners
    assert "1,500.00" in mine
    other = login(app.test_client(), "aaa_q00000").get("/distribution/me").get_data(as_text=True)
    assert "6217000012345678" not in other and "甲" not in other
    assert "aaa_p1" not in login(app.test_client(), "bbb_p1").get("/distribution/me").get_data(as_text=True)
    # the accountant sees the full number, the business admin the masked one; a bad number is refused
    assert "6217000012345678" in kj.get(f"/distribution/projects/{a['project']}/accounts").get_data(as_text=True)
    masked = hh.get(f"/distribution/projects/{a['project']}/accounts").get_data(as_text=True)
    assert "************5678" in masked and "6217000012345678" not in masked
    refused = save(partner, "/distribution/me", {"holder": "甲", "bank": "建设银行", "number": "62-17"})
    assert refused.status_code == 400 and "账号须为 8 至 30 位数字" in refused.get_data(as_text=True)
    assert "6217000012345678" in partner.get("/distribution/me").get_data(as_text=True)


def queries(app, client, url):
    with app.app_context():
        engine = db.engine
    client.get(url)
    with QueryCounter(engine) as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_batch_page_queries_do_not_grow_with_partners(app, worlds):
    counts = []
    for world, n in zip(worlds, (10, 1000)):
        with app.app_context():
            add_partners(world, n, f"{world['kj'][:3]}_n")
        kj = login(app.test_client(), world["kj"])
        batch = new_batch(app, world, kj, "principal")
        save(kj, batch_url(world, batch), {"distributed_on": "2025-01-01"}, page=page_url(world, batch))
        assert post(kj, batch_url(world, batch, "compute")).status_code == 302
        profit = new_batch(app, world, kj, "profit")
        counts.append((queries(app, kj, page_url(world)), queries(app, kj, page_url(world, batch)),
                       queries(app, kj, page_url(world, profit))))
    assert counts[0] == counts[1], counts
