"""The group robot: signed as documented, at most 20 a minute across workers (the rest rescheduled,
no worker sleeping), waits on "too fast"."""
import datetime as dt
import time

import sqlalchemy as sa

from core import outbox
from core.extensions import db
from core.models import Notice
from core.tenancy import tenant
from plugins.dingtalk.tests.conftest import configure, listening_workers, queued, run_worker, wait_until

TOO_FAST = {"errcode": 660026, "errmsg": "send too fast, exceed 20 times per minute"}


def alert(app, world, title="告警", count=1):
    with app.app_context(), tenant(world["group"]):
        for i in range(count):  # a batch (and so a job) each
            outbox.notify(world["group"], [world["partner"]], f"{title}{i}" if count > 1 else title, "详情",
                          link="/admin/notices", channels_=("dingtalk_robot",))
        db.session.commit()


def robot_notices(app, world):
    with app.app_context(), tenant(world["group"]):
        return db.session.scalars(sa.select(Notice).where(Notice.channel == "dingtalk_robot")
                                  .order_by(Notice.id)).all()


def test_the_fake_accepts_our_signature_and_refuses_a_wrong_secret(app, world):
    fake = world["fake"]
    alert(app, world, "回调通知")
    assert len(fake.robot_messages) == 1
    message = fake.robot_messages[0]
    assert message["msgtype"] == "markdown" and message["markdown"]["title"] == "回调通知"
    assert "https://gt.example.com/dingtalk/g/AAA/app?next=%2Fadmin%2Fnotices" in message["markdown"]["text"]
    [query] = fake.queries("/robot/send")
    assert set(query) == {"access_token", "timestamp", "sign"} and query["access_token"] == "robot-token-1"
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], fake.url, robot_secret="SECnot-the-robots-secret")
        db.session.commit()
    alert(app, world, "第二条")
    first, second = robot_notices(app, world)
    assert first.state == "sent"
    assert (second.state, second.attempts) == ("failed", 1)
    assert second.last_error == "机器人签名、时间戳或关键词校验失败：sign not match (310000)"
    assert len(fake.robot_messages) == 1


def test_25_messages_at_most_20_in_any_minute_while_other_notices_keep_flowing(app, world):
    fake, live = world["fake"], queued()
    with listening_workers(2) as outputs:
        alert(live, world, count=25)
        assert wait_until(lambda: len(fake.robot_times) == 20, 30)
        asked = time.time()  # the robot's window is full: a work notice must not wait for it
        with live.app_context(), tenant(world["group"]):
            outbox.notify(world["group"], [world["partner"]], "认购通知", "请认购", channels_=("dingtalk_work",))
            db.session.commit()
        assert wait_until(lambda: fake.count("/topapi/message/corpconversation/asyncsend_v2") == 1, 10)
        assert time.time() - asked < 5 and len(fake.robot_times) == 20
        assert wait_until(lambda: len(fake.robot_times) == 25, 200)
    assert all("Job OK" in out for out in outputs), "both workers must have sent"
    assert not any("sleep" in out for out in outputs)
    times = sorted(fake.robot_times)
    assert len(times) == 25
    assert sorted(m["markdown"]["title"] for m in fake.robot_messages) == sorted(f"告警{i}" for i in range(25))
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t - start < 60) <= 20
    assert times[-1] - times[0] >= 59
    # Waiting for a free slot is not an attempt; nothing was refused by DingTalk.
    assert {(n.state, n.attempts) for n in robot_notices(app, world)} == {("sent", 1)}


def test_a_too_fast_answer_waits_and_retries_never_drops(app, world):
    fake = world["fake"]
    fake.fail_next("/robot/send", TOO_FAST)
    alert(app, world)  # inline app: the default 10-minute wait of a blocked robot
    [notice] = robot_notices(app, world)
    assert notice.state == "pending" and "限流" in notice.last_error
    assert notice.next_attempt_at - notice.claimed_at >= dt.timedelta(seconds=599)
    live = queued()  # a robot blocked for no time at all, to see the retry through
    fake.fail_next("/robot/send", TOO_FAST, 503)
    alert(live, world, "第二条")
    run_worker(live)
    second = robot_notices(app, world)[1]
    assert (second.state, second.attempts) == ("sent", 3)
    assert [m["markdown"]["title"] for m in fake.robot_messages] == ["第二条"]
