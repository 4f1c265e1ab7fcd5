"""OA approvals: a process starts a DingTalk instance in a job; the encrypted event callback decides it once."""
import logging
import urllib.parse

import sqlalchemy as sa

from core.extensions import db
from core.models import AuditLog, InboxMessage, User
from core.modules import disable
from core.processes.models import ProcessCallback, ProcessInstance
from core.tenancy import tenant
from plugins.dingtalk.services import bind, unbind
from plugins.dingtalk.tests.conftest import configure, queued, rq_queue, run_worker
from plugins.dingtalk.tests.fake_dingtalk import AGENT_ID, CORP_ID, FakeDingTalk
from tests.conftest import login, post

CREATE = "/topapi/processinstance/create"


def start(client, world, code, data=None):
    return post(client, f"/processes/projects/{world['project']}/start/{code}", data or {},
                content_type="multipart/form-data")


def instances(app, world):
    with app.app_context(), tenant(world["group"]):
        return db.session.scalars(sa.select(ProcessInstance).order_by(ProcessInstance.id)).all()


def callback(client, event, group="AAA", envelope=None, **changes):
    query, body = envelope or FakeDingTalk.envelope(event)
    return client.post(f"/dingtalk/g/{group}/callback?" + urllib.parse.urlencode({**query, **changes}), json=body)


def finish(pid, result="agree", kind="finish"):
    return {"EventType": "bpms_instance_change", "processInstanceId": pid, "type": kind, "result": result,
            "corpId": CORP_ID, "title": "离职退休测算", "processCode": "PROC-PEAK"}


def counts(app, world):
    with app.app_context(), tenant(world["group"]):
        return [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in
                (AuditLog, ProcessCallback, InboxMessage)]


def test_a_start_makes_no_call_in_the_request_and_the_job_creates_the_instance(app, world):
    fake, live = world["fake"], queued()
    kj = login(live.test_client(), world["accountant"])
    assert start(kj, world, "ledger_calc", {"description": "请审批测算"}).status_code == 302
    [calc] = instances(live, world)
    assert (calc.provider, calc.external_id) == ("dingtalk", "") and fake.calls == []
    run_worker(live)
    [calc] = instances(live, world)
    [(pid, body)] = fake.instances.items()
    assert calc.external_id == pid
    assert body == {"agent_id": AGENT_ID, "process_code": "PROC-PEAK", "originator_user_id": "dt-aaa_kj",
                    "dept_id": 1, "form_component_values": [{"name": "项目", "value": "AAA项目"},
                                                            {"name": "情况说明", "value": "请审批测算"}]}
    page = kj.get(f"/processes/{calc.id}").get_data(as_text=True)
    assert f"procInstId={pid}" in page and "查看BPM" in page


def test_the_form_carries_the_kinds_fields_by_label(app, world):
    fake = world["fake"]
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], fake.url, process_codes="ledger_calc=PROC-PEAK, ledger_exit=PROC-PEAK")
        db.session.commit()
    kj = login(app.test_client(), world["accountant"])
    start(kj, world, "ledger_calc")
    assert callback(app.test_client(), finish(instances(app, world)[0].external_id)).status_code == 200
    assert start(kj, world, "ledger_exit", {"amount": "1,234.50", "ratio": "12.5", "planned_on": "2030-01-31"}
                 ).status_code == 302
    exit_body = fake.bodies(CREATE)[-1]
    assert exit_body["form_component_values"] == [
        {"name": "项目", "value": "AAA项目"}, {"name": "项目名称", "value": "AAA项目"},
        {"name": "本次分配金额", "value": "1234.50"}, {"name": "本次分配比例", "value": "12.500"},
        {"name": "预计分配时间", "value": "2030-01-31"}, {"name": "情况说明", "value": "-"}]


def test_finish_approves_once_announces_it_and_a_replay_changes_nothing(app, world):
    fake, client = world["fake"], app.test_client()
    start(login(app.test_client(), world["accountant"]), world, "ledger_calc")
    pid = instances(app, world)[0].external_id
    envelope = FakeDingTalk.envelope(finish(pid))
    response = callback(client, None, envelope=envelope)
    assert response.status_code == 200
    assert FakeDingTalk.open_reply(response.get_json()) == ("success", CORP_ID)
    [calc] = instances(app, world)
    assert (calc.state, calc.decided_by, calc.result_comment) == ("approved", "钉钉审批", "钉钉审批同意")
    assert [m["markdown"]["title"] for m in fake.robot_messages] == ["AAA项目：离职退休测算完成"]
    before = counts(app, world)
    for again in (envelope, FakeDingTalk.envelope(finish(pid, "refuse"))):  # the same post, and a resend
        response = callback(client, None, envelope=again)
        assert response.status_code == 200 and FakeDingTalk.open_reply(response.get_json())[0] == "success"
    assert counts(app, world) == before and before[1] == 1
    assert instances(app, world)[0].state == "approved" and len(fake.robot_messages) == 1


def test_refuse_and_terminate_reject(app, world):
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], world["fake"].url, process_codes="ledger_calc=PROC-PEAK,ledger_disclosure=PROC-PEAK")
        db.session.commit()
    kj = login(app.test_client(), world["accountant"])
    start(kj, world, "ledger_calc")
    start(kj, world, "ledger_disclosure")
    calc, disclosure = instances(app, world)
    callback(app.test_client(), finish(calc.external_id, "refuse"))
    callback(app.test_client(), finish(disclosure.external_id, kind="terminate"))
    calc, disclosure = instances(app, world)
    assert (calc.state, calc.result_comment) == ("rejected", "钉钉审批拒绝")
    assert (disclosure.state, disclosure.result_comment) == ("rejected", "钉钉审批已撤销")


def test_a_bad_signature_a_wrong_key_or_owner_is_refused_and_logged(app, world, caplog):
    start(login(app.test_client(), world["accountant"]), world, "ledger_calc")
    pid = instances(app, world)[0].external_id
    before = counts(app, world)
    other_key = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
    with caplog.at_level(logging.WARNING, logger="gentou.dingtalk"):
        assert callback(app.test_client(), finish(pid), signature="0" * 40).status_code == 403
        assert callback(app.test_client(), finish(pid), signature="").status_code == 403
        assert callback(app.test_client(), None, envelope=FakeDingTalk.envelope(
            finish(pid), token="not-our-token")).status_code == 403
        assert callback(app.test_client(), None, envelope=FakeDingTalk.envelope(
            finish(pid), aes_key=other_key)).status_code == 403
        assert callback(app.test_client(), None, envelope=FakeDingTalk.envelope(
            finish(pid), owner="dingsomeoneelse")).status_code == 403
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 5 and "bad signature" in refusals[0] and "meant for 'dingsomeoneelse'" in refusals[4]
    assert instances(app, world)[0].state == "running" and counts(app, world) == before


def test_another_companys_url_or_a_disabled_module_changes_nothing(app, world):
    start(login(app.test_client(), world["accountant"]), world, "ledger_calc")
    pid = instances(app, world)[0].external_id
    response = callback(app.test_client(), finish(pid), group="BBB")  # BBB has the same keys in this test
    assert response.status_code == 200 and instances(app, world)[0].state == "running"
    with app.app_context():
        disable(world["group"], "dingtalk")
        db.session.commit()
    assert callback(app.test_client(), finish(pid)).status_code == 404
    assert instances(app, world)[0].state == "running"


def test_a_kind_without_a_template_stays_in_the_app(app, world):
    kj = login(app.test_client(), world["accountant"])
    start(kj, world, "ledger_disclosure")
    [disclosure] = instances(app, world)
    assert (disclosure.provider, disclosure.external_id) == ("inapp", "")
    assert world["fake"].count(CREATE) == 0
    page = post(login(app.test_client(), world["hh"]), f"/processes/{disclosure.id}/decide",
                {"decision": "approve", "comment": "同意"}, follow_redirects=True).get_data(as_text=True)
    assert "已审批" in page and instances(app, world)[0].state == "approved"


def test_an_unbound_initiator_or_unknown_template_falls_back_to_the_app_and_says_why(app, world):
    fake = world["fake"]
    with app.app_context(), tenant(world["group"]):
        unbind(db.session.get(User, world["accountant_id"]))
        configure(world["group"], fake.url, process_codes="ledger_calc=PROC-PEAK,ledger_disclosure=PROC-GONE")
        db.session.commit()
    kj = login(app.test_client(), world["accountant"])
    start(kj, world, "ledger_calc")
    with app.app_context(), tenant(world["group"]):
        bind(db.session.get(User, world["accountant_id"]), "dt-aaa_kj", "test")
        db.session.commit()
    start(kj, world, "ledger_disclosure")
    calc, disclosure = instances(app, world)
    assert (calc.provider, disclosure.provider) == ("inapp", "inapp") and fake.instances == {}
    inbox = kj.get("/me/messages").get_data(as_text=True)
    assert "离职退休测算未能在钉钉发起" in inbox and "披露未能在钉钉发起" in inbox
    with app.app_context(), tenant(world["group"]):
        reasons = db.session.scalars(sa.select(AuditLog.after).where(AuditLog.action == "fallback")
                                     .order_by(AuditLog.id)).all()
    assert reasons == [{"reason": "发起人未绑定钉钉账号"}, {"reason": "审批模板不存在 (820001)"}]


def test_dingtalk_unreachable_retries_the_creation_later(app, world):
    fake, live = world["fake"], queued()
    fake.fail_next(CREATE, 503)
    start(login(live.test_client(), world["accountant"]), world, "ledger_calc")
    run_worker(live)
    [calc] = instances(live, world)
    assert (calc.provider, calc.external_id) == ("dingtalk", "") and fake.count(CREATE) == 1
    assert rq_queue().scheduled_job_registry.count == 1


def test_the_url_check_event_is_answered(app, world):
    response = callback(app.test_client(), {"EventType": "check_url"})
    assert response.status_code == 200 and FakeDingTalk.open_reply(response.get_json()) == ("success", CORP_ID)

