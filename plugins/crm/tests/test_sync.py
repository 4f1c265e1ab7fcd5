"""Payments reach the CRM as PaymentObj through jobs on a real RQ worker, against the fake CRM over HTTP:
created once, updated on 冲销, the dataId kept; retried with the real backoff on 5xx and timeouts;
permanent errors stop with the CRM's reason for the admin; a disabled module sends nothing."""
import datetime as dt
from decimal import Decimal

from core.extensions import db
from core.models import Notice
from core.modules import disable
from core.tenancy import tenant
from plugins.crm import services
from plugins.crm.tests import fake_crm as F
from plugins.crm.tests.conftest import confirm, reverse, rows, run_due_now, run_worker, scheduled
from tests.conftest import login

CREATE, UPDATE, QUERY = "/cgi/crm/v2/data/create", "/cgi/crm/v2/data/update", "/cgi/crm/v2/data/query"


def test_a_confirmed_payment_becomes_one_payment_obj_with_its_details(app, world):
    fake = world["fake"]
    payment_id = confirm(app, world, "12345.67", on=dt.date(2026, 11, 20))
    run_worker(app)
    [row] = rows(app, world)
    assert (row.state, row.attempts, row.kind, row.amount) == ("synced", 1, "payment", Decimal("12345.67"))
    [obj] = fake.payments()
    assert row.data_id == obj["_id"]
    assert obj["payment_amount"] == "12345.67" and obj["account_id"] == F.ACCOUNT_ID
    assert obj["owner"] == [F.OPERATOR_ID] and obj["record_type"] == "default__c"
    assert obj["payment_time"] == 1795104000000  # 2026-11-20 00:00 Asia/Shanghai, in ms
    assert obj["remark"].startswith(f"GT-{world['group']}-P{payment_id} | AAA-P1 | AAA项目 | aaa_p | 缴款")
    assert obj["details"] == {"OrderPaymentObj": [{"order_id": F.ORDER_ID, "payment_amount": "12345.67",
                                                   "record_type": "default__c"}]}
    body = fake.bodies(CREATE)[0]
    assert body["corpId"] == F.CORP_ID and body["currentOpenUserId"] == F.OPERATOR_ID


def test_token_and_operator_are_reused_and_the_expired_code_refreshes_once(app, world):
    fake = world["fake"]
    for amount in ("100", "200", "300"):
        confirm(app, world, amount)
    run_worker(app)
    assert fake.count(F.TOKEN_PATH) == 1 and fake.count("/cgi/user/getByMobile") == 1
    assert fake.count(CREATE) == 3
    fake.expire_tokens()  # 20016 on the next call: one new token, the call once more
    confirm(app, world, "400")
    run_worker(app)
    assert fake.count(F.TOKEN_PATH) == 2 and fake.count(CREATE) == 5
    assert [r.state for r in rows(app, world)] == ["synced"] * 4
    # A token refused again right after the refresh is not refreshed a second time: the call fails.
    fake.fail_next(CREATE, F.error(20016, "corpAccessToken error"), F.error(20016, "corpAccessToken error"))
    confirm(app, world, "500")
    run_worker(app)
    last = rows(app, world)[-1]
    assert fake.count(F.TOKEN_PATH) == 3 and last.state == "failed" and "20016" in last.last_error
    assert fake.violations == []


def test_a_duplicate_event_creates_one_record(app, world):
    from core.events import emit
    from plugins.subscription.events import PaymentConfirmed
    payment_id = confirm(app, world, "1000")
    with app.app_context(), tenant(world["group"]):  # the same event delivered again
        emit(PaymentConfirmed(group_id=world["group"], project_id=world["project"],
                              subscription_id=world["subscription"], payment_id=payment_id, amount="1000.00",
                              paid_total="1000.00"))
        db.session.commit()
    run_worker(app)
    run_worker(app)
    assert len(rows(app, world)) == 1 and len(world["fake"].payments()) == 1
    assert world["fake"].count(CREATE) == 1


def test_a_reversal_updates_the_same_payment_obj(app, world):
    fake = world["fake"]
    payment_id = confirm(app, world, "2000.50")
    run_worker(app)
    data_id = rows(app, world)[0].data_id
    reverse(app, world, payment_id, "重复录入")
    run_worker(app)
    [row] = rows(app, world)
    assert (row.state, row.reversed, row.data_id, row.revision, row.synced_revision) == ("synced", True, data_id, 2, 2)
    [obj] = fake.payments()
    assert obj["_id"] == data_id and obj["payment_amount"] == "0.00" and "已冲销，原金额 2000.50" in obj["remark"]
    assert fake.count(CREATE) == 1 and fake.bodies(UPDATE)[0]["data"]["object_data"]["_id"] == data_id


def test_a_5xx_then_success_is_delivered_once_after_the_real_backoff(app, world):
    fake = world["fake"]
    fake.fail_next(CREATE, 502)
    confirm(app, world, "3000")
    run_worker(app)
    [row] = rows(app, world)
    assert row.state == "pending" and row.attempts == 1 and "HTTP 502" in row.last_error
    wait = (row.next_attempt_at - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds()
    assert 25 < wait <= 30  # the first backoff step: 30 s
    [(delay, kwargs)] = scheduled()
    assert 25 < delay <= 30 and kwargs == {"ids": [row.id]}
    run_due_now(app)
    [row] = rows(app, world)
    assert row.state == "synced" and row.attempts == 2 and len(fake.payments()) == 1


def test_the_backoff_grows_then_the_row_fails_for_the_admin(app, world):
    fake = world["fake"]
    fake.fail_next(CREATE, *[503] * 6)
    confirm(app, world, "10")
    run_worker(app)
    waits = []
    for _ in range(5):
        [(delay, _kwargs)] = scheduled()
        waits.append(round(delay / 10) * 10)
        run_due_now(app)
    assert waits == [30, 120, 600, 1800, 3600]
    [row] = rows(app, world)
    assert row.state == "failed" and row.attempts == 6 and scheduled() == []
    with app.app_context(), tenant(world["group"]):
        notice = db.session.scalar(db.select(Notice).where(Notice.title.like("CRM 回款同步失败%")))
        assert notice is not None and "HTTP 503" in notice.body


def test_an_answer_lost_in_a_timeout_is_found_again_not_created_twice(app, world):
    fake = world["fake"]
    fake.answer_late(CREATE, 4.0)  # the CRM creates it; our 3 s read timeout gives up first
    confirm(app, world, "777")
    run_worker(app)
    [row] = rows(app, world)
    assert row.state == "pending" and row.data_id == "" and "超时" in row.last_error
    run_due_now(app)
    [row] = rows(app, world)
    [obj] = fake.payments()
    assert row.state == "synced" and row.data_id == obj["_id"]
    assert fake.count(CREATE) == 1 and fake.count(UPDATE) == 1  # found by its remark, then brought up to date
    assert fake.bodies(QUERY)[0]["data"]["search_query_info"]["filters"][0]["operator"] == "STARTWITH"


def test_a_validation_error_is_reported_on_its_row_and_the_others_go_through(app, world):
    fake = world["fake"]
    confirm(app, world, "100")
    fake.fail_next(CREATE, None)  # the first goes through
    fake.fail_next(CREATE, F.error(320002500, "客户名称关联关系不存在"))
    confirm(app, world, "200")
    confirm(app, world, "300")
    run_worker(app)
    states = [(r.amount, r.state, r.last_error) for r in rows(app, world)]
    assert states[0][:2] == (Decimal("100.00"), "synced") and states[2][:2] == (Decimal("300.00"), "synced")
    assert states[1] == (Decimal("200.00"), "failed", "CRM: 客户名称关联关系不存在 (320002500)")
    admin = login(app.test_client(), world["admin"])
    page = admin.get("/crm/?state=failed").get_data(as_text=True)
    assert "客户名称关联关系不存在 (320002500)" in page and "重新同步" in page and "200.00" in page
    # Once the admin fixed it in the CRM, 重新同步 delivers it.
    failed = rows(app, world)[1]
    from tests.conftest import post
    post(admin, f"/crm/payments/{failed.id}/resync")
    run_worker(app)
    assert [r.state for r in rows(app, world)] == ["synced"] * 3 and len(fake.payments()) == 3


def test_a_wrong_amount_is_refused_by_the_fake_as_by_the_crm(app, world):
    """The fake checks what it is sent: an account that does not exist is refused (so a client sending
    nonsense cannot pass its tests)."""
    fake = world["fake"]
    fake.accounts.clear()
    confirm(app, world, "1")
    run_worker(app)
    [row] = rows(app, world)
    assert row.state == "failed" and "320002500" in row.last_error and fake.payments() == []


def test_a_disabled_module_sends_nothing(app, world):
    fake = world["fake"]
    with app.app_context(), tenant(world["group"]):
        disable(world["group"], "crm")
        db.session.commit()
    confirm(app, world, "5000")
    run_worker(app)
    assert rows(app, world) == [] and fake.calls == []
    # A job already queued when the module was turned off is refused when it runs.
    confirm(app, world, "6000", group="b_group", subscription="b_subscription")
    with app.app_context(), tenant(world["b_group"]):
        disable(world["b_group"], "crm")
        db.session.commit()
    run_worker(app)
    assert fake.calls == [] and [r.state for r in rows(app, world, group="b_group")] == ["pending"]


def test_each_company_syncs_only_its_own(app, world):
    confirm(app, world, "1")
    confirm(app, world, "2", group="b_group", subscription="b_subscription")
    run_worker(app)
    assert [r.amount for r in rows(app, world)] == [Decimal("1.00")]
    assert [r.amount for r in rows(app, world, group="b_group")] == [Decimal("2.00")]
    assert len(world["fake"].payments()) == 2


def test_refund_and_payouts_are_recorded_as_negative_payments(app, world):
    from core.declarations import Event
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class DistributionPaid(Event):  # the distribution module's event, as it reaches a plugin
        project_id: int
        batch_id: int
        user_ids: tuple
        amounts: tuple

    from core.events import emit
    with app.app_context(), tenant(world["group"]):
        emit(DistributionPaid(group_id=world["group"], project_id=world["project"], batch_id=7,
                              user_ids=(world["partner"],), amounts=("1500.25",)))
        db.session.commit()
    run_worker(app)
    [row] = rows(app, world)
    assert (row.kind, row.amount, row.key, row.state) == ("payout", Decimal("-1500.25"), f"D7-{world['partner']}",
                                                          "synced")
    assert world["fake"].payments()[0]["payment_amount"] == "-1500.25"
    # 退款 of an overpayment (subscription's, and the adjustment rounds' through it): a negative payment.
    from plugins.subscription import payments
    from plugins.subscription.models import Subscription
    confirm(app, world, "30500")
    with app.app_context(), tenant(world["group"]):
        refund = payments.refund(db.session.get(Subscription, world["subscription"]), dt.date(2026, 11, 21),
                                 Decimal("500.00"), "test")
        db.session.commit()
        refund_id = refund.id
    run_worker(app)
    paid, refunded = rows(app, world)[1:]
    assert (paid.kind, paid.amount, refunded.kind, refunded.amount, refunded.key) == (
        "payment", Decimal("30500.00"), "refund", Decimal("-500.00"), f"P{refund_id}")
    assert [o["payment_amount"] for o in world["fake"].payments()] == ["-1500.25", "30500.00", "-500.00"]
    assert "| 退款" in world["fake"].payments()[2]["remark"]


def test_a_second_job_for_a_row_being_sent_sends_nothing_until_its_lease_runs_out(app, world):
    """Two jobs for one row (a sweep, a retry and a resync crossing): the one that did not claim it
    sends nothing; a worker that died holding it loses it after the lease."""
    from core.jobs import enqueue
    from core.models.user import utcnow
    from plugins.crm.models import CrmPayment
    fake = world["fake"]
    confirm(app, world, "10")
    [row] = rows(app, world)
    with app.app_context(), tenant(world["group"]):  # another worker holds it now
        db.session.execute(db.update(CrmPayment).values(state="sending", claimed_at=utcnow(), attempts=1))
        db.session.commit()
    run_worker(app)
    assert fake.calls == [] and rows(app, world)[0].state == "sending"
    with app.app_context(), tenant(world["group"]):  # that worker died 6 minutes ago
        db.session.execute(db.update(CrmPayment).values(claimed_at=utcnow() - dt.timedelta(minutes=6)))
        enqueue(services.SYNC_JOB, world["group"], ids=[row.id])
        db.session.commit()
    run_worker(app)
    [row] = rows(app, world)
    assert row.state == "synced" and row.attempts == 2 and fake.count(CREATE) == 1


def test_two_worker_processes_send_each_payment_once_and_share_one_token(app, world):
    """Twelve payments, each job queued twice (a sweep crossing the first), two worker processes at once:
    twelve PaymentObjs, one token call (the other worker waits for it), never two token calls at once."""
    from core.jobs import enqueue
    from plugins.crm.tests.conftest import run_worker_processes
    fake = world["fake"]
    fake.answer_late(F.TOKEN_PATH, 0.5)
    for n in range(12):
        confirm(app, world, f"{100 + n}")
    with app.app_context(), tenant(world["group"]):
        for row in rows(app, world):
            enqueue(services.SYNC_JOB, world["group"], ids=[row.id])
        db.session.commit()
    outputs = run_worker_processes(2)
    assert [r.state for r in rows(app, world)] == ["synced"] * 12, outputs
    assert fake.count(CREATE) == 12 and len(fake.payments()) == 12
    assert sorted(o["payment_amount"] for o in fake.payments()) == [f"{100 + n}.00" for n in range(12)]
    assert fake.count(F.TOKEN_PATH) == 1 and fake.violations == []
    assert all("Traceback" not in output for output in outputs), outputs


def test_the_crms_rate_limit_codes_reschedule_without_counting_an_attempt(app, world):
    fake = world["fake"]
    fake.fail_next(CREATE, F.error(14001, "calls too frequent"))
    confirm(app, world, "1")
    run_worker(app)
    [row] = rows(app, world)
    assert (row.state, row.attempts) == ("pending", 0) and "14001" in row.last_error
    [(delay, _kwargs)] = scheduled()
    assert 15 < delay <= 20  # the CRM counts 100 calls per 20 s
    fake.fail_next(CREATE, F.error(30002, "daily quota exceeded"))
    run_due_now(app, fake)
    [row] = rows(app, world)
    [(delay, _kwargs)] = scheduled()
    assert (row.state, row.attempts) == ("pending", 0) and 3500 < delay <= 3600  # the daily quota: an hour
    run_due_now(app, fake)
    assert rows(app, world)[0].state == "synced" and len(fake.payments()) == 1


def test_a_batch_over_the_limits_is_split_into_jobs_and_windows(app, world):
    """150 partners paid out: jobs of at most 100 rows; the CRM's 100 calls per 20 s never exceeded (the
    rest wait for the window, no attempt counted), then every one is sent once."""
    from core.events import emit
    from core.declarations import Event
    import dataclasses
    from tests.factories import make_user
    from core import roles

    @dataclasses.dataclass(frozen=True)
    class DistributionPaid(Event):
        project_id: int
        batch_id: int
        user_ids: tuple
        amounts: tuple

    fake = world["fake"]
    with app.app_context(), tenant(world["group"]):
        users = [make_user(f"crm_p{n}", [roles.PARTNER]).id for n in range(150)]
        emit(DistributionPaid(group_id=world["group"], project_id=world["project"], batch_id=3,
                              user_ids=tuple(users), amounts=tuple(f"{n}.01" for n in range(150))))
        db.session.commit()
    from plugins.crm.tests.conftest import rq_queue
    assert sorted(len(job.args[2]["ids"]) for job in rq_queue().jobs) == [50, 100]
    run_worker(app)
    states = [r.state for r in rows(app, world)]
    assert states.count("synced") == 100 and states.count("pending") == 50
    assert {r.attempts for r in rows(app, world) if r.state == "pending"} == {0}
    assert all(0 < delay <= 20 for delay, _kwargs in scheduled())
    run_due_now(app, fake)
    assert [r.state for r in rows(app, world)] == ["synced"] * 150
    assert fake.count(CREATE) == 150 and len(fake.payments()) == 150


def test_a_token_call_that_fails_brings_the_rows_back_after_the_backoff(app, world):
    fake = world["fake"]
    fake.fail_next(F.TOKEN_PATH, 503)
    confirm(app, world, "42")
    run_worker(app)
    [row] = rows(app, world)
    assert (row.state, row.attempts) == ("pending", 1) and fake.count(CREATE) == 0
    [(delay, kwargs)] = scheduled()
    assert 25 < delay <= 30 and kwargs == {"ids": [row.id]}
    run_due_now(app, fake)
    assert rows(app, world)[0].state == "synced" and fake.count(CREATE) == 1


def test_a_row_not_yet_due_is_left_to_its_own_time(app, world):
    """A job holding two rows, one of them waiting for its backoff: it sends the due one and comes back
    for the other when it is due."""
    from core.jobs import enqueue
    from core.models.user import utcnow
    from plugins.crm.models import CrmPayment
    fake = world["fake"]
    fake.fail_next(CREATE, 500)
    confirm(app, world, "1")
    run_worker(app)
    confirm(app, world, "2")
    [waiting, fresh] = rows(app, world)
    with app.app_context(), tenant(world["group"]):
        db.session.execute(db.update(CrmPayment).where(CrmPayment.id == waiting.id)
                           .values(next_attempt_at=utcnow() + dt.timedelta(seconds=90)))
        enqueue(services.SYNC_JOB, world["group"], ids=[waiting.id, fresh.id])
        db.session.commit()
    from plugins.crm.tests.conftest import rq_queue
    from rq.registry import ScheduledJobRegistry
    registry = ScheduledJobRegistry(queue=rq_queue())
    for job_id in registry.get_job_ids():
        registry.remove(job_id)  # the first retry's job is lost
    run_worker(app)
    assert [r.state for r in rows(app, world)] == ["pending", "synced"]
    assert [round(delay / 10) * 10 for delay, _kwargs in scheduled()] == [90]


def test_the_cli_queues_what_waits_and_on_request_what_failed(app, world):
    fake = world["fake"]
    fake.fail_next(CREATE, F.error(320002500, "客户名称关联关系不存在"))
    confirm(app, world, "1")
    run_worker(app)
    from plugins.crm.tests.conftest import redis_client
    redis_client().flushdb()  # every job lost (Redis emptied): the rows wait
    confirm(app, world, "2")
    redis_client().flushdb()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["gentou", "crm", "sync", "--company", "AAA"])
    assert result.exit_code == 0 and "queued 1 records" in result.output, result.output
    run_worker(app)
    assert [r.state for r in rows(app, world)] == ["failed", "synced"]
    result = runner.invoke(args=["gentou", "crm", "sync", "--company", "AAA", "--failed"])
    assert "queued 1 records" in result.output
    run_worker(app)
    assert [r.state for r in rows(app, world)] == ["synced", "synced"] and len(fake.payments()) == 2
    result = runner.invoke(args=["gentou", "crm", "sync", "--company", "NOPE"])
    assert result.exit_code != 0


def test_the_cli_retries_only_the_named_companys_failed_records(app, world):
    fake = world["fake"]
    fake.fail_next(CREATE, *[F.error(320002500, "客户名称关联关系不存在")] * 2)
    confirm(app, world, "1")
    confirm(app, world, "2", group="b_group", subscription="b_subscription")
    run_worker(app)
    result = app.test_cli_runner().invoke(args=["gentou", "crm", "sync", "--company", "AAA", "--failed"])
    assert "queued 1 records" in result.output
    run_worker(app)
    assert [r.state for r in rows(app, world)] == ["synced"]
    [other] = rows(app, world, group="b_group")
    assert (other.state, other.last_error) == ("failed", "CRM: 客户名称关联关系不存在 (320002500)")
