"""盈亏动态 versions compared with 立项 and each other, with charts; the 披露 process with an attachment approved;
披露审核 sends one merged notice per partner through the outbox and a real RQ worker; the partner reads it."""
import io
import os
import re

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import InboxMessage, Notice
from core.tenancy import tenant
from core.worker import make_worker
from plugins.disclosure.events import DisclosurePublished
from plugins.disclosure.models import DisclosureReceipt
from plugins.disclosure.tests.helpers import (PDF, add_version, approve, dynamics_url, flashes, last_process,
                                              make_world, start_disclosure, version_row)
from tests.conftest import login, make_app, post, save
from tests.sample_plugins.event_recorder.hooks import EVENTS

REDIS_URL = os.environ.get("GENTOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
V1 = {"as_of": "2024-06-30", "sales_revenue": "1,050,000,000.00", "net_profit": "85,000,000.00",
      "net_margin": "8.095", "irr": "16.500", "payback_months": "28", "sales_to_date": "300,000,000.00",
      "cash_collected": "250,000,000.00", "progress": "主体结构封顶", "note": "首次动态测算"}
V2 = {**V1, "as_of": "2024-12-31", "net_profit": "76,500,000.00", "net_margin": "-1.500", "irr": "12.000",
      "sales_to_date": "520,000,000.00", "cash_collected": "480,000,000.00", "progress": "一期交付"}


def row(page: str, indicator: str) -> list[str]:
    """The cells of one indicator's line in the comparison table."""
    found = re.search(rf'<tr data-indicator="{indicator}">(.*?)</tr>', page, re.S).group(1)
    return [re.sub(r"<.*?>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", found, re.S)]


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world()


def test_two_versions_compared_with_initiation_and_each_other_with_charts(app, world):
    kj = login(app.test_client(), world["kj"])
    first = add_version(kj, world, **V1)
    page = kj.get(dynamics_url(world, first)).get_data(as_text=True)
    # 立项 80,000,000.00 → 85,000,000.00: +5,000,000.00, +6.25 %; no previous version
    assert row(page, "net_profit") == ["80,000,000.00", "—", "85,000,000.00", "+5,000,000.00", "+6.25%", "—", "—"]
    second = add_version(kj, world, **V2)
    page = kj.get(dynamics_url(world, second)).get_data(as_text=True)
    assert row(page, "net_profit") == ["80,000,000.00", "85,000,000.00", "76,500,000.00", "-3,500,000.00", "-4.38%",
                                       "-8,500,000.00", "-10.00%"]
    # a margin may turn negative; percent points compared the same way; 立项 has no 累计回款 to compare with
    assert row(page, "net_margin") == ["8.000", "8.095", "-1.500", "-9.500", "-118.75%", "-9.595", "-118.53%"]
    assert row(page, "cash_collected") == ["—", "250,000,000.00", "480,000,000.00", "—", "—", "+230,000,000.00",
                                           "+92.00%"]
    assert row(page, "payback_months") == ["30", "28", "28", "-2", "-6.67%", "0", "0.00%"]
    # a server-drawn chart per indicator, its points the exact figures: 立项, then each version by date
    charts = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(charts) == 7 and not any("<script" in c or "style=" in c or "http://" in c.replace(
        'xmlns="http://www.w3.org/2000/svg"', "") for c in charts)  # nothing the CSP of core/headers.py would block
    profit = next(c for c in charts if 'aria-label="净利润"' in c)
    assert re.findall(r'data-value="([^"]+)"', profit) == ["80000000.00", "85000000.00", "76500000.00"]
    assert re.findall(r'data-label="([^"]+)"', profit) == ["立项", "2024-06-30", "2024-12-31"]
    collected = next(c for c in charts if 'aria-label="累计回款金额"' in c)
    assert re.findall(r'data-value="([^"]+)"', collected) == ["250000000.00", "480000000.00"]
    # the 立项 page's pointer to 【披露/盈亏动态】 is a link to this page
    initiation = kj.get(f"/subscription/projects/{world['project']}/initiation").get_data(as_text=True)
    assert f'href="{dynamics_url(world)}"' in initiation


def test_bad_input_saves_nothing_and_edits_carry_the_version(app, world):
    kj = login(app.test_client(), world["kj"])
    refused = post(kj, dynamics_url(world), {**V1, "as_of": "", "net_profit": "abc", "irr": "1.2345",
                                             "payback_months": "-3", "progress": "<b>"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    for message in ("请填写数据日期", "净利润不是有效的数字：abc", "IRR（%）最多 3 位小数"):
        assert message in text, message
    with app.app_context(), tenant(world["group"]):
        from plugins.disclosure.models import ProfitVersion
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProfitVersion)) == 0
    first = add_version(kj, world, **V1)
    url = f"/disclosure/projects/{world['project']}/dynamics/{first}"
    assert save(kj, url, {**V1, "net_profit": "86,000,000.00"}, page=dynamics_url(world, first)).status_code == 302
    assert version_row(app, world, first).net_profit == 86000000
    from tests.conftest import STALE, two_saves
    second = two_saves(app, world["kj"], url, {**V1, "note": "甲"}, {**V1, "note": "乙"}, page=dynamics_url(world, first))
    assert STALE in second
    assert version_row(app, world, first).note == "甲"


def test_disclosure_process_merged_notice_by_a_worker_and_the_partner_reads_it(app, world):
    import redis
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    queued = make_app(plugins=[m.package for m in app.extensions["gentou"].installed()], REDIS_URL=REDIS_URL)
    kj, hh = login(queued.test_client(), world["kj"]), login(queued.test_client(), world["hh"])
    refused = start_disclosure(kj, world, follow_redirects=True).get_data(as_text=True)
    assert flashes(refused) == ["请先在【盈亏动态】中新增待披露的版本"]
    first = add_version(kj, world, **V1)
    form = kj.get(f"/processes/projects/{world['project']}/start/disclosure").get_data(as_text=True)
    assert "第1版 · 2024-06-30" in form and "85,000,000.00" in form
    response = start_disclosure(kj, world, files=[(io.BytesIO(PDF), "项目动态利润测算.pdf")])
    assert response.status_code == 302, flashes(kj.get(f"/processes/projects/{world['project']}").get_data(as_text=True))
    process = last_process(queued, world)
    # under approval the version is frozen, and a second 披露 waits for the first
    edit = save(kj, f"/disclosure/projects/{world['project']}/dynamics/{first}", {**V1, "note": "改"},
                page=dynamics_url(world, first), follow_redirects=True).get_data(as_text=True)
    assert "第1版的披露流程审批中，不能修改" in flashes(edit)
    refused = start_disclosure(kj, world, follow_redirects=True).get_data(as_text=True)
    assert flashes(refused) == ["披露流程审批中，完成后才能再次发起"]
    EVENTS.clear()
    assert approve(hh, process).status_code == 302
    published = [e for e in EVENTS if isinstance(e, DisclosurePublished)]
    assert len(published) == 1 and published[0].version_id == first and published[0].as_of == "2024-06-30"
    assert version_row(queued, world, first).disclosed_at is not None
    edit = save(kj, f"/disclosure/projects/{world['project']}/dynamics/{first}", {**V1, "note": "改"},
                page=dynamics_url(world, first), follow_redirects=True).get_data(as_text=True)
    assert "第1版已披露，不能修改；更正请新增版本" in flashes(edit)
    assert version_row(queued, world, first).note == "首次动态测算"
    # a correction is a new version, disclosed by a second run of the repeatable process
    second = add_version(kj, world, **V2)
    assert start_disclosure(kj, world).status_code == 302
    assert approve(hh, last_process(queued, world)).status_code == 302
    # 披露审核: both disclosures wait for the project's two partners (not the other project's partner)
    assert "AAA项目 · 第2版 · 2024-12-31" in hh.get("/").get_data(as_text=True)  # 待办
    review = hh.get("/disclosure/review").get_data(as_text=True)
    assert "待通知：4 人次" in review
    read = hh.get(f"/disclosure/review/{first}").get_data(as_text=True)
    assert "85,000,000.00" in read and "请审批披露" in read and "项目动态利润测算.pdf" in read
    sent = post(hh, "/disclosure/review/send", follow_redirects=True).get_data(as_text=True)
    assert "已开始向 2 位合伙人合并发送披露通知" in flashes(sent)
    twice = post(hh, "/disclosure/review/send", follow_redirects=True).get_data(as_text=True)  # before the worker ran
    assert "已开始向 2 位合伙人合并发送披露通知" in flashes(twice)
    with queued.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InboxMessage)) == 0  # the worker sends
    make_worker(queued, connection).work(burst=True, with_scheduler=False)
    with queued.app_context(), tenant(world["group"]):
        inbox = db.session.execute(sa.select(InboxMessage.recipient_id, InboxMessage.title, InboxMessage.body)
                                   .where(InboxMessage.title == "披露通知")).all()
        assert sorted(r[0] for r in inbox) == sorted([world["users"]["aaa_p1"], world["users"]["aaa_p2"]])
        assert all("AAA项目 第1版 · 2024-06-30" in r[2] and "AAA项目 第2版 · 2024-12-31" in r[2] for r in inbox)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice).where(
            Notice.recipient_id == world["users"]["aaa_o1"])) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DisclosureReceipt)) == 4
    again = post(hh, "/disclosure/review/send", follow_redirects=True).get_data(as_text=True)
    assert "没有待通知的披露" in flashes(again) and "待通知：0 人次" in again
    # the next disclosure: one more notice each, naming only what is new
    add_version(kj, world, **{**V2, "as_of": "2025-03-31"})
    assert start_disclosure(kj, world).status_code == 302
    assert approve(hh, last_process(queued, world)).status_code == 302
    assert "已开始向 2 位合伙人合并发送披露通知" in flashes(post(hh, "/disclosure/review/send", follow_redirects=True)
                                                 .get_data(as_text=True))
    make_worker(queued, connection).work(burst=True, with_scheduler=False)
    with queued.app_context(), tenant(world["group"]):
        bodies = db.session.scalars(sa.select(InboxMessage.body).where(
            InboxMessage.recipient_id == world["users"]["aaa_p1"]).order_by(InboxMessage.id)).all()
    assert len(bodies) == 2 and "第3版 · 2025-03-31" in bodies[1] and "第1版" not in bodies[1]
    # the partner reads the disclosures of their project, with the attachment
    partner = login(queued.test_client(), "aaa_p1")
    mine = partner.get("/disclosure/me").get_data(as_text=True)
    assert "第1版 · 2024-06-30" in mine and "第3版 · 2025-03-31" in mine
    # a tab of 个人中心, its other tabs kept (found by the browser journey)
    assert 'class="nav-link active" href="/disclosure/me"' in mine and 'href="/me/messages"' in mine
    detail = partner.get(f"/disclosure/me/{first}").get_data(as_text=True)
    assert "85,000,000.00" in detail and "项目动态利润测算.pdf" in detail and "<svg" in detail
    assert "请审批披露" not in detail  # the process's note is for the approvers, not the partners
    token = re.search(r"/disclosure/me/\d+/files/([0-9a-f]+)", detail).group(1)
    download = partner.get(f"/disclosure/me/{first}/files/{token}")
    assert download.status_code == 200 and download.data == PDF
    later = partner.get(f"/disclosure/me/{second}").get_data(as_text=True)
    assert row(later, "net_profit")[1:3] == ["85,000,000.00", "76,500,000.00"]
    # a partner of the company's other project, and a partner of none, get 404
    for username in ("aaa_o1", world["partner"]):
        other = login(queued.test_client(), username)
        assert "AAA项目" not in other.get("/disclosure/me").get_data(as_text=True)
        assert other.get(f"/disclosure/me/{first}").status_code == 404
        assert other.get(f"/disclosure/me/{first}/files/{token}").status_code == 404
    connection.flushdb()
