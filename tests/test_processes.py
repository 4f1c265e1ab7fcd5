"""Approval processes (流程/项目流程) and review (送审/审核), through the web as each role."""
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import AuditLog, InboxMessage
from core.processes.models import Attachment, ProcessInstance
from core.tenancy import tenant
from tests.conftest import login, post
from tests.factories import make_tenant
from tests.sample_plugins.ledger.hooks import RECEIVED
from tests.sample_plugins.ledger.models import LedgerEntry


@pytest.fixture(autouse=True)
def clean_receiver():
    from tests.sample_plugins.ledger.channels import receiver
    receiver().flushdb()


@pytest.fixture
def world(app):
    with app.app_context():
        t = make_tenant("AAA", modules=["ledger"])
        return {"group": t.group.id, "project": t.project.id, "accountant": t.accountant.username,
                "accountant_id": t.accountant.id, "hh": t.business_admin.username, "admin": t.admin.username}


def start(client, world, code, data=None, files=()):
    payload = {**(data or {})}
    if files:
        payload["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return post(client, f"/processes/projects/{world['project']}/start/{code}", payload,
                content_type="multipart/form-data")


def instances(app, world, code=None):
    with app.app_context(), tenant(world["group"]):
        query = sa.select(ProcessInstance).order_by(ProcessInstance.id)
        if code:
            query = query.where(ProcessInstance.kind == code)
        return db.session.scalars(query).all()


def decide(client, process_id, decision, comment=""):
    return post(client, f"/processes/{process_id}/decide", {"decision": decision, "comment": comment},
                follow_redirects=True).get_data(as_text=True)


def test_process_list_shows_kinds_and_why_a_start_is_disabled(app, world):
    kj = login(app.test_client(), world["accountant"])
    page = kj.get(f"/processes/projects/{world['project']}").get_data(as_text=True)
    for label in ("离职退休测算", "离职退休", "披露(循环)"):
        assert label in page
    assert "须先完成：离职退休测算" in page
    response = post(kj, f"/processes/projects/{world['project']}/start/ledger_exit", {"amount": "1.00"},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "alert-danger" in response.get_data(as_text=True)
    assert "须先完成：离职退休测算" in response.get_data(as_text=True)
    assert instances(app, world, "ledger_exit") == []


def test_full_flow_start_approve_notify_and_reset(app, world):
    kj = login(app.test_client(), world["accountant"])
    hh = login(app.test_client(), world["hh"])
    assert start(kj, world, "ledger_calc").status_code == 302
    [calc] = instances(app, world, "ledger_calc")
    assert calc.state == "running" and calc.provider == "inapp"
    page = decide(hh, calc.id, "approve", "同意")
    assert "完成" in page
    [calc] = instances(app, world, "ledger_calc")
    assert (calc.state, calc.decided_by, calc.result_comment) == ("approved", world["hh"], "同意")
    # The initiator is told, in their inbox.
    with app.app_context(), tenant(world["group"]):
        titles = db.session.scalars(sa.select(InboxMessage.title).where(
            InboxMessage.recipient_id == world["accountant_id"])).all()
    assert titles == ["AAA项目：离职退休测算完成"]
    from tests.sample_plugins.ledger.channels import RECEIVED as ROBOT_RECEIVED, receiver
    robot = [k.decode() for k in receiver().lrange(ROBOT_RECEIVED, 0, -1)]
    assert len(robot) == 1 and robot[0].endswith(":ledger_robot")  # 回调会有消息机器人通知
    # Now the exit may start, with its form prefilled and checked.
    form = kj.get(f"/processes/projects/{world['project']}/start/ledger_exit").get_data(as_text=True)
    assert 'value="AAA项目"' in form
    response = start(kj, world, "ledger_exit", {"amount": "131,980.42", "ratio": "3.910", "planned_on": "2020-01-01",
                                                "description": "第1次利润分配"},
                     files=[("利润分配计算表.pdf", b"%PDF-1.7\n..."), ("签字版.xlsx", b"PK\x03\x04xl")])
    assert response.status_code == 302
    [exit_] = instances(app, world, "ledger_exit")
    assert exit_.form_data == {"project_name": "AAA项目", "amount": "131980.42", "ratio": "3.910",
                               "planned_on": "2020-01-01"}
    decide(hh, exit_.id, "reject", "材料不全")
    assert RECEIVED[-1] == ("process", "ledger_exit", "rejected")
    # A rejected single kind may start again; reset needs the right role and a reason.
    assert start(kj, world, "ledger_exit", {"amount": "10"}).status_code == 302
    latest = instances(app, world, "ledger_exit")[-1]
    page = post(kj, f"/processes/{latest.id}/reset", {"reason": "重新测算"}, follow_redirects=True).get_data(as_text=True)
    assert "您的角色不能重置此流程" in page
    page = post(hh, f"/processes/{latest.id}/reset", {"reason": ""}, follow_redirects=True).get_data(as_text=True)
    assert "请填写重置原因" in page
    post(hh, f"/processes/{latest.id}/reset", {"reason": "重新测算"})
    assert instances(app, world, "ledger_exit")[-1].state == "reset"
    with app.app_context(), tenant(world["group"]):
        actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.record_table == "core_process")
                                     .order_by(AuditLog.id)).all()
    assert [a for a in actions if a in ("approved", "rejected", "reset")] == ["approved", "rejected", "reset"]
    assert actions.count("create") == 3


def test_single_kind_cannot_start_twice_repeatable_can(app, world):
    kj = login(app.test_client(), world["accountant"])
    start(kj, world, "ledger_calc")
    start(kj, world, "ledger_calc")
    assert len(instances(app, world, "ledger_calc")) == 1
    for _ in range(3):
        assert start(kj, world, "ledger_disclosure").status_code == 302
    assert len(instances(app, world, "ledger_disclosure")) == 3


def test_second_start_is_refused_with_a_message(app, world):
    kj = login(app.test_client(), world["accountant"])
    start(kj, world, "ledger_calc")
    response = post(kj, f"/processes/projects/{world['project']}/start/ledger_calc", {}, follow_redirects=True,
                    content_type="multipart/form-data")
    assert "离职退休测算已发起，不能重复发起" in response.get_data(as_text=True)


def test_permissions_per_role(app, world):
    kj = login(app.test_client(), world["accountant"])
    start(kj, world, "ledger_calc")
    [calc] = instances(app, world, "ledger_calc")
    # An accountant cannot approve; a partner cannot even open processes.
    assert "只有业务管理员可以审批" in decide(kj, calc.id, "approve")
    partner = login(app.test_client(), "aaa_p")
    assert partner.get(f"/processes/projects/{world['project']}").status_code == 403
    assert partner.get(f"/processes/{calc.id}").status_code == 403
    # A business admin may not start an accountant's process.
    hh = login(app.test_client(), world["hh"])
    page = post(hh, f"/processes/projects/{world['project']}/start/ledger_disclosure", {},
                content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "您的角色不能发起披露" in page
    assert instances(app, world, "ledger_disclosure") == []
    # An accountant not authorised on the project gets 404.
    outsider = login(app.test_client(), "aaa_kj2")
    assert outsider.get(f"/processes/projects/{world['project']}").status_code == 404
    assert outsider.get(f"/processes/{calc.id}").status_code == 404


def test_two_approvers_at_once_one_wins(app, world):
    kj = login(app.test_client(), world["accountant"])
    start(kj, world, "ledger_calc")
    [calc] = instances(app, world, "ledger_calc")
    first, second = login(app.test_client(), world["hh"]), login(app.test_client(), world["hh"])
    with app.app_context(), tenant(world["group"]):
        from core.models import User
        from core.processes import service
        hh = db.session.scalar(sa.select(User).where(User.username == world["hh"]))
        stale_copy = db.session.get(ProcessInstance, calc.id)  # read while running, as a racing request would
        assert "完成" in decide(first, calc.id, "approve", "同意")
        with pytest.raises(service.ProcessError, match="已被处理"):
            service.decide_in_app(stale_copy, hh, False, "驳回")
        db.session.rollback()
    assert "该流程已被处理" in decide(second, calc.id, "reject", "晚了")
    [calc] = instances(app, world, "ledger_calc")
    assert (calc.state, calc.result_comment) == ("approved", "同意")


def test_callback_replayed_or_unknown_changes_nothing(app, world):
    kj = login(app.test_client(), world["accountant"])
    start(kj, world, "ledger_calc")
    [calc] = instances(app, world, "ledger_calc")
    with app.app_context(), tenant(world["group"]):
        from core.processes import service
        instance = db.session.get(ProcessInstance, calc.id)
        assert service.complete(instance, True, "bpm", "同意", callback_key="bpm:evt-1") is True
        db.session.commit()
        instance = db.session.get(ProcessInstance, calc.id)
        assert service.complete(instance, False, "bpm", "驳回", callback_key="bpm:evt-1") is False
        assert service.complete(instance, False, "bpm", "驳回", callback_key="bpm:evt-2") is False
        db.session.commit()
        notices = db.session.scalar(sa.select(sa.func.count()).select_from(InboxMessage).where(
            InboxMessage.recipient_id == world["accountant_id"]))
    [calc] = instances(app, world, "ledger_calc")
    assert calc.state == "approved" and calc.result_comment == "同意"
    assert notices == 1  # one completion, one notice


@pytest.mark.parametrize("name, content, message", [
    ("virus.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100, "的内容与其类型 .pdf 不符"),
    ("tool.exe", b"MZ\x90\x00", "不支持的文件类型：tool.exe"),
    ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "超过 10M"),
    ("table.csv", b"a,b\x00\x01", "的内容与其类型 .csv 不符"),
    ("page.xml", b"not xml", "的内容与其类型 .xml 不符"),
])
def test_bad_uploads_are_refused_and_nothing_stored(app, world, name, content, message):
    import os
    folder = os.path.join(app.config["ATTACHMENT_DIR"], str(world["group"]))
    stored_before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    kj = login(app.test_client(), world["accountant"])
    response = start(kj, world, "ledger_disclosure", {"description": "说明"}, files=[("ok.png", b"\x89PNG\r\n\x1a\n.."),
                                                                                   (name, content)])
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert instances(app, world) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert (set(os.listdir(folder)) if os.path.isdir(folder) else set()) == stored_before


def test_angle_brackets_and_bad_numbers_are_refused(app, world):
    kj = login(app.test_client(), world["accountant"])
    start(kj, world, "ledger_calc")
    hh = login(app.test_client(), world["hh"])
    decide(hh, instances(app, world, "ledger_calc")[0].id, "approve")
    page = start(kj, world, "ledger_exit", {"amount": "abc", "ratio": "3.9101", "planned_on": "2020-02-30",
                                            "description": "<script>"}).get_data(as_text=True)
    assert "本次分配金额不是有效的数字" in page and "本次分配比例最多 3 位小数" in page
    assert "预计分配时间不是有效的日期" in page and "情况说明中不能有&lt;、&gt;符号" in page
    assert instances(app, world, "ledger_exit") == []


def test_attachments_served_only_to_users_authorised_on_the_project(app, world):
    kj = login(app.test_client(), world["accountant"])
    start(kj, world, "ledger_disclosure", files=[("计算表.pdf", b"%PDF-1.4 secret")])
    with app.app_context(), tenant(world["group"]):
        token = db.session.scalar(sa.select(Attachment.token))
    download = kj.get(f"/processes/attachments/{token}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 secret"
    assert "计算表.pdf" in download.headers["Content-Disposition"] or "filename*" in download.headers["Content-Disposition"]
    assert login(app.test_client(), "aaa_kj2").get(f"/processes/attachments/{token}").status_code == 404
    assert login(app.test_client(), "aaa_p").get(f"/processes/attachments/{token}").status_code == 403
    assert kj.get("/processes/attachments/nonexistent").status_code == 404
    assert not app.config["ATTACHMENT_DIR"].startswith(app.static_folder)


def test_review_locks_the_record_until_unlocked_and_audits_each_step(app, world):
    kj = login(app.test_client(), world["accountant"])
    entry_id = int(post(kj, f"/ledger/projects/{world['project']}/entries", {"amount": "5.00", "note": "测算"}).data)
    assert post(kj, f"/ledger/entries/{entry_id}/amount", {"amount": "6.00"}).status_code == 200
    review_id = int(post(kj, f"/ledger/entries/{entry_id}/submit").data)
    locked = post(kj, f"/ledger/entries/{entry_id}/amount", {"amount": "7.00"})
    assert locked.status_code == 409 and "正在审核或已审核通过" in locked.get_data(as_text=True)
    hh = login(app.test_client(), world["hh"])
    queue = hh.get("/reviews/").get_data(as_text=True)
    assert "台账 测算" in queue and "AAA项目" in queue
    page = post(kj, f"/reviews/{review_id}/decide", {"decision": "pass"}, follow_redirects=True).get_data(as_text=True)
    assert "只有业务管理员可以审核" in page
    post(hh, f"/reviews/{review_id}/decide", {"decision": "return", "comment": "金额有误"})
    assert post(kj, f"/ledger/entries/{entry_id}/amount", {"amount": "8.00"}).status_code == 200  # returned: editable
    post(kj, f"/ledger/entries/{entry_id}/submit")
    post(hh, f"/reviews/{review_id}/decide", {"decision": "pass", "comment": "同意"})
    assert post(kj, f"/ledger/entries/{entry_id}/amount", {"amount": "9.00"}).status_code == 409
    post(hh, f"/reviews/{review_id}/unlock", {"unlocked": "1"})
    assert post(kj, f"/ledger/entries/{entry_id}/amount", {"amount": "9.00"}).status_code == 200
    post(hh, f"/reviews/{review_id}/unlock", {"unlocked": "0"})
    assert post(kj, f"/ledger/entries/{entry_id}/amount", {"amount": "10.00"}).status_code == 409
    with app.app_context(), tenant(world["group"]):
        assert db.session.get(LedgerEntry, entry_id).amount == Decimal("9.00")
        actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.action.like("review:%"))
                                     .order_by(AuditLog.id)).all()
    assert actions == ["review:submitted", "review:returned", "review:submitted", "review:passed",
                       "review:unlock", "review:lock"]


def test_with_two_oa_plugins_the_company_chooses_the_provider_of_each_kind(app, world):
    from tests.sample_plugins.ledger.hooks import OA_OFFERED
    run = app.test_cli_runner().invoke
    OA_OFFERED[:] = ["ledger_oa", "report_oa"]
    try:
        with app.app_context():
            from core.modules import enable
            enable(world["group"], "ledger_report")
            db.session.commit()
        listed = run(args=["gentou", "processes", "providers", "--company", "AAA"]).output
        assert "offered: inapp, ledger_oa, report_oa" in listed
        assert "ledger_calc              inapp        default" in listed  # two offered, none chosen: in-app
        refused = run(args=["gentou", "processes", "provider", "ledger_calc", "nobody_oa", "--company", "AAA"])
        assert refused.exit_code != 0 and "approval provider nobody_oa is not offered" in refused.output
        chose = run(args=["gentou", "processes", "provider", "ledger_calc", "report_oa", "--company", "AAA"])
        assert chose.exit_code == 0, chose.output
        assert "ledger_calc              report_oa    chosen" in run(
            args=["gentou", "processes", "providers", "--company", "AAA"]).output
        client = login(app.test_client(), world["accountant"])
        assert start(client, world, "ledger_calc").status_code == 302
        assert start(client, world, "ledger_disclosure").status_code == 302
        calc, disclosure = instances(app, world, "ledger_calc")[0], instances(app, world, "ledger_disclosure")[0]
        assert (calc.provider, calc.external_id) == ("report_oa", f"report_oa-{calc.id}")
        assert disclosure.provider == "inapp"  # the company chose only for ledger_calc
        page = client.get(f"/processes/projects/{world['project']}").get_data(as_text=True)
        assert f"https://oa.example/report_oa/report_oa-{calc.id}" in page
        OA_OFFERED[:] = ["ledger_oa"]  # one offered, none chosen: it decides
        assert start(client, world, "ledger_disclosure").status_code == 302
        assert instances(app, world, "ledger_disclosure")[-1].provider == "ledger_oa"
        with app.app_context():
            audit = db.session.scalar(db.select(AuditLog).where(AuditLog.record_id == "approval_provider.ledger_calc"))
            assert audit.after == {"value": "report_oa"}
    finally:
        OA_OFFERED.clear()
