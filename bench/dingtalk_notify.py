"""Benchmark: a 缴款通知 to 1,000 partners, each with his own amount, through the inbox and DingTalk
work notices, against the strict fake DingTalk, with 1 and with 2 workers.

Builds the app with the dingtalk plugin on SQLite (temp file) or PostgreSQL (schema
``gentou_bench_dingtalk`` in database ``test``, or GENTOU_BENCH_PG; dropped at the end) and Redis db 14
(GENTOU_BENCH_REDIS; flushed at start and end); serves the fake DingTalk of the tests on 127.0.0.1, as
strict as the service (a task is done 0.3 s after it was accepted: getsendprogress says when; the
same content reaches a user once a day). Seeds one group with N partners (default 1,000), each bound
to a DingTalk userid. For 1 and for 2 worker processes (``flask gentou worker``, listening, with RQ's
scheduler): ``outbox.notify_each`` the partners with a body carrying each one's amount (as the
缴款通知 does) through every personal channel (inbox + 钉钉工作通知), then waits until every notice is
sent and every send's result was read (getsendresult 5 s after the send; getsendprogress only while a
task is unfinished). Prints the DingTalk calls by kind for N partners (targets for 1,000: at most 10
asyncsend_v2 calls and 25 calls in all) and notices per second (all channels, and DingTalk alone)
from the commit to the last notice sent, and when the last result was read.

    .venv/bin/python bench/dingtalk_notify.py [--db sqlite|postgres] [--count N]

A benchmark, not a test: it prints figures and always exits 0 unless the harness breaks.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from core import create_app, roles, settings  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import InboxMessage, Notice, NoticeBatch, User  # noqa: E402
from core.models.user import utcnow  # noqa: E402
from core.modules import enable  # noqa: E402
from core.tenancy import tenant  # noqa: E402
from plugins.dingtalk.models import DingTalkBinding  # noqa: E402
from plugins.dingtalk.tests import fake_dingtalk as F  # noqa: E402
from _common import REDIS_URL, new_group, on_postgres, on_sqlite  # noqa: E402  (bench/ is the script's folder)

PG_SCHEMA = "gentou_bench_dingtalk"
QUEUE = "gentou-bench-dingtalk"
TARGET_SENDS, TARGET_CALLS = 10, 25     # per 1,000 partners
ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
RESULT = "/topapi/message/corpconversation/getsendresult"
CALLS = (("gettoken", "/gettoken"), ("asyncsend_v2", ASYNCSEND),
         ("getsendprogress", "/topapi/message/corpconversation/getsendprogress"), ("getsendresult", RESULT))


def seed(app, fake, count: int) -> int:
    with app.app_context():
        group = new_group()
        with tenant(group.id):
            enable(group.id, "dingtalk", actor="bench")
            settings.save(group.id, "dingtalk", {
                "corp_id": F.CORP_ID, "app_key": F.APP_KEY, "app_secret": F.APP_SECRET, "agent_id": str(F.AGENT_ID),
                "api_base": fake.url, "app_url": "https://gt.example.com"})
            users = [User(username=f"p{i:05d}", name=f"合伙人{i:05d}", password_hash="x") for i in range(count)]
            db.session.add_all(users)
            db.session.flush()
            for user in users:
                user.set_roles([roles.PARTNER])
            db.session.add_all(DingTalkBinding(user_id=u.id, userid=f"dt{u.id}", bound_at=utcnow()) for u in users)
            db.session.commit()
            for user in users:
                fake.add_user(f"dt{user.id}")
        return group.id


def notify(app, group_id: int, run: int) -> tuple[float, int]:
    """The 缴款通知 of run ``run`` (a new batch, so DingTalk delivers it again): (seconds, notices)."""
    from core import outbox
    with app.app_context(), tenant(group_id):
        ids = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
        channels = outbox.personal_channels(group_id)
        started = time.perf_counter()
        outbox.notify_each(group_id, [(uid, f"第{run}期：您应缴金额 {100000 + uid * 37:,}.00 元，请于月底前缴款。")
                                      for uid in ids], "缴款通知：基准项目", link="/subscription/me",
                           channels_=channels, kind="subscription.payment")
        db.session.commit()
        return time.perf_counter() - started, len(ids) * len(channels)


def start_workers(spec: str, count: int) -> list:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    workers = []
    for _ in range(count):
        log = tempfile.TemporaryFile()
        workers.append((subprocess.Popen([sys.executable, "-m", "flask", "--app", spec, "gentou", "worker"],
                                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    return workers


def stop_workers(workers: list) -> None:
    for process, log in workers:
        process.send_signal(signal.SIGTERM)
    for process, log in workers:
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        if process.returncode not in (0, -signal.SIGTERM):
            log.seek(0)
            print("  worker output:\n" + log.read().decode(errors="replace")[-3000:])
        log.close()


def counts(app, group_id: int) -> dict:
    with app.app_context(), tenant(group_id):
        batch = db.session.scalar(sa.select(sa.func.max(NoticeBatch.id)))
        return dict(db.session.execute(sa.select(Notice.channel, sa.func.count()).where(
            Notice.batch_id == batch, Notice.state == "sent").group_by(Notice.channel)).all())


def measure(app, fake, group_id: int, spec: str, workers: int, count: int, run: int) -> None:
    from rq import Queue, Worker
    connection = redis.Redis.from_url(REDIS_URL)
    processes = start_workers(spec, workers)
    try:
        deadline = time.monotonic() + 60
        while len(Worker.all(queue=Queue(QUEUE, connection=connection))) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        before = {name: fake.count(path) for name, path in CALLS}
        tasks_before = len(fake.tasks)
        started = time.perf_counter()
        enqueue_s, total = notify(app, group_id, run)
        deadline = time.monotonic() + 600
        done, delivered_s = False, None
        while time.monotonic() < deadline:
            sent = counts(app, group_id)
            if delivered_s is None and sum(sent.values()) == total:
                delivered_s = time.perf_counter() - started
            tasks = len(fake.tasks) - tasks_before
            if delivered_s is not None and tasks and fake.count(RESULT) - before["getsendresult"] >= tasks:
                done = True
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        stop_workers(processes)
    calls = {name: fake.count(path) - before[name] for name, path in CALLS}
    sends = calls["asyncsend_v2"]
    per_k = 1000 / count
    print(f"\n  {workers} worker{'s' if workers > 1 else ''}: notify + commit {enqueue_s:.2f}s for {total} notices"
          + ("" if done else "  (NOT FINISHED within 600 s)"))
    print("    DingTalk calls: " + ", ".join(f"{name} {n}" for name, n in calls.items())
          + f", total {sum(calls.values())}")
    print(f"    per 1,000 partners: asyncsend_v2 {sends * per_k:.0f} (target <= {TARGET_SENDS}: "
          f"{'PASS' if sends * per_k <= TARGET_SENDS else 'FAIL'}), all calls {sum(calls.values()) * per_k:.0f} "
          f"(target <= {TARGET_CALLS}: {'PASS' if sum(calls.values()) * per_k <= TARGET_CALLS else 'FAIL'})")
    sent = counts(app, group_id)
    delivered = len(fake.delivered())
    print(f"    sent: dingtalk_work {sent.get('dingtalk_work', 0)}/{count}, inbox {sent.get('inbox', 0)}/{count}; "
          f"the fake delivered {delivered} work notices in all so far")
    delivered_s = delivered_s or elapsed
    print(f"    commit to every notice sent {delivered_s:.2f}s: {total / delivered_s:,.0f} notices/s all channels, "
          f"{sent.get('dingtalk_work', 0) / delivered_s:,.0f} DingTalk notices/s; every result read after "
          f"{elapsed:.2f}s (the check waits DINGTALK_RESULT_DELAY, 5 s)")


def bench(label: str, url: str, count: int) -> None:
    print(f"\n== {label}: {count} partners, a 缴款通知 with each partner's amount, inbox + 钉钉工作通知 ==")
    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    fake = F.FakeDingTalk()  # strict: finish_after 0.3 s, same-day duplicates refused
    fake.url = fake.start()
    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": REDIS_URL, "RQ_QUEUE": QUEUE}
    app = create_app(config, plugins=["plugins.dingtalk"])
    spec = f"core:create_app({config!r}, plugins=['plugins.dingtalk'])"
    try:
        group_id = seed(app, fake, count)
        for run, workers in enumerate((1, 2), start=1):
            measure(app, fake, group_id, spec, workers, count, run)
        with app.app_context(), tenant(group_id):
            inbox = db.session.scalar(sa.select(InboxMessage.body).order_by(InboxMessage.id.desc()))
        print(f"\n  an inbox copy keeps the personal text: {inbox!r}")
        print(f"  the work notice text: {fake.bodies(ASYNCSEND)[-1]['msg']['action_card']['markdown']!r}")
    finally:
        fake.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        r.flushdb()
        r.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--count", type=int, default=1000, help="partners (default 1000)")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be positive")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        print(f"Redis at {REDIS_URL} unreachable: {exc}")
        return
    run = on_sqlite if args.db == "sqlite" else lambda go: on_postgres(PG_SCHEMA, go)
    run(lambda label, url: bench(label, url, args.count))


if __name__ == "__main__":
    main()
