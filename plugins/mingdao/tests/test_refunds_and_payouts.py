"""A 退款 confirmed after a 峰值变更 (立项调整) and a batch paid (分配) reach 明道云 through the app and a real RQ
worker: one row each, also after a failed or lost call and a second delivery, in their own company's app only."""
import datetime as dt
import json

import pytest
import sqlalchemy as sa
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from core.events import emit
from core.extensions import db
from core.modules import enable
from core.tenancy import tenant
from plugins.adjustment.tests import helpers as adj
from plugins.distribution import notices
from plugins.distribution.tests import helpers as dist
from plugins.mingdao import services
from plugins.mingdao.models import MingdaoPayout, MingdaoRecord, MingdaoReport
from plugins.mingdao.tests import fake_mingdao as F
from plugins.mingdao.tests.conftest import RATE, TIMEOUT, configure
from plugins.subscription.models import Payment
from tests.conftest import login, make_app, post, reset_database, save
from tests.rq_helpers import REDIS_URL, redis_client, run_worker
from tests.sample_plugins.event_recorder.hooks import EVENTS

PLUGINS = ["plugins.subscription", "plugins.adjustment", "plugins.distribution", "plugins.mingdao",
           "tests.sample_plugins.event_recorder", "plugins.adjustment.tests.stake_holder"]
ADD, EDIT = "/v2/open/worksheet/addRow", "/v2/open/worksheet/editRow"
# Paid in full at a peak of 1,000,000.00; a peak lowered to 876,543.21 gives part of it back.
PARTNERS = [("shiwei", "realestate", "14711.11", "14711.11"), ("jintao", "realestate", "11033.33", "11033.33"),
            ("liuqiao", "city", "6000.00", "6000.00")]
PAID = dt.date(2024, 1, 15)


@pytest.fixture(scope="module")
def app():
    application = make_app(plugins=PLUGINS, MINGDAO_TIMEOUT=TIMEOUT, MINGDAO_RATE=RATE)
    reset_database(application)
    yield application


@pytest.fixture(scope="module")
def queued(app):
    return make_app(plugins=PLUGINS, REDIS_URL=REDIS_URL, MINGDAO_TIMEOUT=TIMEOUT, MINGDAO_RATE=RATE)


@pytest.fixture
def other_fake():
    server = F.FakeMingdao()
    server.start()
    yield server
    server.stop()


def mingdao(app, world, url, enabled=True):
    """The company's 明道云 settings pointing at ``url`` (the module enabled, or only configured)."""
    with app.app_context(), tenant(world["group"]):
        if enabled:
            enable(world["group"], "mingdao", actor="test")
        configure(world["group"], url)
        db.session.commit()


def run_the_retry(application) -> None:
    """The push job the backoff scheduled, run now by the worker."""
    registry = ScheduledJobRegistry(application.config["RQ_QUEUE"], connection=redis_client())
    jobs = [Job.fetch(i, connection=redis_client()) for i in registry.get_job_ids()]
    retries = [j for j in jobs if j.args[0] == services.PUSH_JOB]
    assert len(retries) == 1, [j.args for j in jobs]
    registry.remove(retries[0])
    Queue(application.config["RQ_QUEUE"], connection=redis_client()).enqueue_job(retries[0])
    run_worker(application)


def records(app, group, kind):
    with app.app_context(), tenant(group):
        return db.session.scalars(sa.select(MingdaoRecord).where(MingdaoRecord.kind == kind)).all()


def refund_after_a_lower_peak(application, world, username) -> str:
    """峰值变更 to a lower peak through its processes, then the 退款 of ``username`` confirmed (变更缴款确认)."""
    kj, hh = adj.staff(application, world)
    round_id = adj.new_round(application, world, kj, "peak", new_peak="876,543.21", payment_deadline="2030-06-30")
    adj.run_process(application, world, kj, hh, "peak_adjustment")
    adj.act(kj, world, round_id, "compute")
    adj.act(kj, world, round_id, "submit")
    adj.review(application, world, hh, round_id)
    adj.run_process(application, world, kj, hh, "initiation_change")
    line = adj.lines(application, world, round_id)[username]
    page = adj.act(kj, world, round_id, f"lines/{line.id}/settle", {
        "settled_on": adj.TODAY.isoformat(), "amount": f"{-line.difference}", "version": str(line.version)})
    assert f"已确认 {line.user.name} 退款" in page, adj.flashes(page)
    return f"{line.difference:.2f}"


def test_a_refund_confirmed_after_a_peak_change_is_one_payment_row_also_after_a_failure(app, queued, fake, other_fake):
    with app.app_context():
        a = adj.make_world("AAA", partners=PARTNERS)
        b = adj.make_world("BBB", partners=[(f"b_{u}", tier, i, paid) for u, tier, i, paid in PARTNERS])
    mingdao(app, a, fake.url)
    mingdao(app, b, other_fake.url)
    fake.calls.clear()
    fake.fail_next(ADD, 503)
    refund = refund_after_a_lower_peak(queued, a, "shiwei")
    run_worker(queued)
    [record] = records(app, a["group"], services.PAYMENT)
    assert record.state == "pending" and "HTTP 503" in record.last_error and fake.rows[F.PAYMENTS] == {}
    run_the_retry(queued)
    with app.app_context(), tenant(a["group"]):
        payment = db.session.scalar(sa.select(Payment).where(Payment.kind == "refund"))
    [row] = fake.rows[F.PAYMENTS].values()
    assert (row["m_code"], row["m_kind"], row["m_amount"], row["m_paid_on"], row["m_account"], row["m_state"]) == (
        f"GT-PAY-{payment.id}", "退款", refund, adj.TODAY.isoformat(), "shiwei", "有效")
    assert refund.startswith("-") and fake.count(ADD) == 2 and fake.count(EDIT) == 0  # the refused call, then one
    assert records(app, a["group"], services.PAYMENT)[0].state == "sent"
    # The other company's refund goes to its own app, and nothing of it to the first one.
    refund_after_a_lower_peak(queued, b, "b_jintao")
    run_worker(queued)
    assert [r["m_account"] for r in other_fake.rows[F.PAYMENTS].values()] == ["b_jintao"]
    assert [r["m_account"] for r in fake.rows[F.PAYMENTS].values()] == ["shiwei"] and fake.count(ADD) == 2
    assert "b_jintao" not in json.dumps(fake.bodies(ADD) + fake.bodies(EDIT), ensure_ascii=False)


def pay_principal(application, world) -> int:
    """本金分配: new batch dated today, 测算, 送审, 审核 and its process; the worker sends the 分配通知."""
    kj, hh = login(application.test_client(), world["kj"]), login(application.test_client(), world["hh"])
    batch = dist.new_batch(application, world, kj, "principal")
    assert save(kj, dist.batch_url(world, batch), {"distributed_on": notices.today().isoformat(), "note": ""},
                page=dist.page_url(world, batch)).status_code == 302
    assert post(kj, dist.batch_url(world, batch, "compute")).status_code == 302
    dist.approve(application, world, kj, hh, batch, "distribution_principal")
    return batch


def test_a_paid_batch_is_one_row_per_partner_once_also_after_a_lost_answer(app, queued, fake, other_fake):
    with app.app_context():
        a = dist.make_world("AAA", partners=[("shiwei", "史伟", "realestate", "746428.00", PAID),
                                             ("jintao", "金涛", "city", "288940.00", PAID)])
        b = dist.make_world("BBB", partners=[("b_liu", "刘乔", "city", "288940.00", PAID)])
        c = dist.make_world("CCC", partners=[("c_wang", "王磊", "city", "100000.00", PAID)])
    mingdao(app, a, fake.url)
    mingdao(app, b, other_fake.url)
    mingdao(app, c, fake.url, enabled=False)  # configured, but the module is off for this company
    fake.calls.clear()
    fake.answer_late(ADD, 9.0)  # the first row is added; its answer comes after the client gave up
    batches = {w["group"]: pay_principal(queued, w) for w in (a, b, c)}
    run_worker(queued)
    paid = {e.group_id: e for e in EVENTS if type(e).__name__ == "DistributionPaid"}
    assert set(paid) == {a["group"], b["group"], c["group"]}
    assert len(fake.rows[F.PAYOUTS]) == 1 and {r.state for r in records(app, a["group"], services.PAYOUT)} == {
        "pending"}
    run_the_retry(queued)
    want = {f"GT-DIST-{batches[a['group']]}-{user_id}": amount
            for user_id, amount in zip(paid[a["group"]].user_ids, paid[a["group"]].amounts)}
    got = {r["d_code"]: r for r in fake.rows[F.PAYOUTS].values()}
    assert {code: r["d_amount"] for code, r in got.items()} == want
    assert {(r["d_account"], r["d_partner"], r["d_batch"], r["d_paid_on"], r["d_project"]) for r in got.values()} == {
        (u, name, "本金分配", notices.today().isoformat(), "AAA-P1 AAA项目") for u, name in (("shiwei", "史伟"), ("jintao", "金涛"))}
    assert fake.count(ADD) == 2 and fake.count(EDIT) == 1  # the lost one found by its code and edited in place
    assert [r["d_account"] for r in other_fake.rows[F.PAYOUTS].values()] == ["b_liu"]
    everything = json.dumps(fake.calls, ensure_ascii=False)
    assert "b_liu" not in everything and "c_wang" not in everything
    with app.app_context(), tenant(c["group"]):
        assert db.session.scalars(sa.select(MingdaoPayout)).all() == []
    # The event delivered again changes nothing; a 全量同步 edits the rows, adds none.
    with queued.app_context(), tenant(a["group"]):
        emit(paid[a["group"]])
        db.session.commit()
    run_worker(queued)
    assert fake.count(ADD) == 2 and fake.count(EDIT) == 1
    result = queued.test_cli_runner().invoke(args=["gentou", "mingdao", "resync", "--company", "AAA"])
    assert result.exit_code == 0, result.output
    run_worker(queued)
    assert len(fake.rows[F.PAYOUTS]) == 2 and [b["worksheetId"] for b in fake.bodies(ADD)].count(F.PAYOUTS) == 2
    # 对账 reads the payout worksheet back.
    post(login(queued.test_client(), "aaa_admin"), "/mingdao/reconcile")
    run_worker(queued)
    with app.app_context(), tenant(a["group"]):
        report = db.session.scalar(sa.select(MingdaoReport))
    assert json.loads(report.body)["payout"] == {"missing": [], "extra": [], "differs": [], "ours": 2, "theirs": 2}


def test_without_a_payout_worksheet_payouts_are_kept_and_sent_once_it_is_chosen(app, queued, fake):
    with app.app_context():
        a = dist.make_world("AAA", partners=[("shiwei", "史伟", "realestate", "746428.00", PAID)])
    mingdao(app, a, fake.url)
    with app.app_context(), tenant(a["group"]):
        configure(a["group"], fake.url, payout_worksheet_id="")  # 不同步
        db.session.commit()
    pay_principal(queued, a)
    run_worker(queued)
    assert records(app, a["group"], services.PAYOUT) == [] and fake.rows[F.PAYOUTS] == {}
    with app.app_context(), tenant(a["group"]):
        configure(a["group"], fake.url)
        db.session.commit()
    assert queued.test_cli_runner().invoke(args=["gentou", "mingdao", "resync", "--company", "AAA"]).exit_code == 0
    run_worker(queued)
    assert [r["d_account"] for r in fake.rows[F.PAYOUTS].values()] == ["shiwei"]
