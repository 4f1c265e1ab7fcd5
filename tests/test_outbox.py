"""The outbox against a real Redis and real RQ workers."""
import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from core import roles
from core.extensions import db
from core.models import InboxMessage, Notice
from core.tenancy import tenant
from core.worker import make_worker
from tests.conftest import database_url, login, make_app, post
from tests.factories import make_tenant, make_user
from tests.sample_plugins.ledger.channels import RECEIVED, fail_next, receiver, reject

REDIS_URL = os.environ.get("GENTOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
FAST = {"NOTICE_BACKOFF_BASE": 0.0, "NOTICE_PENDING_GRACE": 0}


@pytest.fixture(autouse=True)
def clean_redis():
    receiver().flushdb()
    yield
    receiver().flushdb()


@pytest.fixture
def world(app):
    with app.app_context():
        t = make_tenant("AAA", modules=["ledger"])
        with tenant(t.group.id):
            partners = [t.partner.id] + [make_user(f"aaa_p{i}", [roles.PARTNER]).id for i in range(2)]
            db.session.commit()
        return {"group": t.group.id, "project": t.project.id, "accountant": t.accountant.username,
                "partners": partners, "admin": t.admin.username}


def queued(**config):
    return make_app(**{"REDIS_URL": REDIS_URL, **FAST, **config})


def run_worker(app):
    import redis
    make_worker(app, redis.Redis.from_url(app.config["REDIS_URL"])).work(burst=True, with_scheduler=False)


def add_entry(app, world, channels=("ledger_echo",), **extra):
    return add_entry_as(login(app.test_client(), world["accountant"]), world, channels, **extra)


def add_entry_as(client, world, channels=("ledger_echo",), **extra):
    data = {"amount": "10.00", "note": "测试", "notify": "1", "channel": list(channels), **extra}
    return post(client, f"/ledger/projects/{world['project']}/entries", data)


def notices(app, group_id):
    with app.app_context(), tenant(group_id):
        return db.session.scalars(sa.select(Notice).order_by(Notice.id)).all()


def received():
    return [k.decode() for k in receiver().lrange(RECEIVED, 0, -1)]


def test_redis_down_at_commit_then_sweep_delivers_each_once(app, world):
    down = queued(REDIS_URL="redis://127.0.0.1:1/0")
    assert add_entry(down, world).status_code == 201  # the business change commits although Redis is down
    rows = notices(app, world["group"])
    assert len(rows) == 3 and {n.state for n in rows} == {"pending"}
    assert received() == []
    up = queued()
    result = up.test_cli_runner().invoke(args=["gentou", "outbox", "sweep", "--grace", "0"])
    assert result.exit_code == 0 and "re-enqueued 3 notices" in result.output
    run_worker(up)
    assert sorted(received()) == sorted(n.key for n in rows)
    assert {n.state for n in notices(app, world["group"])} == {"sent"}
    # A second sweep and worker run change nothing.
    up.test_cli_runner().invoke(args=["gentou", "outbox", "sweep", "--grace", "0"])
    run_worker(up)
    assert len(received()) == 3


def test_transient_failures_are_retried_until_delivered(app, world):
    live = queued()
    with live.app_context(), tenant(world["group"]):
        from core import outbox
        batch = outbox.notify(world["group"], world["partners"][:1], "缴款通知", channels_=("ledger_echo",))
        db.session.flush()
        key = db.session.scalar(sa.select(Notice.key).where(Notice.batch_id == batch.id))
        fail_next(key, 2)
        db.session.commit()
    run_worker(live)
    [notice] = notices(app, world["group"])
    assert received() == [key]
    assert (notice.state, notice.attempts, notice.external_id) == ("sent", 3, f"echo-{notice.id}")


def test_transient_failures_stop_at_the_limit_and_permanent_at_once(app, world):
    live = queued(NOTICE_MAX_ATTEMPTS=3)
    with live.app_context(), tenant(world["group"]):
        from core import outbox
        outbox.notify(world["group"], world["partners"][:2], "催缴", channels_=("ledger_echo",))
        db.session.flush()
        first, second = db.session.scalars(sa.select(Notice.key).order_by(Notice.id)).all()
        fail_next(first, 10)
        reject(second)
        db.session.commit()
    run_worker(live)
    by_key = {n.key: n for n in notices(app, world["group"])}
    assert (by_key[first].state, by_key[first].attempts) == ("failed", 3)
    assert "503" in by_key[first].last_error
    assert (by_key[second].state, by_key[second].attempts, by_key[second].last_error) == ("failed", 1, "收件人无效")
    assert received() == []


def test_a_job_run_twice_delivers_once(app, world):
    live = queued()
    with live.app_context():
        from core.jobs import queue, rq_perform
        assert add_entry(live, world).status_code == 201
        ids = [n.id for n in notices(app, world["group"])]
        for _ in range(2):
            queue().enqueue(rq_perform, "core.deliver_notices", world["group"], {"notice_ids": ids})
    run_worker(live)
    with live.app_context():
        from core.jobs import perform
        assert perform("core.deliver_notices", world["group"], {"notice_ids": ids}) == {"sent": 0, "failed": 0,
                                                                                         "pending": 0}
    assert sorted(received()) == sorted(n.key for n in notices(app, world["group"]))


def test_rolled_back_business_change_leaves_no_notice(app, world):
    assert add_entry(app, world, fail="1").status_code == 400
    assert notices(app, world["group"]) == []
    assert received() == []


def test_inline_mode_delivers_the_same_way(app, world):
    assert add_entry(app, world, channels=("ledger_echo", "inbox")).status_code == 201
    rows = notices(app, world["group"])
    assert len(rows) == 6 and {n.state for n in rows} == {"sent"}
    assert sorted(received()) == sorted(n.key for n in rows if n.channel == "ledger_echo")
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InboxMessage)) == 3


def test_disabled_module_fails_its_channel_notices(app, world):
    with app.app_context():
        from core.modules import disable
        disable(world["group"], "ledger")
        from core import outbox
        with tenant(world["group"]):
            outbox.notify(world["group"], world["partners"][:1], "通知", channels_=("ledger_echo", "inbox"))
        db.session.commit()
    by_channel = {n.channel: n for n in notices(app, world["group"])}
    assert by_channel["inbox"].state == "sent"
    assert by_channel["ledger_echo"].state == "failed" and "not enabled" in by_channel["ledger_echo"].last_error


def start_worker_process(burst=True):
    app_spec = (f"tests.conftest:make_app(REDIS_URL={REDIS_URL!r}, SQLALCHEMY_DATABASE_URI={database_url()!r}, "
                f"NOTICE_BACKOFF_BASE=0.0)")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    args = [sys.executable, "-m", "flask", "--app", app_spec, "gentou", "worker"] + (["--burst"] if burst else [])
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@contextlib.contextmanager
def listening_workers(count):
    """``count`` worker processes, all listening before the block runs; stopped (warm) after it."""
    from rq import Queue, Worker
    workers = [start_worker_process(burst=False) for _ in range(count)]
    deadline = time.monotonic() + 60
    ours = Queue(os.environ["GENTOU_RQ_QUEUE"], connection=receiver())
    while len(Worker.all(queue=ours)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    outputs = []
    try:
        yield outputs
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        outputs += [w.communicate(timeout=60)[0].decode() for w in workers]


def wait_until(predicate, seconds=120):
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.2)
    return predicate()


def test_a_thousand_notices_across_two_workers_each_delivered_exactly_once(app, world):
    live = queued(NOTICE_CHUNK=50)
    with listening_workers(2) as outputs:
        with live.app_context(), tenant(world["group"]):
            from core import outbox
            from core.jobs import queue, rq_perform
            recipients = [make_user(f"bulk{i:04d}", [roles.PARTNER]).id for i in range(1000)]
            batch = outbox.notify(world["group"], recipients, "分配通知", channels_=("ledger_echo",))
            db.session.commit()
            ids = db.session.scalars(sa.select(Notice.id).where(Notice.batch_id == batch.id)).all()
            for start in range(0, len(ids), 50):  # every chunk a second time, so the workers race for it
                queue().enqueue(rq_perform, "core.deliver_notices", world["group"],
                                {"notice_ids": ids[start:start + 50]})
            assert wait_until(lambda: len(queue()) == 0 and outbox.progress(batch.id)["sent"] == 1000)
            assert outbox.progress(batch.id) == {"total": 1000, "sent": 1000, "failed": 0, "pending": 0}
    assert all("Job OK" in out for out in outputs), "both workers must have done jobs"
    got = received()
    assert len(got) == 1000 and len(set(got)) == 1000


def test_rate_limit_holds_across_two_workers_without_sleeping(app, world):
    live = queued()
    with live.app_context(), tenant(world["group"]):
        from core import outbox
        recipients = [make_user(f"rl{i:02d}", [roles.PARTNER]).id for i in range(12)]
        db.session.commit()
    started = time.monotonic()
    with listening_workers(2):
        with live.app_context(), tenant(world["group"]):
            outbox.notify(world["group"], recipients[:6], "机器人", channels_=("ledger_throttled",))
            outbox.notify(world["group"], recipients[6:], "机器人", channels_=("ledger_throttled",))
            db.session.commit()
        assert wait_until(lambda: len(received()) == 5, 10)  # the window is full; the rest come back later
        with live.app_context(), tenant(world["group"]):
            outbox.notify(world["group"], recipients[:1], "另一个渠道", channels_=("ledger_echo",))
            db.session.commit()
        asked = time.monotonic()
        assert wait_until(lambda: any(key.endswith(":ledger_echo") for key in received()), 10)
        assert time.monotonic() - asked < 1.5  # no worker sleeps on the window
        assert wait_until(lambda: len(received()) == 13, 30)
    times = sorted(float(t) for t in receiver().lrange("gentou:test:received_at", 0, -1))
    throttled = [k for k in received() if k.endswith(":ledger_throttled")]
    assert len(set(throttled)) == 12 and len(throttled) == 12
    for i, t in enumerate(times):  # the channel allows 5 per 2 s: no 6 inside any 2 s window (+ the echo)
        assert sum(1 for u in times[i:] if u - t < 2.0) <= 6
    assert time.monotonic() - started >= 4.0
    assert {n.attempts for n in notices(app, world["group"])} == {1}  # waiting for a slot is no attempt


def test_a_hung_redis_never_holds_the_request(app, world, tmp_path):
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        hung = queued(REDIS_URL=f"redis://127.0.0.1:{port}/0")
        import redis
        assert wait_until(lambda: _pings(redis.Redis(port=port)), 10)
        client = login(hung.test_client(), world["accountant"])
        server.send_signal(signal.SIGSTOP)  # accepts connections, never answers
        started = time.monotonic()
        assert add_entry_as(client, world).status_code == 201
        assert time.monotonic() - started < 1.0
        rows = notices(app, world["group"])
        assert len(rows) == 3 and {n.state for n in rows} == {"pending"}  # committed; the sweeper will send
    finally:
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(10)


def _pings(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


def free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_partner_inbox_newest_first_unread_count_and_read_on_open(app, world):
    assert add_entry(app, world, channels=("inbox",), note="第一笔").status_code == 201
    assert add_entry(app, world, channels=("inbox",), note="第二笔").status_code == 201
    client = login(app.test_client(), "aaa_p")
    page = client.get("/me/messages").get_data(as_text=True)
    assert page.index("台账新增：第二笔") < page.index("台账新增：第一笔")
    assert 'id="unread-count">2<' in page
    with app.app_context(), tenant(world["group"]):
        newest = db.session.scalar(sa.select(InboxMessage).where(InboxMessage.recipient_id == world["partners"][0])
                                   .order_by(InboxMessage.id.desc()))
        other = db.session.scalar(sa.select(InboxMessage).where(InboxMessage.recipient_id == world["partners"][1]))
    opened = client.get(f"/me/messages/{newest.id}").get_data(as_text=True)
    assert "金额 10.00" in opened and 'id="unread-count">1<' in opened
    assert client.get(f"/me/messages/{other.id}").status_code == 404  # another partner's message


def test_admin_notice_log_filters_retry_progress_and_test_message(app, world):
    with app.app_context(), tenant(world["group"]):
        from core import outbox
        batch = outbox.notify(world["group"], world["partners"], "缴款通知", channels_=("ledger_echo",))
        db.session.flush()
        keys = db.session.scalars(sa.select(Notice.key).where(Notice.batch_id == batch.id).order_by(Notice.id)).all()
        reject(keys[0])
        db.session.commit()
        batch_id = batch.id
    admin = login(app.test_client(), world["admin"])
    page = admin.get(f"/admin/notices?batch={batch_id}").get_data(as_text=True)
    assert "已发送 2 / 3，1 条失败" in page
    assert admin.get(f"/admin/notices/batches/{batch_id}/progress").get_json() == {
        "total": 3, "sent": 2, "failed": 1, "pending": 0, "finished": True, "text": "已发送 2 / 3，1 条失败"}
    failed_page = admin.get("/admin/notices?state=failed").get_data(as_text=True)
    assert "收件人无效" in failed_page and failed_page.count("重试</button>") == 1
    receiver().delete(f"gentou:test:reject:{keys[0]}")
    failed_id = notices(app, world["group"])[0].id
    assert post(admin, f"/admin/notices/{failed_id}/retry").status_code == 302
    assert admin.get(f"/admin/notices/batches/{batch_id}/progress").get_json()["sent"] == 3
    assert sorted(received()) == sorted(keys)
    response = post(admin, "/admin/notices/test", {"channel": "inbox"}, follow_redirects=True)
    assert "测试消息已发送给您自己" in response.get_data(as_text=True)
    assert "测试消息" in admin.get("/me/messages").get_data(as_text=True)


def test_a_job_failing_on_the_database_is_retried_by_rq(app, world):
    """The table is locked when the job claims its notices (a database restarting, a long migration):
    RQ runs it again (JOB_RETRY_INTERVALS) and the notices go out once."""
    import threading
    postgres = database_url().startswith("postgresql")
    engine_options = {"pool_pre_ping": True, "connect_args": (
        {"options": "-c lock_timeout=1000"} if postgres else {"timeout": 1})}
    live = queued(JOB_RETRY_INTERVALS=(0, 0, 0, 0, 0, 0), SQLALCHEMY_ENGINE_OPTIONS=engine_options)
    with live.app_context(), tenant(world["group"]):
        from core import outbox
        outbox.notify(world["group"], world["partners"][:1], "缴款通知", channels_=("ledger_echo",))
        db.session.commit()
    locker = sa.create_engine(database_url(), isolation_level="AUTOCOMMIT")
    connection = locker.connect()
    connection.exec_driver_sql("BEGIN")
    connection.exec_driver_sql("LOCK TABLE core_notice IN ACCESS EXCLUSIVE MODE" if postgres
                               else "UPDATE core_notice SET claim = claim")  # SQLite: the write lock
    threading.Timer(2.5, lambda: connection.exec_driver_sql("ROLLBACK")).start()
    run_worker(live)
    connection.close()
    locker.dispose()
    assert len(received()) == 1
    assert {n.state for n in notices(app, world["group"])} == {"sent"}


def test_the_pool_pre_pings_a_connection_the_database_dropped(app, world):
    if not database_url().startswith("postgresql"):
        pytest.skip("needs a server that can drop connections")
    live = queued()
    with live.app_context():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        db.session.remove()  # back to the pool, alive as far as the pool knows
        with sa.create_engine(database_url()).connect() as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert db.session.execute(sa.text("SELECT 1")).scalar() == 1
