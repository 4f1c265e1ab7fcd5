"""Benchmark: enqueue and deliver in-app notices (outbox -> RQ -> inbox) with 1 and with 2 workers.

Builds the app on PostgreSQL (schema ``gentou_bench_notices`` in database ``test``, dropped at
the end; GENTOU_BENCH_PG names another) or SQLite (temp file), with Redis db 14 (GENTOU_BENCH_REDIS;
flushed at start and end). Seeds one group with
N users (default 10,000), then for 1 and for 2 workers: ``outbox.notify`` N inbox notices (timed:
notify + commit, which writes the rows and enqueues N/100 RQ jobs), runs the workers
(``flask gentou worker --burst`` subprocesses) until they all exit (timed), checks that every
notice is sent and N inbox messages exist, and resets. Baseline: N bare inserts into the inbox
table, executemany in chunks of 100 with a commit per chunk (as often as delivery commits a job).
Prints notices/second, the ratio 2 workers / 1 worker (target >= 1.6) and delivery time / bare
inserts; also the fixed cost of a worker process (start-up and exit on an empty queue), and per
run where the machine's CPU went (workers, everything else), since other busy processes skew the
ratio. ``--repeat`` alternates 1- and 2-worker runs and keeps the best of each.

    .venv/bin/python bench/notices.py [--db postgres|sqlite] [--count N] [--repeat N]

A benchmark, not a test: it prints figures and always exits 0 unless the harness breaks.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from core import create_app  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import InboxMessage, Notice, NoticeBatch, User  # noqa: E402
from core.models.user import utcnow  # noqa: E402
from core.tenancy import tenant  # noqa: E402
from _common import REDIS_URL, new_group, on_postgres, on_sqlite  # noqa: E402  (bench/ is the script's folder)

PG_SCHEMA = "gentou_bench_notices"
CHUNK = 100             # notices per delivery job (NOTICE_CHUNK) and rows per baseline commit
WORKER_COUNTS = (1, 2)
TARGET = 1.6
WORKER_TIMEOUT = 600    # seconds: a delivery run that takes longer is killed and reported
TITLE, BODY = "缴款通知", "body"


def app_config(url: str, redis_url: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": redis_url, "NOTICE_CHUNK": CHUNK}


def seed(app, count: int) -> int:
    started = time.perf_counter()
    with app.app_context():
        group = new_group()
        group_id = group.id
        with tenant(group_id):
            db.session.add_all(User(username=f"u{i:05d}", name=f"用户{i:05d}", password_hash="x")
                               for i in range(count))
            db.session.commit()
    print(f"  seeded {count} users in {time.perf_counter() - started:.1f}s")
    return group_id


def vacuum(app) -> None:
    """PostgreSQL: clear the dead rows of the previous run and refresh the planner's statistics."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in (InboxMessage, Notice, NoticeBatch, User):
                conn.execute(sa.text(f"VACUUM ANALYZE {table.__tablename__}"))


def reset(app, r: redis.Redis) -> None:
    with app.app_context():
        db.session.execute(sa.delete(InboxMessage))
        db.session.execute(sa.delete(Notice))
        db.session.execute(sa.delete(NoticeBatch))
        db.session.commit()
    r.flushdb()
    vacuum(app)


def enqueue(app, group_id: int, r: redis.Redis) -> tuple[int, float, int]:
    """notify() every user once; returns (batch id, seconds for notify + commit, jobs queued)."""
    from core import outbox
    with app.app_context(), tenant(group_id):
        user_ids = db.session.scalars(db.select(User.id).order_by(User.id)).all()
        started = time.perf_counter()
        batch = outbox.notify(group_id, user_ids, TITLE, BODY, channels_=("inbox",))
        db.session.commit()
        elapsed = time.perf_counter() - started
        batch_id = batch.id
    return batch_id, elapsed, r.llen("rq:queue:gentou")


def machine_cpu() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat; None off Linux."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    hz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def cpu_note(before, after, workers_cpu: float) -> tuple[str, bool | None]:
    """Where the CPU went during a run: our workers, and everything else (PostgreSQL, Redis, other
    processes); returns (note, disturbed), disturbed None off Linux. PostgreSQL and Redis use less CPU
    than the workers that drive them (about half on a quiet machine): more means other processes ran."""
    if before is None or after is None:
        return f"workers cpu {workers_cpu:.1f}s", None
    busy, total = after[0] - before[0], after[1] - before[1]
    rest = max(0.0, busy - workers_cpu)
    return (f"machine {100 * busy / total if total else 0:.0f}% busy: workers cpu {workers_cpu:.1f}s, "
            f"everything else {rest:.1f}s" + ("  <- other processes busy" if rest > workers_cpu else "")), \
        rest > workers_cpu


def run_workers(n: int, app_spec: str, logdir: str, tag: str) -> tuple[float, list[str], tuple[str, bool | None]]:
    """Start ``n`` burst workers, wait until all exit; returns (seconds, per-worker log paths, cpu_note())."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "flask", "--app", app_spec, "gentou", "worker", "--burst"]
    logs, procs, files = [], [], []
    cpu0, ru0 = machine_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        for i in range(n):
            path = os.path.join(logdir, f"{tag}-worker{i}.log")
            f = open(path, "wb")
            files.append(f)
            logs.append(path)
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT))
        deadline = started + WORKER_TIMEOUT
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.perf_counter()))
            except subprocess.TimeoutExpired:
                pass
        elapsed = time.perf_counter() - started
        cpu1, ru1 = machine_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        for f in files:
            f.close()
    bad = [(i, p.returncode) for i, p in enumerate(procs) if p.returncode != 0]
    if bad or elapsed >= WORKER_TIMEOUT:
        print(f"    worker trouble: exit codes {bad}, {elapsed:.1f}s (timeout {WORKER_TIMEOUT}s)")
        for path in logs:
            tail = Path(path).read_text(errors="replace").splitlines()[-15:]
            print(f"    --- {path}\n      " + "\n      ".join(tail))
    workers_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return elapsed, logs, cpu_note(cpu0, cpu1, workers_cpu)


def jobs_done(path: str) -> int:
    """Jobs finished OK according to a worker's log."""
    return len(re.findall(r"Job OK", Path(path).read_text(errors="replace")))


def check(app, batch_id: int, count: int) -> tuple[bool, str]:
    from core import outbox
    with app.app_context():
        progress = outbox.progress(batch_id)
        inbox = db.session.scalar(sa.select(sa.func.count()).select_from(InboxMessage))
    ok = progress == {"total": count, "sent": count, "failed": 0, "pending": 0} and inbox == count
    return ok, f"progress {progress}, inbox rows {inbox}"


def bare_inserts(app, group_id: int, batch_id: int) -> float:
    """Insert one inbox row per notice of ``batch_id`` with plain executemany, a commit per chunk."""
    with app.app_context(), tenant(group_id):
        db.session.execute(sa.delete(InboxMessage))
        db.session.commit()
        notices = db.session.execute(sa.select(Notice.id, Notice.recipient_id).where(Notice.batch_id == batch_id)
                                     .order_by(Notice.id)).all()
    vacuum(app)
    with app.app_context(), tenant(group_id):
        table = InboxMessage.__table__
        started = time.perf_counter()
        for start in range(0, len(notices), CHUNK):
            now = utcnow()
            rows = [{"group_id": group_id, "notice_id": nid, "recipient_id": rid, "title": TITLE, "body": BODY,
                     "link": "", "created_at": now, "read_at": None} for nid, rid in notices[start:start + CHUNK]]
            db.session.execute(sa.insert(table), rows)
            db.session.commit()
        elapsed = time.perf_counter() - started
        inserted = db.session.scalar(sa.select(sa.func.count()).select_from(InboxMessage))
    if inserted != len(notices):
        print(f"    baseline inserted {inserted} rows, expected {len(notices)}")
    return elapsed


def deliver_once(app, r: redis.Redis, group_id: int, count: int, n: int, app_spec: str, logdir: str,
                 tag: str) -> tuple[float, bool, bool | None, int]:
    """Reset, enqueue ``count`` notices, deliver them with ``n`` workers and print the figures;
    returns (delivery seconds, all delivered, other processes busy, batch id)."""
    reset(app, r)
    batch_id, enq, jobs = enqueue(app, group_id, r)
    print(f"  enqueue (notify + commit): {enq:.2f}s = {count / enq:,.0f} notices/s, {jobs} jobs queued")
    elapsed, logs, (cpu, busy) = run_workers(n, app_spec, logdir, tag)
    ok, detail = check(app, batch_id, count)
    split = ", ".join(str(jobs_done(p)) for p in logs)
    print(f"  {n} worker{'s' if n > 1 else ' '}: deliver {elapsed:6.2f}s = {count / elapsed:8,.0f} notices/s"
          f"  {'OK' if ok else 'INCOMPLETE'}  (jobs per worker: {split})")
    print(f"    {cpu}")
    if not ok:
        print(f"    {detail}")
    left = r.llen("rq:queue:gentou")
    if left:
        print(f"    {left} jobs left in the queue")
    return elapsed, ok, busy, batch_id


def worker_startup(app_spec: str, logdir: str) -> float:
    """Seconds for one burst worker to start, find the queue empty and exit: the fixed cost per run."""
    elapsed, _, _ = run_workers(1, app_spec, logdir, "empty")
    return elapsed


def bench(label: str, url: str, redis_url: str, count: int, repeat: int) -> None:
    print(f"\n== {label}: {count} notices, {CHUNK} per job, workers {'/'.join(map(str, WORKER_COUNTS))} ==")
    r = redis.Redis.from_url(redis_url)
    r.flushdb()
    config = app_config(url, redis_url)
    app = create_app(config, plugins=[])
    app_spec = f"core:create_app({config!r}, plugins=[])"
    try:
        group_id = seed(app, count)
        vacuum(app)
        with tempfile.TemporaryDirectory(prefix="gentou-bench-notices-") as logdir:
            startup = worker_startup(app_spec, logdir)
            print(f"  worker fixed cost (start, empty queue, exit): {startup:.2f}s")
            times, batch_id, all_ok, disturbed = {}, None, True, 0
            for attempt in range(repeat):  # 1 and 2 workers alternate, so passing load hits both alike
                for n in WORKER_COUNTS:
                    elapsed, ok, busy, batch_id = deliver_once(app, r, group_id, count, n, app_spec, logdir,
                                                               f"w{n}-{attempt}")
                    times[n] = min(times.get(n, elapsed), elapsed)
                    all_ok, disturbed = all_ok and ok, disturbed + bool(busy)
            if repeat > 1:
                print(f"  best of {repeat}: " + ", ".join(f"{n} worker{'s' if n > 1 else ''} {times[n]:.2f}s = "
                                                     f"{count / times[n]:,.0f} notices/s" for n in WORKER_COUNTS))
            base = bare_inserts(app, group_id, batch_id)
            print(f"  bare inserts: {base:.2f}s = {count / base:,.0f} rows/s ({-(-count // CHUNK)} commits)")
            ratio = times[1] / times[2] if times[2] else 0.0
            verdict = ("PASS" if ratio >= TARGET else "FAIL") if all_ok else "FAIL (a run did not deliver everything)"
            print(f"  ratio 2 workers / 1 worker = {ratio:.2f}   target >= {TARGET}: {verdict}")
            net = [times[n] - startup for n in WORKER_COUNTS]
            if net[1] > 0:
                print(f"    (less the worker fixed cost: {net[0] / net[1]:.2f})")
            for n in WORKER_COUNTS:
                print(f"  delivery time / bare inserts, {n} worker{'s' if n > 1 else ' '} = {times[n] / base:.1f}")
            if disturbed:
                print(f"  WARNING: other processes used the CPUs during {disturbed} of {repeat * len(WORKER_COUNTS)}"
                      " runs (everything else > workers): the ratio is unreliable; rerun on a quiet machine")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        r.flushdb()
        r.close()


def run_sqlite(redis_url: str, count: int, repeat: int) -> None:
    on_sqlite(lambda label, url: bench(label, url, redis_url, count, repeat))


def run_postgres(redis_url: str, count: int, repeat: int) -> None:
    on_postgres(PG_SCHEMA, lambda label, url: bench(label, url, redis_url, count, repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--count", type=int, default=10_000, help="notices (and users) per run (default 10000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count, the best counts (default 1)")
    parser.add_argument("--redis", default=REDIS_URL, help=f"Redis URL, a db of its own (default {REDIS_URL})")
    args = parser.parse_args()
    if args.count < 1 or not 1 <= args.repeat <= 20:
        parser.error("--count must be positive and --repeat between 1 and 20")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"cpus {os.cpu_count()}, load average {load}, Python {sys.version.split()[0]}"
          " (other processes on the machine skew the ratio: see 'everything else' cpu per run)")
    try:
        redis.Redis.from_url(args.redis).ping()
    except redis.RedisError as exc:
        print(f"Redis at {args.redis} unreachable: {exc}")
        return
    if args.db == "sqlite":
        run_sqlite(args.redis, args.count, args.repeat)
    else:
        run_postgres(args.redis, args.count, args.repeat)


if __name__ == "__main__":
    main()
