"""Projects and partners pushed to the fake 合思 by jobs: once, ≤ 100 a call, per-row errors, retries."""
import datetime as dt
import time

import pytest
from rq.registry import ScheduledJobRegistry

from core import roles
from core.extensions import db
from core.jobs import JobRefused, perform
from core.models import Project, User
from core.modules import disable
from core.tenancy import tenant
from plugins.ekuaibao import services
from plugins.ekuaibao.models import EkuaibaoRecord
from plugins.ekuaibao.tests import fake_ekuaibao as F
from plugins.ekuaibao.tests.conftest import queued, redis_client, run_worker
from tests.conftest import login
from tests.factories import make_user

ADD = "/api/openapi/v2.1/datalink/add"


def records(app, group):
    with app.app_context(), tenant(group):
        return {(r.kind, r.code or r.object_id): r for r in db.session.scalars(db.select(EkuaibaoRecord))}


def test_a_changed_project_and_a_new_partner_are_pushed_after_the_commit(app, world):
    fake, group = world["fake"], world["group"]
    with app.app_context(), tenant(group):
        db.session.get(Project, world["project"]).name = "AAA项目（更名）"
        make_user("aaa_p2", [roles.PARTNER], name="新合伙人")
        db.session.commit()
    project = fake.instances[F.PROJECT_ENTITY]["AAA-P1"]
    assert project["name"] == "AAA项目（更名）" and project["active"] is True
    # The land date as the ms-epoch of its midnight in China, as a string.
    assert project["form"][f"E_{F.PROJECT_ENTITY}_landAcquiredOn"] == str(int(
        dt.datetime(2019, 10, 21, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp() * 1000))
    assert set(fake.instances[F.PARTNER_ENTITY]) == {"aaa_p2"}
    body = fake.bodies(ADD)[0]
    assert body["importPart"] is False and body["dataLinks"][0]["disabled"] is False
    assert {q["editFlag"] for q in fake.queries(ADD)} == {"cover"}
    got = records(app, group)
    assert got[("project", "AAA-P1")].state == "sent" and got[("project", "AAA-P1")].remote_id.startswith("DL")
    # A partner who left (account deactivated) is disabled in 合思, not deleted.
    with app.app_context(), tenant(group):
        db.session.scalar(db.select(User).where(User.username == "aaa_p2")).active = False
        db.session.commit()
    assert fake.instances[F.PARTNER_ENTITY]["aaa_p2"]["active"] is False
    # A sign-in (last_login_at) changes nothing that is mirrored: no job, no call.
    calls = len(fake.calls)
    with app.app_context(), tenant(group):
        db.session.scalar(db.select(User).where(User.username == "aaa_p2")).failed_logins = 1
        db.session.commit()
    assert len(fake.calls) == calls


def test_money_goes_as_two_places_and_unknown_fields_are_not_sent(app, world):
    assert services.money(__import__("decimal").Decimal("12.345")) == "12.35"
    assert services.money(__import__("decimal").Decimal("10")) == "10.00"
    with app.app_context():
        entity = world["fake"].entities[F.PARTNER_ENTITY]
        item = services.data_link(entity, {"name": "张三", "code": "z", "company": "不存在的字段", "mobile": ""})
    assert item["data"] == {f"E_{F.PARTNER_ENTITY}_name": "张三", f"E_{F.PARTNER_ENTITY}_code": "z"}


def test_a_batch_over_100_is_split_and_every_row_arrives(app, world):
    fake, group = world["fake"], world["group"]
    with app.app_context(), tenant(group):
        db.session.add_all(Project(code=f"B{n:03d}", name=f"批量项目{n}", company_id=world["city"])
                           for n in range(230))
        db.session.commit()
    sizes = [len(b["dataLinks"]) for b in fake.bodies(ADD)]
    assert max(sizes) <= 100 and sum(sizes) == 230 and len(sizes) == 3
    assert len(fake.instances[F.PROJECT_ENTITY]) == 230
    with app.app_context(), tenant(group):
        assert services.resync(group) == 232  # every project and the partner, sent again
        db.session.commit()
    sizes = [len(b["dataLinks"]) for b in fake.bodies(ADD)]
    assert max(sizes) <= 100 and sum(sizes) == 230 + 232
    assert len(fake.instances[F.PROJECT_ENTITY]) == 231  # upserted by code: no copy


def test_a_validation_error_is_recorded_for_its_row_and_shown_while_the_others_go(app, world):
    fake, group = world["fake"], world["group"]
    for field in fake.entities[F.PARTNER_ENTITY]["fields"]:
        if field["name"].endswith("_mobile"):
            field["optional"] = False
    with app.app_context(), tenant(group):
        make_user("aaa_p2", [roles.PARTNER], name="有手机")
        db.session.scalar(db.select(User).where(User.username == "aaa_p2")).mobile = "13800000002"
        make_user("aaa_p3", [roles.PARTNER], name="无手机")
        db.session.commit()
    assert set(fake.instances[F.PARTNER_ENTITY]) == {"aaa_p2"}
    got = records(app, group)
    assert got[("partner", "aaa_p3")].state == "failed"
    assert got[("partner", "aaa_p3")].last_error == "第2条数据导入失败：手机号不能为空"
    page = login(app.test_client(), world["admin"]).get("/ekuaibao/").get_data(as_text=True)
    assert "第2条数据导入失败：手机号不能为空" in page and "aaa_p3" in page


def test_a_5xx_is_retried_after_the_real_backoff_and_delivered_once(app, world):
    fake, group = world["fake"], world["group"]
    application = queued()
    fake.fail_next(ADD, 502)
    with application.app_context(), tenant(group):
        db.session.get(Project, world["project"]).name = "重试项目"
        db.session.commit()
    run_worker(application)
    assert fake.count(ADD) == 1 and fake.instances[F.PROJECT_ENTITY] == {}
    got = records(app, group)[("project", "AAA-P1")]
    assert got.state == "pending" and "HTTP 502" in got.last_error
    registry = ScheduledJobRegistry(application.config["RQ_QUEUE"], connection=redis_client())
    [job_id] = registry.get_job_ids()
    wait = registry.get_scheduled_time(job_id).timestamp() - time.time()
    assert 25 < wait <= 30  # backoff(1): 30 s, as in production
    job = application.extensions.get("rq_job_class", None)
    from rq.job import Job
    job = Job.fetch(job_id, connection=redis_client())
    assert job.args[2]["attempt"] == 2
    registry.remove(job)
    from rq import Queue
    Queue(application.config["RQ_QUEUE"], connection=redis_client()).enqueue_job(job)  # its time has come
    run_worker(application)
    assert fake.count(ADD) == 2 and fake.instances[F.PROJECT_ENTITY]["AAA-P1"]["name"] == "重试项目"
    assert records(app, group)[("project", "AAA-P1")].state == "sent"


def test_an_answer_after_the_timeout_is_retried_without_a_copy(app, world):
    fake, group = world["fake"], world["group"]
    fake.answer_late(ADD, 9.0)  # it takes effect; the answer comes after the client gave up
    with app.app_context(), tenant(group):
        db.session.get(Project, world["project"]).name = "超时项目"
        db.session.commit()
    got = records(app, group)[("project", "AAA-P1")]
    assert got.state == "pending" and "超时" in got.last_error
    with app.app_context():
        perform(services.PUSH_JOB, group, {"record_ids": [got.id], "attempt": 2})
    assert len(fake.instances[F.PROJECT_ENTITY]) == 1 and records(app, group)[("project", "AAA-P1")].state == "sent"


def test_a_duplicate_event_sends_once(app, world):
    fake, group = world["fake"], world["group"]
    for _ in range(2):
        with app.app_context(), tenant(group):
            services.queue(group, services.PROJECT, [world["project"]])
            db.session.commit()
    assert fake.items_sent() == 1 and len(fake.instances[F.PROJECT_ENTITY]) == 1
    with app.app_context():
        record = records(app, group)[("project", "AAA-P1")]
        perform(services.PUSH_JOB, group, {"record_ids": [record.id]})  # the same job delivered twice
    assert fake.items_sent() == 1


def test_a_permanent_error_stops_with_the_reason_shown(app, world):
    fake, group = world["fake"], world["group"]
    fake.entities[F.PROJECT_ENTITY]["active"] = False
    with app.app_context(), tenant(group):
        services.queue(group, services.PROJECT, [world["project"]])
        db.session.commit()
    got = records(app, group)[("project", "AAA-P1")]
    assert got.state == "failed" and "业务对象已停用" in got.last_error and fake.count(ADD) == 1


def test_a_disabled_module_sends_nothing(app, world):
    fake, group = world["fake"], world["group"]
    with app.app_context(), tenant(group):
        disable(group, "ekuaibao")
        db.session.get(Project, world["project"]).name = "停用后更名"
        make_user("aaa_p9", [roles.PARTNER])
        db.session.commit()
        assert db.session.scalars(db.select(EkuaibaoRecord)).all() == []
    with app.app_context(), pytest.raises(JobRefused):
        perform(services.PUSH_JOB, group, {"record_ids": [1]})
    result = app.test_cli_runner().invoke(args=["gentou", "ekuaibao", "resync", "--company", "AAA"])
    assert result.exit_code != 0 and "not enabled" in result.output
    assert fake.calls == []
    # The other company, still enabled, goes on.
    with app.app_context(), tenant(world["b_group"]):
        services.resync(world["b_group"])
        db.session.commit()
    assert set(fake.instances[F.PROJECT_ENTITY]) == {"BBB-P1"}


def test_cli_resync_pushes_everything(app, world):
    result = app.test_cli_runner().invoke(args=["gentou", "ekuaibao", "resync", "--company", "AAA"])
    assert result.exit_code == 0, result.output
    assert "queued 2 records" in result.output
    fake = world["fake"]
    assert set(fake.instances[F.PROJECT_ENTITY]) == {"AAA-P1"} and set(fake.instances[F.PARTNER_ENTITY]) == {"aaa_p"}
