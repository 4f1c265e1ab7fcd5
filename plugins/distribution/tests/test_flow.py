"""A principal batch computed, sent back, edited, approved through its process, and notified on its date by a
real RQ worker; the partner then sees it in 个人中心."""
import datetime as dt
import os
import re

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import InboxMessage
from core.tenancy import tenant
from core.worker import make_worker
from plugins.distribution import notices
from plugins.distribution.events import DistributionApproved, DistributionPaid
from plugins.distribution.tests.helpers import (batch_row, batch_url, flashes, make_world, new_batch, page_url,
                                                review_id, run_process)
from tests.conftest import login, make_app, post, save
from tests.sample_plugins.event_recorder.hooks import EVENTS

REDIS_URL = os.environ.get("GENTOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PAID = dt.date(2024, 1, 15)


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world(partners=[("shiwei", "史伟", "realestate", "746428.00", PAID),
                                    ("jintao", "金涛", "realestate", "288940.00", PAID),
                                    ("liuqiao", "刘乔", "city", "288940.00", PAID)])


def test_computed_sent_back_edited_approved_and_notified_by_a_worker(app):
    with app.app_context():
        world = make_world(actual_peak=False, partners=[("shiwei", "史伟", "realestate", "746428.00", PAID),
                                                        ("jintao", "金涛", "realestate", "288940.00", PAID),
                                                        ("liuqiao", "刘乔", "city", "288940.00", PAID)])
    import redis
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    queued = make_app(plugins=[m.package for m in app.extensions["gentou"].installed()], REDIS_URL=REDIS_URL)
    kj, hh = login(queued.test_client(), world["kj"]), login(queued.test_client(), world["hh"])
    batch = new_batch(queued, world, kj, "principal")
    today = notices.today()  # Asia/Shanghai
    assert save(kj, batch_url(world, batch), {"distributed_on": today.isoformat(), "note": ""},
                page=page_url(world, batch)).status_code == 302
    refused = post(kj, batch_url(world, batch, "compute"), follow_redirects=True).get_data(as_text=True)
    assert flashes(refused) == ["须先完成：实际资金峰值确认"]
    run_process(queued, world, kj, hh, "actual_peak", actual_peak="36,000,000.00")
    assert "36,000,000.00" in kj.get(page_url(world, batch)).get_data(as_text=True)
    assert post(kj, batch_url(world, batch, "compute")).status_code == 302
    days = (today - PAID).days
    page = kj.get(page_url(world, batch)).get_data(as_text=True)
    # 配资 40 % of 746,428.00 = 298,571.20 at 6 % a year from the day paid to the 分配日期
    from decimal import ROUND_HALF_UP, Decimal
    charge = (Decimal("298571.20") * Decimal("0.06") * days / 365).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert f"-{charge:,}" in page and f"{Decimal('746428.00') - charge:,}" in page
    # the business admin cannot be stopped from reading, but cannot compute; an accountant sends it to review
    assert post(hh, batch_url(world, batch, "compute")).status_code == 403
    assert post(kj, batch_url(world, batch, "submit")).status_code == 302
    refused = post(kj, batch_url(world, batch, "compute"), follow_redirects=True).get_data(as_text=True)
    assert "本金分配正在审核或已审核通过，需业务管理员解锁后才能修改" in flashes(refused)[0]
    assert post(hh, f"/reviews/{review_id(queued, world, batch)}/decide",
                {"decision": "return", "comment": "请补充其它调整项"}).status_code == 302
    assert "请补充其它调整项" in kj.get(page_url(world, batch)).get_data(as_text=True)
    lines = re.findall(r'name="other-(\d+)"', kj.get(page_url(world, batch)).get_data(as_text=True))
    assert save(kj, batch_url(world, batch), {"distributed_on": today.isoformat(), f"other-{lines[0]}": "1,000.00"},
                page=page_url(world, batch)).status_code == 302
    assert post(kj, batch_url(world, batch, "submit")).status_code == 302
    assert post(hh, f"/reviews/{review_id(queued, world, batch)}/decide",
                {"decision": "pass", "comment": "同意"}).status_code == 302
    assert "AAA项目 · 本金分配" in kj.get("/").get_data(as_text=True)  # 待发起流程 on the accountant's home page
    EVENTS.clear()
    run_process(queued, world, kj, hh, "distribution_principal")
    assert "AAA项目 · 本金分配" not in kj.get("/").get_data(as_text=True)
    approved = [e for e in EVENTS if isinstance(e, DistributionApproved)]
    assert len(approved) == 1 and approved[0].batch_id == batch and len(approved[0].user_ids) == 3
    assert batch_row(queued, world, batch).approved_at is not None
    assert batch_row(queued, world, batch).notified_at is None  # the job waits for a worker
    # the process carries the system's 分配测算表, totals as the page shows them
    with queued.app_context(), tenant(world["group"]):
        from core.processes.models import Attachment
        attachment = db.session.scalars(sa.select(Attachment)).one()
        token, filename = attachment.token, attachment.filename
    assert filename == "AAA项目_本金分配_分配测算表.xlsx"
    from openpyxl import load_workbook
    import io
    table = list(load_workbook(io.BytesIO(kj.get(f"/processes/attachments/{token}").data)).active.values)
    assert table[-1][1] == "合计" and table[-1][3] == "1,324,308.00".replace(",", "") and table[-1][5] == "1000.00"
    make_worker(queued, connection).work(burst=True, with_scheduler=False)
    assert batch_row(queued, world, batch).notified_at is not None
    paid = [e for e in EVENTS if isinstance(e, DistributionPaid)]
    assert len(paid) == 1 and paid[0].amounts == approved[0].amounts
    assert (paid[0].kind, paid[0].number, paid[0].distributed_on) == ("principal", 1, today.isoformat())
    with queued.app_context(), tenant(world["group"]):
        inbox = db.session.scalars(sa.select(InboxMessage.title).where(
            InboxMessage.recipient_id == world["users"]["shiwei"])).all()
    assert any("分配通知" in t for t in inbox)
    # approved figures are locked, for edits and imports alike
    assert "已审批" in kj.get(page_url(world, batch)).get_data(as_text=True)
    refused = post(kj, batch_url(world, batch, "compute"), follow_redirects=True).get_data(as_text=True)
    assert "需业务管理员解锁后才能修改" in flashes(refused)[0]
    # the partner's 个人中心
    mine = login(queued.test_client(), "shiwei").get("/distribution/me").get_data(as_text=True)
    assert "本金分配" in mine and "746,428.00" in mine and f"-{charge:,}" in mine and "已发送" in mine
    connection.flushdb()


def test_a_later_distribution_date_waits_for_its_day(app, world):
    import redis
    from rq.registry import ScheduledJobRegistry
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    queued = make_app(plugins=[m.package for m in app.extensions["gentou"].installed()], REDIS_URL=REDIS_URL)
    kj, hh = login(queued.test_client(), world["kj"]), login(queued.test_client(), world["hh"])
    batch = new_batch(queued, world, kj, "principal")
    later = notices.today() + dt.timedelta(days=3)
    assert save(kj, batch_url(world, batch), {"distributed_on": later.isoformat()}, page=page_url(world, batch)
                ).status_code == 302
    assert post(kj, batch_url(world, batch, "compute")).status_code == 302
    assert post(kj, batch_url(world, batch, "submit")).status_code == 302
    assert post(hh, f"/reviews/{review_id(queued, world, batch)}/decide", {"decision": "pass"}).status_code == 302
    run_process(queued, world, kj, hh, "distribution_principal")
    make_worker(queued, connection).work(burst=True, with_scheduler=False)
    assert batch_row(queued, world, batch).notified_at is None
    with queued.app_context():
        registry = ScheduledJobRegistry(queued.config["RQ_QUEUE"], connection=connection)
        jobs = registry.get_job_ids()
        assert len(jobs) == 1
        when = registry.get_scheduled_time(jobs[0])
    assert when.date() >= later - dt.timedelta(days=1)  # midnight of the day, local time, stored in UTC
    # the business admin may send it at once
    sent = post(hh, batch_url(world, batch, "notify"), follow_redirects=True).get_data(as_text=True)
    assert "已向 3 位合伙人发送分配通知" in flashes(sent)[0]
    again = post(hh, batch_url(world, batch, "notify"), follow_redirects=True).get_data(as_text=True)
    assert "该批次的分配通知已发送" in flashes(again)[0]
    connection.flushdb()
