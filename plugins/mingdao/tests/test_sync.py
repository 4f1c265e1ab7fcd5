"""Projects and payments kept as rows of the fake 明道云's worksheets by jobs: once, per-row errors, retries."""
import time

import pytest
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from core.extensions import db
from core.jobs import JobRefused, perform
from core.models import Project
from core.models.user import utcnow
from core.modules import disable
from core.tenancy import tenant
from plugins.mingdao import services
from plugins.mingdao.models import MingdaoRecord
from plugins.mingdao.tests import fake_mingdao as F
from plugins.mingdao.tests.conftest import confirm_payment, queued, redis_client, run_worker
from tests.conftest import login

ADD, EDIT = "/v2/open/worksheet/addRow", "/v2/open/worksheet/editRow"


def records(app, group):
    with app.app_context(), tenant(group):
        return {(r.kind, r.code or r.object_id): r for r in db.session.scalars(db.select(MingdaoRecord))}


def test_a_project_is_added_once_then_edited_in_place(app, world):
    fake, group = world["fake"], world["group"]
    with app.app_context(), tenant(group):
        db.session.get(Project, world["project"]).name = "AAA项目（更名）"
        db.session.commit()
    [row] = fake.rows[F.PROJECTS].values()
    assert (row["p_code"], row["p_name"], row["p_land"], row["p_company"]) == (
        "AAA-P1", "AAA项目（更名）", "2019-10-21", "AAA城市公司")
    with app.app_context(), tenant(group):
        db.session.get(Project, world["project"]).name = "再次更名"
        db.session.commit()
    assert [r["p_name"] for r in fake.rows[F.PROJECTS].values()] == ["再次更名"]
    assert fake.count(ADD) == 1 and fake.count(EDIT) == 1
    assert records(app, group)[("project", "AAA-P1")].remote_id == row["rowid"]


def test_a_payment_event_delivered_twice_makes_one_row_and_a_reversal_edits_it(app, world):
    fake, group = world["fake"], world["group"]
    with app.app_context():
        payment_id = confirm_payment(group, world["project"], world["partner"], "12345.60", twice=True)
    [row] = fake.rows[F.PAYMENTS].values()
    assert (row["m_code"], row["m_amount"], row["m_paid_on"], row["m_kind"], row["m_state"], row["m_account"]) == (
        f"GT-PAY-{payment_id}", "12345.60", "2026-11-02", "缴款", "有效", "aaa_p")
    assert fake.count(ADD) == 1
    with app.app_context(), tenant(group):  # 冲销
        from plugins.subscription.events import PaymentReversed
        from plugins.subscription.models import Payment
        from core.events import emit
        payment = db.session.get(Payment, payment_id)
        payment.reversed_at, payment.reversed_by, payment.reversal_reason = utcnow(), "test", "录错"
        emit(PaymentReversed(group_id=group, project_id=world["project"], subscription_id=payment.subscription_id,
                             payment_id=payment_id, amount="12345.60", paid_total="0.00", reason="录错"))
        db.session.commit()
    assert [r["m_state"] for r in fake.rows[F.PAYMENTS].values()] == ["已冲销"]
    assert fake.count(ADD) == 1 and fake.count(EDIT) == 1


def test_a_validation_error_fails_its_row_only_and_is_shown(app, world):
    fake, group = world["fake"], world["group"]
    for control in fake.sheets[F.PROJECTS]["controls"]:
        if control["controlId"] == "p_land":
            control["required"] = True
    with app.app_context(), tenant(group):
        db.session.add(Project(code="NOLAND", name="未拿地项目", company_id=world["city"]))
        db.session.get(Project, world["project"]).name = "有拿地日期"
        db.session.commit()
    assert [r["p_code"] for r in fake.rows[F.PROJECTS].values()] == ["AAA-P1"]
    got = records(app, group)
    assert got[("project", "NOLAND")].state == "failed" and "拿地日期为必填" in got[("project", "NOLAND")].last_error
    assert got[("project", "AAA-P1")].state == "sent"
    page = login(app.test_client(), world["admin"]).get("/mingdao/").get_data(as_text=True)
    assert "拿地日期为必填" in page and "NOLAND" in page


def test_many_records_go_in_jobs_of_at_most_100(app, world):
    fake, group = world["fake"], world["group"]
    with app.app_context(), tenant(group):
        db.session.add_all(Project(code=f"B{n:03d}", name=f"批量{n}", company_id=world["city"]) for n in range(150))
        db.session.commit()
    # Paced under the fake's 50 calls a second: not one 429, every row added once.
    assert len(fake.rows[F.PROJECTS]) == 150 and fake.count(ADD) == 150
    assert {r.state for r in records(app, group).values()} == {"sent"}
    time.sleep(1.1)  # the calls above were paced in this process's window, those below in Redis's
    application = queued()
    with application.app_context(), tenant(group):
        services.resync(group)
        db.session.commit()
    jobs = Queue(application.config["RQ_QUEUE"], connection=redis_client()).jobs
    assert [len(j.args[2]["record_ids"]) for j in jobs] == [100, 51]  # 151 projects
    run_worker(application)
    assert {r.state for r in records(app, group).values()} == {"sent"}, [
        (r.code, r.last_error) for r in records(app, group).values() if r.state != "sent"]
    assert len(fake.rows[F.PROJECTS]) == 151 and fake.count(ADD) == 151  # the others edited, none added again


def test_a_5xx_is_retried_after_the_real_backoff_and_delivered_once(app, world):
    fake, group = world["fake"], world["group"]
    application = queued()
    fake.fail_next(ADD, 503)
    with application.app_context(), tenant(group):
        db.session.get(Project, world["project"]).name = "重试项目"
        db.session.commit()
    run_worker(application)
    assert fake.rows[F.PROJECTS] == {}
    got = records(app, group)[("project", "AAA-P1")]
    assert got.state == "pending" and "HTTP 503" in got.last_error
    registry = ScheduledJobRegistry(application.config["RQ_QUEUE"], connection=redis_client())
    [job_id] = registry.get_job_ids()
    assert 25 < registry.get_scheduled_time(job_id).timestamp() - time.time() <= 30  # backoff(1): 30 s
    job = Job.fetch(job_id, connection=redis_client())
    registry.remove(job)
    Queue(application.config["RQ_QUEUE"], connection=redis_client()).enqueue_job(job)
    run_worker(application)
    assert [r["p_name"] for r in fake.rows[F.PROJECTS].values()] == ["重试项目"]
    assert records(app, group)[("project", "AAA-P1")].state == "sent"


def test_a_busy_answer_backs_off_longer_each_attempt_then_fails(app, world):
    fake, group = world["fake"], world["group"]
    application = queued()
    busy = {"success": False, "error_code": 99999, "error_msg": "系统繁忙"}
    registry = ScheduledJobRegistry(application.config["RQ_QUEUE"], connection=redis_client())
    with application.app_context(), tenant(group):
        services.queue(group, services.PROJECT, [world["project"]])
        db.session.commit()
        record_id = db.session.scalar(db.select(MingdaoRecord.id))
    waits = []
    for attempt in range(1, 7):  # each attempt as the scheduled job would run it
        fake.fail_next(ADD, busy)
        with application.app_context():
            perform(services.PUSH_JOB, group, {"record_ids": [record_id], "attempt": attempt})
        scheduled = registry.get_job_ids()
        waits.append(round(registry.get_scheduled_time(scheduled[0]).timestamp() - time.time(), -1)
                     if scheduled else None)
        for job_id in scheduled:
            registry.remove(job_id)
    assert waits == [30, 120, 600, 1800, 3600, None]
    got = records(app, group)[("project", "AAA-P1")]
    assert got.state == "failed" and "系统繁忙" in got.last_error and fake.rows[F.PROJECTS] == {}


def test_an_answer_after_the_timeout_does_not_make_a_second_row(app, world):
    fake, group = world["fake"], world["group"]
    fake.answer_late(ADD, 9.0)  # the row is added; the answer comes after the client gave up
    with app.app_context(), tenant(group):
        db.session.get(Project, world["project"]).name = "超时项目"
        db.session.commit()
    got = records(app, group)[("project", "AAA-P1")]
    assert got.state == "pending" and "超时" in got.last_error and len(fake.rows[F.PROJECTS]) == 1
    with app.app_context():
        perform(services.PUSH_JOB, group, {"record_ids": [got.id], "attempt": 2})
    assert len(fake.rows[F.PROJECTS]) == 1 and fake.count(ADD) == 1 and fake.count(EDIT) == 1
    assert records(app, group)[("project", "AAA-P1")].state == "sent"


def test_a_bad_sign_stops_every_row_with_the_reason(app, world):
    fake, group = world["fake"], world["group"]
    from plugins.mingdao.tests.conftest import configure
    with app.app_context(), tenant(group):
        configure(group, fake.url, sign="wrong-" + F.SIGN)
        db.session.get(Project, world["project"]).name = "签名错"
        db.session.commit()
    got = records(app, group)[("project", "AAA-P1")]
    assert got.state == "failed" and "sign 不正确" in got.last_error and F.SIGN not in got.last_error


def test_a_disabled_module_sends_nothing(app, world):
    fake, group = world["fake"], world["group"]
    with app.app_context(), tenant(group):
        disable(group, "mingdao")
        db.session.get(Project, world["project"]).name = "停用后更名"
        db.session.commit()
        confirm_payment(group, world["project"], world["partner"], "100.00")
        assert db.session.scalars(db.select(MingdaoRecord)).all() == []
    with app.app_context(), pytest.raises(JobRefused):
        perform(services.PUSH_JOB, group, {"record_ids": [1]})
    result = app.test_cli_runner().invoke(args=["gentou", "mingdao", "resync", "--company", "AAA"])
    assert result.exit_code != 0 and "not enabled" in result.output
    assert fake.calls == []


def test_reconcile_reads_every_page_and_reports_what_differs(app, world):
    fake, group = world["fake"], world["group"]
    result = app.test_cli_runner().invoke(args=["gentou", "mingdao", "resync", "--company", "AAA"])
    assert result.exit_code == 0 and "queued 1 records" in result.output
    [row] = fake.rows[F.PROJECTS].values()
    row["p_name"] = "明道云里改过"
    fake.rows[F.PROJECTS].update({f"x{n}": {"rowid": f"x{n}", "p_code": f"X{n:04d}"} for n in range(1100)})
    admin = login(app.test_client(), world["admin"])
    from tests.conftest import post
    post(admin, "/mingdao/reconcile")
    body = __import__("json").loads(records and _report(app, group))
    assert body["project"]["differs"] == [{"code": "AAA-P1", "fields": ["name"]}]
    assert len(body["project"]["extra"]) == 1100 and body["payment"] == body["payout"] == {
        "missing": [], "extra": [], "differs": [], "ours": 0, "theirs": 0}  # payouts too, the distribution module absent
    assert [b["pageIndex"] for b in fake.bodies("/v2/open/worksheet/getFilterRows")
            if b["worksheetId"] == F.PROJECTS and not b["filters"]] == [1, 2]
    assert "AAA-P1（name）" in admin.get("/mingdao/").get_data(as_text=True)


def _report(app, group):
    from plugins.mingdao.models import MingdaoReport
    with app.app_context(), tenant(group):
        report = db.session.scalar(db.select(MingdaoReport))
        assert report.state == "done", report.body
        return report.body
