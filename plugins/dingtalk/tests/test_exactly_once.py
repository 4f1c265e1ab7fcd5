"""Work notices reach each partner once and Gentou's states say what happened, against the strict fake:
workers killed mid-batch, calls failing or answering after the client gave up, tokens refused."""
import os
import signal
import time

import sqlalchemy as sa

from core import outbox, roles
from core.extensions import db
from core.models import InboxMessage, Notice, User
from core.models.user import utcnow
from core.tenancy import tenant
from plugins.dingtalk import channels as dingtalk_channels
from plugins.dingtalk import client as dingtalk_client
from plugins.dingtalk.models import DingTalkBinding
from plugins.dingtalk.services import bind
from plugins.dingtalk.tests.conftest import listening_workers, queued, run_worker, wait_until
from tests.factories import make_user

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
PROGRESS = "/topapi/message/corpconversation/getsendprogress"
RESULT = "/topapi/message/corpconversation/getsendresult"


def partners(app, world, count, prefix="p"):
    """``count`` partners bound to DingTalk userids ``{prefix}NNNN``, written in bulk; their ids."""
    fake = world["fake"]
    with app.app_context(), tenant(world["group"]):
        users = [User(username=f"{prefix}{i:04d}", name=f"合伙人{i:04d}", password_hash="x") for i in range(count)]
        db.session.add_all(users)
        db.session.flush()
        for user in users:
            user.set_roles([roles.PARTNER])
        db.session.add_all(DingTalkBinding(user_id=u.id, userid=u.username, bound_at=utcnow(), bound_by="test")
                           for u in users)
        db.session.commit()
        for user in users:
            fake.add_user(user.username)
        return [u.id for u in users]


def payment_notice(app, world, ids, channels=("dingtalk_work",)) -> int:
    """A 缴款通知 whose text carries each partner's own amount, as the stage writes it; the batch id."""
    with app.app_context(), tenant(world["group"]):
        batch = outbox.notify_each(world["group"], [(rid, f"您本期应缴金额 {100000 + rid:,}.00 元，请于月底前缴款。")
                                                    for rid in ids], "缴款通知：锦艺城", link="/subscription/me",
                                   channels_=channels, kind="subscription.payment")
        db.session.commit()
        return batch.id


def states(app, world, channel="dingtalk_work") -> dict:
    with app.app_context(), tenant(world["group"]):
        return dict(db.session.execute(sa.select(Notice.state, sa.func.count()).where(Notice.channel == channel)
                                       .group_by(Notice.state)).all())


def each_once(fake, prefix, count) -> bool:
    delivered = sorted(fake.delivered())
    return delivered == [f"{prefix}{i:04d}" for i in range(count)]


def test_1000_partners_of_a_payment_notice_take_10_calls_and_keep_their_amounts_in_the_inbox(app, world):
    fake, live = world["fake"], queued()
    ids = partners(live, world, 1000)
    with live.app_context():
        channels = outbox.personal_channels(world["group"])
    batch = payment_notice(live, world, ids, channels)
    run_worker(live)
    assert fake.count(ASYNCSEND) == 10 and fake.count(RESULT) == 10 and fake.count("/gettoken") == 1
    messages = {str(body["msg"]) for body in fake.bodies(ASYNCSEND)}
    assert len(messages) == 1  # one text for the whole batch
    card = fake.bodies(ASYNCSEND)[0]["msg"]["action_card"]
    assert card["title"] == "缴款通知：锦艺城" and "应缴金额" not in card["markdown"]
    assert f"通知编号：{batch}" in card["markdown"] and "登录后查看" in card["markdown"]
    assert card["single_url"] == "https://gt.example.com/dingtalk/g/AAA/app?next=%2Fsubscription%2Fme"
    assert each_once(fake, "p", 1000)
    assert states(live, world) == {"sent": 1000}
    with live.app_context(), tenant(world["group"]):
        body = db.session.scalar(sa.select(InboxMessage.body).where(InboxMessage.recipient_id == ids[7]))
    assert body == f"您本期应缴金额 {100000 + ids[7]:,}.00 元，请于月底前缴款。"
    # A second notice the same day, with the same words, is a different message: DingTalk delivers it.
    payment_notice(live, world, ids[:3])
    run_worker(live)
    assert len(fake.delivered()) == 1003 and states(live, world) == {"sent": 1003}


def test_one_failing_call_retries_only_its_notices_when_the_backoff_says(app, world):
    fake, live = world["fake"], queued(NOTICE_CHUNK=300, NOTICE_BACKOFF_BASE=2.0)  # 2.0: the production value
    ids = partners(live, world, 300)
    fake.fail_next(ASYNCSEND, None, 503)  # the first call goes through, the second gets a 503
    with listening_workers(1, NOTICE_BACKOFF_BASE=2.0, NOTICE_PENDING_GRACE=60):
        payment_notice(live, world, ids)
        assert wait_until(lambda: states(live, world) == {"sent": 300}, 30)
    first, failed, third, retried = fake.bodies(ASYNCSEND)
    assert retried["userid_list"] == failed["userid_list"]  # only the failed call's partners, again
    assert len(third["userid_list"].split(",")) == 100  # the rest of the job went on
    at = [t for p, t in fake.times if p == ASYNCSEND]
    assert at[3] - at[1] <= 4.0  # backoff 2 s × [0.5, 1] (RQ's scheduler: ± 1 s), not the sweeper's minute
    assert each_once(fake, "p", 300)
    with live.app_context(), tenant(world["group"]):
        attempts = dict(db.session.execute(sa.select(Notice.attempts, sa.func.count()).group_by(Notice.attempts)).all())
    assert attempts == {1: 200, 2: 100}


def test_an_answer_after_the_timeout_is_not_sent_twice_nor_called_failed(app, world):
    fake, live = world["fake"], queued(DINGTALK_TIMEOUT=(2, 0.5))
    fake.answer_late(ASYNCSEND, 1.5)  # DingTalk delivers, the client gives up before the answer
    send_to = partners(live, world, 3)
    payment_notice(live, world, send_to)
    run_worker(live)
    assert fake.count(ASYNCSEND) == 2 and each_once(fake, "p", 3)
    forbidden = fake.tasks[max(fake.tasks)]["forbidden"]
    assert sorted(forbidden) == [("p0000", 143106), ("p0001", 143106), ("p0002", 143106)]
    assert states(live, world) == {"sent": 3}


def test_a_worker_killed_mid_batch_is_recovered_in_seconds_every_partner_once(app, world):
    fake, live = world["fake"], queued()
    ids = partners(live, world, 300)
    fake.answer_late(ASYNCSEND, 1.5, 1.5)  # the first calls are in flight when the worker dies
    fake.finish_after = 0.5
    lease = {"NOTICE_LEASE": 3, "SWEEP_INTERVAL": 1, "NOTICE_PENDING_GRACE": 0}
    with listening_workers(2, **lease):
        payment_notice(live, world, ids)
        assert wait_until(lambda: fake.count(ASYNCSEND) >= 1, 30)
        busy = busy_worker_pid()
        os.kill(busy, signal.SIGKILL)
        killed_at = time.monotonic()
        assert wait_until(lambda: states(live, world) == {"sent": 300} and fake.count(RESULT) >= 3, 60)
        recovered = time.monotonic() - killed_at
    assert recovered < 20  # the lease (3 s here, 30 s in production) and one sweep, not 5 minutes
    assert each_once(fake, "p", 300)
    assert fake.count(ASYNCSEND) >= 3
    assert states(live, world) == {"sent": 300}


def busy_worker_pid() -> int:
    """The process id of a worker in the middle of a job."""
    from rq import Worker
    from plugins.dingtalk.tests.conftest import rq_queue
    assert wait_until(lambda: any(w.get_current_job_id() for w in Worker.all(queue=rq_queue())), 10)
    return next(w.pid for w in Worker.all(queue=rq_queue()) if w.get_current_job_id())


def test_a_long_call_keeps_its_claim_and_is_never_sent_twice(app, world):
    fake, live = world["fake"], queued()
    ids = partners(live, world, 5)
    fake.answer_late(ASYNCSEND, 3)  # longer than the lease: only its renewal keeps the sweeper off
    with listening_workers(2, NOTICE_LEASE=1.0, SWEEP_INTERVAL=0.3, NOTICE_PENDING_GRACE=0):
        payment_notice(live, world, ids)
        assert wait_until(lambda: states(live, world) == {"sent": 5}, 30)
        time.sleep(0.5)
    assert fake.count(ASYNCSEND) == 1 and each_once(fake, "p", 5)


def test_a_refused_token_is_dropped_even_when_its_refresh_fails(app, world):
    fake, live = world["fake"], queued()
    ids = partners(live, world, 1)
    payment_notice(live, world, ids)
    run_worker(live)
    fake.expire_tokens()
    fake.fail_next("/gettoken", 502)
    payment_notice(live, world, ids)
    run_worker(live)  # refused, the refresh fails; the retry must not try the refused token again
    [refused] = {q["access_token"] for q in fake.queries(ASYNCSEND)[:1]}
    assert [q["access_token"] == refused for q in fake.queries(ASYNCSEND)] == [True, True, False]
    assert fake.count("/gettoken") == 3 and states(live, world) == {"sent": 2}


def test_tokens_expiring_mid_run_cost_one_refresh_and_no_notice(app, world):
    fake, live = world["fake"], queued(NOTICE_CHUNK=500)
    ids = partners(live, world, 500)
    fake.expire_after = 3  # after gettoken and two sends, every token expires
    payment_notice(live, world, ids)
    run_worker(live)
    assert fake.count("/gettoken") == 2 and fake.count(ASYNCSEND) == 6
    assert each_once(fake, "p", 500) and states(live, world) == {"sent": 500}


def test_inline_mode_reads_the_result_only_when_dingtalk_is_done(app, world):
    fake = world["fake"]
    fake.finish_after = 5.5  # still working when the result is first asked for, 5 s after the send
    with app.app_context(), tenant(world["group"]):
        ghost = make_user("aaa_ghost", [roles.PARTNER])
        bind(ghost, "dt-gone", "test")
        db.session.commit()
        ghost_id = ghost.id
    payment_notice(app, world, [world["partner"], ghost_id])  # the app without Redis: the request sends
    assert fake.count(ASYNCSEND) == 1 and fake.count(RESULT) == 0
    assert states(app, world) == {"sent": 2}  # DingTalk's answer so far
    assert dingtalk_channels.RESULT_DELAY == 5  # the real delay; this test waits for it
    assert wait_until(lambda: states(app, world) != {"sent": 2}, 30)
    assert states(app, world) == {"sent": 1, "failed": 1}
    paths = [p for p, _q, _b in fake.calls if p in (PROGRESS, RESULT)]
    assert paths == [RESULT, PROGRESS, PROGRESS, RESULT]  # unfinished at 5 s: nobody marked failed; done at 10 s
    sent_at = fake.tasks[max(fake.tasks)]["at"]
    assert [round(t - sent_at) for p, t in fake.times if p == RESULT] == [5, 10]


def test_the_production_timeouts_and_waits(app):
    assert dingtalk_client.TIMEOUT == (3.05, 10.0)
    assert dingtalk_channels.PER_MINUTE_WAIT == 60.0 and dingtalk_channels.PER_CALL == 100
    config = app.config
    assert (config["NOTICE_LEASE"], config["SWEEP_INTERVAL"], config["NOTICE_PENDING_GRACE"]) == (30, 15, 60)
    assert (config["NOTICE_BACKOFF_BASE"], config["NOTICE_CHUNK"], config["REDIS_TIMEOUT"]) == (2.0, 100, 0.5)
    assert tuple(config["JOB_RETRY_INTERVALS"]) == (5, 30, 120)
    with app.app_context():
        assert db.engine.pool._pre_ping == (db.engine.dialect.name != "sqlite")  # a file has no server to lose


def test_without_redis_a_failing_call_leaves_the_rest_of_the_job_going(app, world):
    fake = world["fake"]
    down = queued(REDIS_URL="redis://127.0.0.1:1/0")  # the enqueue fails: three notices wait for the sweeper
    for i in range(3):
        with down.app_context(), tenant(world["group"]):
            outbox.notify(world["group"], [world["partner"]], f"通知 {i}", "请查看", channels_=("dingtalk_work",))
            db.session.commit()
    fake.fail_next(ASYNCSEND, None, 503)
    swept = app.test_cli_runner().invoke(args=["gentou", "outbox", "sweep", "--grace", "0"])
    assert "re-enqueued 3 notices" in swept.output  # one job, three messages, three calls
    assert fake.count(ASYNCSEND) == 3 and states(app, world) == {"sent": 2, "pending": 1}
    assert wait_until(lambda: states(app, world) == {"sent": 3}, 5)  # its backoff, 1 to 2 s, in this process
    assert fake.delivered() == ["dt-aaa_p"] * 3
