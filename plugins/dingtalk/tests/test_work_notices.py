"""Work notices (工作通知) through the outbox, a real RQ worker and the fake DingTalk."""
import json

import sqlalchemy as sa

from core import outbox, roles
from core.extensions import db
from core.models import InboxMessage, Notice
from core.tenancy import tenant
from plugins.dingtalk.services import bind
from plugins.dingtalk.tests.conftest import configure, listening_workers, queued, rq_queue, run_worker, wait_until
from tests.conftest import login
from tests.factories import make_user

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
RESULT = "/topapi/message/corpconversation/getsendresult"


def notices(app, group_id, channel="dingtalk_work"):
    with app.app_context(), tenant(group_id):
        return db.session.scalars(sa.select(Notice).where(Notice.channel == channel).order_by(Notice.id)).all()


def send(app, world, recipients, title="认购通知", body="请于月底前完成认购", link="/me/messages",
         channels=("dingtalk_work",)):
    with app.app_context(), tenant(world["group"]):
        outbox.notify(world["group"], recipients, title, body, link=link, channels_=channels)
        db.session.commit()


def test_250_partners_take_three_asyncsend_calls_with_comma_separated_lists(app, world):
    fake, live = world["fake"], queued()
    with live.app_context(), tenant(world["group"]):
        ids = []
        for i in range(250):
            user = make_user(f"p{i:03d}", [roles.PARTNER])
            bind(user, f"dt{i:03d}", "test")
            fake.add_user(f"dt{i:03d}")
            ids.append(user.id)
        db.session.commit()
        channels = outbox.personal_channels(world["group"])
    assert set(channels) == {"inbox", "dingtalk_work"}
    send(live, world, ids, channels=channels)
    run_worker(live)
    lists = [body["userid_list"] for body in fake.bodies(ASYNCSEND)]
    assert len(lists) == 3 and all(isinstance(item, str) for item in lists)
    assert sorted(len(item.split(",")) for item in lists) == [50, 100, 100]
    assert sorted(u for item in lists for u in item.split(",")) == [f"dt{i:03d}" for i in range(250)]
    assert fake.count("/gettoken") == 1 and fake.count(RESULT) == 3
    msg = fake.bodies(ASYNCSEND)[0]["msg"]
    assert msg["msgtype"] == "action_card" and msg["action_card"]["title"] == "认购通知"
    assert msg["action_card"]["single_url"] == "https://gt.example.com/dingtalk/g/AAA/app?next=%2Fme%2Fmessages"
    assert "请于月底前完成认购" in msg["action_card"]["markdown"]
    rows = notices(live, world["group"])
    assert len(rows) == 250 and {n.state for n in rows} == {"sent"}
    assert {n.external_id for n in rows} == {str(task) for task in fake.tasks}
    with live.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InboxMessage)) == 250


def test_one_token_for_100_sends_across_two_workers_and_one_refresh_when_refused(app, world):
    fake, live = world["fake"], queued()
    with listening_workers(2) as outputs:
        for i in range(100):  # 100 different messages: 100 calls, 100 jobs for the two workers
            send(live, world, [world["partner"]], title=f"通知 {i}")
        assert wait_until(lambda: fake.count(ASYNCSEND) == 100 and fake.count(RESULT) == 100, 120)
    assert all("Job OK" in out for out in outputs), "both workers must have sent"
    assert fake.count("/gettoken") == 1
    assert {n.state for n in notices(live, world["group"])} == {"sent"}
    fake.expire_tokens()  # DingTalk now answers 88 / sub_code 42001 to the cached token
    for i in range(3):
        send(live, world, [world["partner"]], title=f"过期后 {i}")
    run_worker(live)
    assert fake.count("/gettoken") == 2  # refreshed once, then the new token is shared
    assert fake.count(ASYNCSEND) == 104 and len(fake.tasks) == 103  # the refused call, retried once
    assert {n.state for n in notices(live, world["group"])} == {"sent"}


def test_a_5xx_then_ok_is_delivered_once(app, world):
    fake, live = world["fake"], queued()
    fake.fail_next(ASYNCSEND, 502)
    send(live, world, [world["partner"]])
    run_worker(live)
    [notice] = notices(live, world["group"])
    assert (notice.state, notice.attempts) == ("sent", 2)
    assert fake.delivered() == ["dt-aaa_p"] and fake.count(ASYNCSEND) == 2


def test_bad_credentials_fail_every_notice_at_once_with_the_reason(app, world):
    fake = world["fake"]
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], fake.url, app_secret="wrong-secret")
        db.session.commit()
    send(app, world, [world["partner"]], title="一")
    with app.app_context(), tenant(world["group"]):
        outbox.notify(world["group"], [world["partner"]], "二", channels_=("dingtalk_work",))
        outbox.notify(world["group"], [world["accountant_id"]], "三", channels_=("dingtalk_work",))
        db.session.commit()
    rows = notices(app, world["group"])
    assert [(n.state, n.attempts) for n in rows] == [("failed", 1)] * 3
    assert {n.last_error for n in rows} == {"AppKey 或 AppSecret 不正确 (40096)"}
    assert fake.count(ASYNCSEND) == 0


def test_a_partner_without_binding_gets_the_inbox_and_the_admin_sees_who(app, world):
    fake = world["fake"]
    with app.app_context():
        channels = outbox.personal_channels(world["group"])
    send(app, world, [world["partner"], world["unbound"]], channels=channels)
    by_user = {n.recipient_id: n for n in notices(app, world["group"])}
    assert by_user[world["partner"]].state == "sent"
    assert (by_user[world["unbound"]].state, by_user[world["unbound"]].last_error) == ("failed", "未绑定钉钉账号")
    assert [b["userid_list"] for b in fake.bodies(ASYNCSEND)] == ["dt-aaa_p"]
    assert {n.state for n in notices(app, world["group"], "inbox")} == {"sent"}
    admin = login(app.test_client(), world["admin"])
    page = admin.get("/admin/notices?channel=dingtalk_work&state=failed").get_data(as_text=True)
    assert "未绑定合伙人" in page and "未绑定钉钉账号" in page
    assert "认购通知" in login(app.test_client(), "aaa_unbound").get("/me/messages").get_data(as_text=True)
    listed = admin.get("/dingtalk/bindings?unbound=1").get_data(as_text=True)
    assert "aaa_unbound" in listed and "aaa_p<" not in listed


def test_getsendresult_is_read_per_user_and_code(app, world):
    fake, live = world["fake"], queued()
    with live.app_context(), tenant(world["group"]):
        ghost = make_user("aaa_ghost", [roles.PARTNER], name="离职合伙人")
        bind(ghost, "dt-left-the-company", "test")  # DingTalk no longer knows this userid
        daily = make_user("aaa_daily", [roles.PARTNER])
        bind(daily, "dt-daily", "test")
        db.session.commit()
        ghost_id, daily_id = ghost.id, daily.id
    fake.add_user("dt-daily")
    fake.refuse("dt-aaa_kj", 143103)    # over the per-minute limit this time
    fake.refuse("dt-daily", 143105)     # over the daily limit
    send(live, world, [world["partner"], ghost_id, world["accountant_id"], daily_id])
    run_worker(live)
    assert [b["userid_list"] for b in fake.bodies(ASYNCSEND)] == ["dt-aaa_p,dt-left-the-company,dt-aaa_kj,dt-daily"]
    assert fake.count(RESULT) == 1
    by_user = {n.recipient_id: n for n in notices(live, world["group"])}
    assert by_user[world["partner"]].state == "sent"
    assert (by_user[ghost_id].state, by_user[ghost_id].last_error) == ("failed", "钉钉用户无效（invalid）")
    assert (by_user[daily_id].state, by_user[daily_id].last_error) == ("failed", "超过钉钉每日发送上限 (143105)")
    limited = by_user[world["accountant_id"]]
    assert (limited.state, limited.last_error) == ("pending", "超过钉钉每分钟发送上限 (143103)")
    wait = (limited.next_attempt_at - sa_now()).total_seconds()
    assert 50 < wait <= 61  # the real wait: DingTalk's minute
    assert rq_queue().scheduled_job_registry.count == 1  # its retry, at that time


def sa_now():
    from core.models.user import utcnow
    return utcnow()


def test_the_result_check_waits_for_its_delay(app, world):
    fake, live = world["fake"], queued(DINGTALK_RESULT_DELAY=3600)
    send(live, world, [world["partner"]])
    run_worker(live)
    assert fake.count(ASYNCSEND) == 1 and fake.count(RESULT) == 0
    assert rq_queue().scheduled_job_registry.count == 1  # RQ's scheduler runs it in an hour


def test_a_long_body_is_cut_to_fit_2048_bytes_and_no_link_without_app_url(app, world):
    fake = world["fake"]
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], fake.url, app_url="")
        db.session.commit()
    send(app, world, [world["partner"]], body="缴款说明" * 400)
    [notice] = notices(app, world["group"])
    assert notice.state == "sent"
    msg = fake.bodies(ASYNCSEND)[0]["msg"]
    assert msg["msgtype"] == "markdown" and msg["markdown"]["text"].endswith("…")
    assert len(json.dumps(msg, ensure_ascii=False).encode()) <= 2048


def test_a_call_over_the_per_minute_limit_waits_a_minute_for_its_notices_only(app, world):
    fake = world["fake"]
    fake.fail_next(ASYNCSEND, {"errcode": 143103, "errmsg": "超过每分钟发送上限"})
    send(app, world, [world["partner"]], title="一")  # the app without Redis: sent in the request
    send(app, world, [world["accountant_id"]], title="二")
    first, second = notices(app, world["group"])
    assert (first.state, first.last_error) == ("pending", "超过钉钉每分钟发送上限 (143103)")
    assert 59 <= (first.next_attempt_at - first.claimed_at).total_seconds() <= 61
    assert second.state == "sent" and fake.delivered() == ["dt-aaa_kj"]
