"""Benchmark: notify 1,000 partners through DingTalk work notices (and the inbox), against the fake DingTalk.

Builds the app with the dingtalk plugin on SQLite (temp file) or PostgreSQL (schema
``gentou_bench_dingtalk`` in database ``test``, dropped at the end) and Redis db 14 (flushed at
start and end); serves the fake DingTalk of the tests on 127.0.0.1; seeds one group with N partners
(default 1,000), each bound to a DingTalk userid; ``outbox.notify`` them through every personal
channel (as a stage's 认购通知 does: inbox + 钉钉工作通知), then runs one RQ worker process
(``flask gentou worker --burst``) until it exits. The result check (getsendresult) runs at once
(``DINGTALK_RESULT_DELAY=0``) so that its calls are counted too. Prints the DingTalk calls made by
kind (target: at most 10 asyncsend_v2 calls for 1,000 partners), and notices per second.

    .venv/bin/python bench/dingtalk_notify.py [--db sqlite|postgres] [--count N]

A benchmark, not a test: it prints figures and always exits 0 unless the harness breaks.
"""
from __future__ import annotations

import argparse
import os
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
from core.models import GroupCompany, Notice, User  # noqa: E402
from core.models.user import utcnow  # noqa: E402
from core.modules import enable  # noqa: E402
from core.tenancy import tenant  # noqa: E402
from plugins.dingtalk.models import DingTalkBinding  # noqa: E402
from plugins.dingtalk.tests import fake_dingtalk as F  # noqa: E402
from _common import on_postgres, on_sqlite  # noqa: E402  (bench/ is the script's folder)

PG_SCHEMA = "gentou_bench_dingtalk"
REDIS_URL = "redis://127.0.0.1:6379/14"
TARGET_SENDS = 10
CALLS = (("gettoken", "/gettoken"), ("asyncsend_v2", "/topapi/message/corpconversation/asyncsend_v2"),
         ("getsendresult", "/topapi/message/corpconversation/getsendresult"))


def seed(app, fake, count: int) -> int:
    with app.app_context():
        db.create_all()
        group = GroupCompany(code="BENCH", name="基准集团")
        db.session.add(group)
        db.session.commit()
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


def notify(app, group_id: int) -> tuple[float, int]:
    from core import outbox
    with app.app_context(), tenant(group_id):
        ids = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
        channels = outbox.personal_channels(group_id)
        started = time.perf_counter()
        outbox.notify(group_id, ids, "认购通知", "请于本月底前完成认购。", link="/subscription/me", channels_=channels,
                      kind="bench")
        db.session.commit()
        return time.perf_counter() - started, len(ids) * len(channels)


def run_worker(config: dict) -> tuple[float, int]:
    """One burst worker process until it exits: (seconds, exit code)."""
    spec = f"core:create_app({config!r}, plugins=['plugins.dingtalk'])"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.run([sys.executable, "-m", "flask", "--app", spec, "gentou", "worker", "--burst"],
                                 cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=600)
        elapsed = time.perf_counter() - started
        if process.returncode:
            log.seek(0)
            print("  worker failed:\n" + log.read().decode(errors="replace")[-3000:])
    return elapsed, process.returncode


def bench(label: str, url: str, count: int) -> None:
    print(f"\n== {label}: {count} partners, inbox + 钉钉工作通知 ==")
    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    fake = F.FakeDingTalk()
    fake.url = fake.start()
    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": REDIS_URL,
              "DINGTALK_RESULT_DELAY": 0}
    app = create_app(config, plugins=["plugins.dingtalk"])
    try:
        group_id = seed(app, fake, count)
        enqueue_s, total = notify(app, group_id)
        print(f"  notify + commit: {enqueue_s:.2f}s for {total} notices, {r.llen('rq:queue:gentou')} jobs queued")
        elapsed, _ = run_worker(config)
        with app.app_context(), tenant(group_id):
            states = dict(db.session.execute(sa.select(Notice.channel, sa.func.count()).where(Notice.state == "sent")
                                             .group_by(Notice.channel)).all())
        empty, _ = run_worker(config)  # the fixed cost: start, find the queue empty, exit
        calls = {name: fake.count(path) for name, path in CALLS}
        sends = calls["asyncsend_v2"]
        print("  DingTalk calls: " + ", ".join(f"{name} {n}" for name, n in calls.items())
              + f", total {sum(calls.values())}")
        print(f"  asyncsend_v2 calls: {sends}   target <= {TARGET_SENDS}: {'PASS' if sends <= TARGET_SENDS else 'FAIL'}"
              f"   (userids per call: {', '.join(str(len(b['userid_list'].split(','))) for b in fake.bodies(CALLS[1][1]))})")
        sent = states.get("dingtalk_work", 0)
        print(f"  sent: dingtalk_work {sent}/{count}, inbox {states.get('inbox', 0)}/{count}")
        net = max(elapsed - empty, 1e-6)
        print(f"  worker run {elapsed:.2f}s (of which start-up and exit {empty:.2f}s): "
              f"{sent / elapsed:,.0f} DingTalk notices/s, {total / elapsed:,.0f} notices/s all channels; "
              f"less start-up {sent / net:,.0f} / {total / net:,.0f}")
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
