"""Benchmark: agreement rendering (WeasyPrint), sealing (pyHanko) and 批量生成 with 1 and 2 RQ workers.

Single document, with ``core.documents`` directly, on the built-in template
(plugins/agreements/documents/agreement/template.html + theme.css) and the demo partner
(``context.demo()``): the median of N runs (after one warm-up) of

* bare    — ``html_to_pdf(html, css)`` on HTML rendered once beforehand (WeasyPrint only);
* render  — ``render_html`` + ``html_to_pdf``;
* render + seal — that plus ``documents.seal`` with a generated seal (``make_seal_certificate``);
* seal    — the ``documents.seal`` step of those runs alone.

Prints the medians, render / bare, (render + seal) / bare and seal / bare. The issue's target
"seal overhead <= 1.2 x bare render" is applied to (render + seal) / bare.

Batch: builds the app with the subscription and agreements plugins on PostgreSQL (schema
``gentou_bench_agreements`` in database ``test``, dropped at the end) or SQLite (temp file), seeds
one group with both modules enabled, one project (initiation, tier ratio), N partners with a
confirmed investment (default 500), a generated seal and the built-in template, then does what
批量生成 (views/staff.py generate_all) does: one GenerationBatch, N GenerationItems and N
``agreements.generate_item`` jobs enqueued on commit (Redis db 13, flushed before and after).
It then starts W ``flask gentou worker --burst`` processes and times them until all have exited,
checks that every item is "done" and every agreement file exists, resets (agreements, items,
batch, files, Redis) and repeats with the next W (``--rounds``: alternating, medians). Prints
agreements/s for 1 and 2 workers, their ratio (target >= 1.7), the workers' CPU seconds (also as
a share of their wall time) and how busy the machine's cores were during and just before each
run: other processes' load skews the ratio, and a warning says so. The time of a worker that
starts on an empty queue (imports + create_app) is printed for reference; it is
included in the batch times.

    .venv/bin/python bench/agreements.py [--db postgres|sqlite] [--count N] [--rounds N] [--repeat N]
                                         [--skip-single] [--skip-batch] [--profile]

``--profile`` adds cProfile reports of one render + seal and of 20 ``generate_item`` jobs run in
this process. A benchmark, not a test: it prints figures and always exits 0 unless the harness
breaks.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import redis
import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from core import create_app, documents  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Company, Project, User  # noqa: E402
from core.tenancy import tenant  # noqa: E402
from _common import new_group, on_postgres, on_sqlite  # noqa: E402  (bench/ is the script's folder)

PG_SCHEMA = "gentou_bench_agreements"
REDIS_URL = "redis://127.0.0.1:6379/13"
PLUGINS = ["plugins.subscription", "plugins.agreements"]
DOCUMENT = REPO / "plugins" / "agreements" / "documents" / "agreement"
WORKERS = (1, 2)
SEAL_TARGET = 1.2     # (render + seal) / bare, at most
SCALING_TARGET = 1.7  # agreements/s with 2 workers / with 1 worker, at least
WORKER_TIMEOUT = 3600  # seconds, per batch run
BUSY_WARNING = 25  # percent of the machine's cores busy before a batch run: others' load skews it
PROFILE_JOBS = 20
PROFILE_LINES = 25
PASSPHRASE = b"bench-seal-passphrase"


def config(url: str, agreement_dir: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": REDIS_URL,
            "AGREEMENT_DIR": agreement_dir}


def build_app(url: str, agreement_dir: str):
    return create_app(config(url, agreement_dir), plugins=PLUGINS)


def profile_report(profiler: cProfile.Profile, what: str) -> None:
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(PROFILE_LINES)
        lines = out.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        print(f"\n  cProfile of {what}, top {PROFILE_LINES} by {key}:")
        for line in lines[max(start - 4, 0):]:
            if line.strip():
                print("    " + line)


# Single document ------------------------------------------------------------------------------------

def single(repeat: int, profile: bool) -> None:
    from plugins.agreements import context

    print("\n== One agreement (core.documents, built-in template, demo partner) ==")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench", "REDIS_URL": None},
                     plugins=PLUGINS)
    source = (DOCUMENT / "template.html").read_text(encoding="utf-8")
    css = (DOCUMENT / "theme.css").read_text(encoding="utf-8")
    with app.app_context():
        values = context.demo()
        html = documents.render_html(source, values)
        p12, _pem = documents.make_seal_certificate("基准集团", PASSPHRASE)
        reason = "基准集团 事业合伙协议 GT-0003-000002-01"

        def bare() -> float:
            t0 = time.perf_counter()
            documents.html_to_pdf(html, css)
            return time.perf_counter() - t0

        def render() -> float:
            t0 = time.perf_counter()
            documents.html_to_pdf(documents.render_html(source, values), css)
            return time.perf_counter() - t0

        def render_seal() -> tuple[float, float, int, int]:
            t0 = time.perf_counter()
            pdf = documents.html_to_pdf(documents.render_html(source, values), css)
            t1 = time.perf_counter()
            sealed = documents.seal(pdf, p12, PASSPHRASE, reason=reason)
            t2 = time.perf_counter()
            return t2 - t0, t2 - t1, len(pdf), len(sealed)

        warm = time.perf_counter()
        bare(), render(), render_seal()  # fonts, WeasyPrint and pyHanko imports and caches
        print(f"  warm-up (one of each, first in the process) {time.perf_counter() - warm:.2f}s")
        runs = {"bare": [], "render": [], "render+seal": [], "seal": []}
        sizes = (0, 0)
        for _ in range(repeat):  # interleaved, so that drift in the machine's load hits all alike
            runs["bare"].append(bare())
            runs["render"].append(render())
            both, seal_only, *sizes = render_seal()
            runs["render+seal"].append(both)
            runs["seal"].append(seal_only)
        med = {k: statistics.median(v) for k, v in runs.items()}
        print(f"  median of {repeat} runs (PDF {sizes[0] / 1024:.0f} KiB, sealed {sizes[1] / 1024:.0f} KiB):")
        for name, label in (("bare", "bare WeasyPrint (html_to_pdf)"), ("render", "render (render_html + html_to_pdf)"),
                            ("render+seal", "render + seal"), ("seal", "seal alone (documents.seal)")):
            print(f"    {label:<38} {med[name]:7.3f}s  (min {min(runs[name]):.3f}, max {max(runs[name]):.3f})")
        ratio = med["render+seal"] / med["bare"]
        print(f"  ratio render / bare          = {med['render'] / med['bare']:.3f}")
        print(f"  ratio seal alone / bare      = {med['seal'] / med['bare']:.3f}")
        print(f"  ratio (render + seal) / bare = {ratio:.3f}   target <= {SEAL_TARGET} "
              f"(applied to (render + seal) / bare): {'PASS' if ratio <= SEAL_TARGET else 'FAIL'}")
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            pdf = documents.html_to_pdf(documents.render_html(source, values), css)
            documents.seal(pdf, p12, PASSPHRASE, reason=reason)
            profiler.disable()
            profile_report(profiler, "one render + seal")


# Batch ----------------------------------------------------------------------------------------------

def seed(app, count: int) -> tuple[int, int]:
    """Group, project, N partners with a confirmed investment, seal, template; (group id, project id)."""
    from core.modules import enable
    from plugins.agreements import services
    from plugins.subscription.models import Initiation, Subscription, TierRatio

    started = time.perf_counter()
    with app.app_context():
        group = new_group()
        with tenant(group.id):
            enable(group.id, "agreements", actor="bench")  # and subscription, its dependency
            company = Company(name="华东城市公司", kind="city", region="华东")
            db.session.add(company)
            db.session.flush()
            project = Project(code="P0001", name="基准项目", company_id=company.id, is_open=True,
                              operator="lead", acquisition_method="招拍挂", land_acquired_on=dt.date(2019, 10, 21))
            db.session.add(project)
            db.session.flush()
            db.session.add(Initiation(project_id=project.id, capital_peak=Decimal("30000000.00"),
                                      financing_ratio=Decimal("40"), financing_rate=Decimal("6"),
                                      payee_name="泰安锦艺置业有限公司", payee_bank="建设银行泰安分行",
                                      payee_account="3705 0166 0001 0000 1234", payment_deadline=dt.date(2030, 1, 31)))
            db.session.add(TierRatio(project_id=project.id, tier="realestate", ratio=Decimal("3.310")))
            password_hash = "pbkdf2:sha256:600000$bench$" + "0" * 64  # one shared string; never checked
            db.session.execute(sa.insert(User), [
                {"group_id": group.id, "username": f"p{i:05d}", "name": f"合伙人{i:05d}", "company_id": company.id,
                 "mobile": f"138{i:08d}", "password_hash": password_hash} for i in range(count)])
            user_ids = db.session.scalars(sa.select(User.id).where(User.username.like("p%"))
                                          .order_by(User.username)).all()
            db.session.execute(sa.insert(Subscription), [
                {"group_id": group.id, "token": uuid.uuid4().hex, "project_id": project.id, "user_id": uid,
                 "tier": "realestate", "min_amount": Decimal("1.00"), "max_amount": Decimal("9999999.00"),
                 "deadline": dt.date(2030, 1, 1), "subscribed_amount": Decimal("288940.00"),
                 "subscribed_at": dt.datetime(2030, 1, 1, 9, 0), "investment": Decimal("288940.00"),
                 "self_funded": Decimal("173364.00"), "financed": Decimal("115576.00"), "share": Decimal("0.963133")}
                for uid in user_ids])
            services.generate_seal(group)
            services.current_template(group.id)  # version 1 exists, as after the first agreement or preview
            db.session.commit()
            ids = group.id, project.id
    print(f"  seeded {count} confirmed partners in {time.perf_counter() - started:.1f}s")
    return ids


def enqueue_batch(app, group_id: int, project_id: int) -> int:
    """What 批量生成 does: one batch, one item per confirmed partner, one job per item (on commit)."""
    from core.jobs import enqueue
    from core.models.user import utcnow
    from plugins.agreements.models import GenerationBatch, GenerationItem
    from plugins.subscription.models import Subscription

    with app.app_context(), tenant(group_id):
        ids = db.session.scalars(db.select(Subscription.id).where(Subscription.project_id == project_id,
                                                                  Subscription.investment > 0)).all()
        batch = GenerationBatch(project_id=project_id, created_at=utcnow(), created_by="bench")
        db.session.add(batch)
        db.session.flush()
        items = [GenerationItem(batch_id=batch.id, subscription_id=i) for i in ids]
        db.session.add_all(items)
        db.session.flush()
        for item in items:
            enqueue("agreements.generate_item", group_id, item_id=item.id)
        db.session.commit()  # the jobs go to Redis now
        return len(items)


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def machine_busy(seconds: float = 2.0) -> float:
    """Percent of the machine's cores busy over ``seconds`` (other processes; this one sleeps)."""
    busy0, total0 = cpu_ticks()
    time.sleep(seconds)
    busy1, total1 = cpu_ticks()
    return 100 * (busy1 - busy0) / max(total1 - total0, 1)


def start_workers(n: int, spec: str, log_dir: Path, tag: str) -> list[tuple[subprocess.Popen, Path]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DATABASE_URL", None)
    procs = []
    for i in range(n):
        log = log_dir / f"worker-{tag}-{i}.log"
        with log.open("wb") as out:
            command = [sys.executable, "-m", "flask", "--app", spec, "gentou", "worker", "--burst"]
            procs.append((subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT), log))
    return procs


def wait_workers(procs) -> list[tuple[int, float, Path]]:
    """Wait for every worker (killed after WORKER_TIMEOUT seconds): [(exit code, CPU seconds, log)]."""
    deadline = time.monotonic() + WORKER_TIMEOUT
    results = []
    for proc, log in procs:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()  # ours, by pid; reaped on the next turn
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        results.append((proc.returncode, usage.ru_utime + usage.ru_stime, log))
    return results


def check_batch(app, group_id: int, expected: int) -> tuple[int, list[str]]:
    """(items done, problems): states other than done, their errors, missing or extra files."""
    from plugins.agreements import services
    from plugins.agreements.models import Agreement, GenerationItem

    problems = []
    with app.app_context(), tenant(group_id):
        states = dict(db.session.execute(db.select(GenerationItem.state, db.func.count())
                                         .group_by(GenerationItem.state)).all())
        done = states.get("done", 0)
        if done != expected or len(states) != 1:
            problems.append(f"items by state: {states} (expected {expected} done)")
        errors = db.session.execute(db.select(GenerationItem.error, db.func.count()).where(
            GenerationItem.state == "failed").group_by(GenerationItem.error)).all()
        problems += [f"failed x{n}: {error}" for error, n in errors]
        agreements = db.session.scalars(db.select(Agreement)).all()
        missing = sum(not services.path_of(a).is_file() for a in agreements)
        if len(agreements) != expected or missing:
            problems.append(f"{len(agreements)} agreements, {missing} files missing (expected {expected})")
        db.session.remove()
    return done, problems


def reset(app, group_id: int, agreement_dir: Path, connection: redis.Redis) -> None:
    from plugins.agreements.models import Agreement, GenerationBatch, GenerationItem

    with app.app_context(), tenant(group_id):
        for model in (Agreement, GenerationItem, GenerationBatch):
            db.session.execute(sa.delete(model.__table__))
        db.session.commit()
        db.session.remove()
    shutil.rmtree(agreement_dir / str(group_id), ignore_errors=True)
    connection.flushdb()


def profile_jobs(app, group_id: int, project_id: int) -> None:
    """cProfile of PROFILE_JOBS generate_item jobs run here, as a worker runs them (core.jobs.perform)."""
    from core.jobs import perform
    from plugins.agreements.models import GenerationItem

    enqueue_batch(app, group_id, project_id)  # the jobs also go to Redis; reset() flushes them
    with app.app_context(), tenant(group_id):
        item_ids = db.session.scalars(db.select(GenerationItem.id).order_by(GenerationItem.id)
                                      .limit(PROFILE_JOBS + 1)).all()
        db.session.remove()
    with app.app_context():  # warm-up job: fonts, imports
        perform("agreements.generate_item", group_id, {"item_id": item_ids[0]})
    profiler = cProfile.Profile()
    started = time.perf_counter()
    for item_id in item_ids[1:]:
        with app.app_context():
            profiler.enable()
            perform("agreements.generate_item", group_id, {"item_id": item_id})
            profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"\n  {len(item_ids) - 1} generate_item jobs in this process: {elapsed:.2f}s "
          f"({elapsed / (len(item_ids) - 1):.3f}s each, under cProfile)")
    profile_report(profiler, f"{len(item_ids) - 1} generate_item jobs")


def batch_run(app, group_id: int, project_id: int, n: int, spec: str, tmp_path: Path, agreement_dir: Path,
              connection: redis.Redis, tag: str) -> float:
    """One 批量生成 of every partner's agreement with ``n`` workers, checked and reset; agreements/s."""
    enqueued = enqueue_batch(app, group_id, project_id)
    before = machine_busy()
    queued = connection.llen("rq:queue:gentou")
    busy0, total0 = cpu_ticks()
    t0 = time.perf_counter()
    results = wait_workers(start_workers(n, spec, tmp_path, tag))
    elapsed = time.perf_counter() - t0  # from the first worker's start to the last one's exit
    busy1, total1 = cpu_ticks()
    done, problems = check_batch(app, group_id, enqueued)
    rate = done / elapsed
    worker_cpu = sum(r[1] for r in results)
    print(f"  {n} worker{'s' if n > 1 else ' '}  {elapsed:7.1f}s  {rate:6.2f} agreements/s  "
          f"({done}/{enqueued} done, {queued} jobs queued; workers' CPU {worker_cpu:.1f}s = "
          f"{worker_cpu / done if done else 0:.3f}s per agreement, {100 * worker_cpu / (n * elapsed):.0f}% of their "
          f"wall time; machine's cores "
          f"{100 * (busy1 - busy0) / max(total1 - total0, 1):.0f}% busy, {before:.0f}% just before)")
    if before > BUSY_WARNING:
        print(f"    warning: the machine was {before:.0f}% busy with other work before this run; "
              "its figure is not reliable")
    for code, _cpu, log in results:
        if code != 0:
            problems.append(f"worker exited {code}; last lines of {log.name}:\n"
                            + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
    for problem in problems:
        print(f"    problem: {problem}")
    reset(app, group_id, agreement_dir, connection)
    return rate


def batch(label: str, url: str, count: int, rounds: int, profile: bool) -> None:
    print(f"\n== Batch generation (批量生成), {label}, {count} agreements ==")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError as exc:
        print(f"  skipped: Redis unavailable at {REDIS_URL} ({exc})")
        return
    connection.flushdb()
    with tempfile.TemporaryDirectory(prefix="gentou-bench-agreements-") as tmp:
        tmp_path = Path(tmp)
        agreement_dir = tmp_path / "agreements"
        spec = f"core:create_app({config(url, str(agreement_dir))!r}, plugins={PLUGINS!r})"
        app = build_app(url, str(agreement_dir))
        try:
            group_id, project_id = seed(app, count)
            t0 = time.perf_counter()
            (code, cpu, _log), = wait_workers(start_workers(1, spec, tmp_path, "empty"))
            print(f"  one worker on an empty queue (start-up, included below): {time.perf_counter() - t0:.2f}s "
                  f"wall, {cpu:.2f}s CPU, exit {code}")
            rates: dict[int, list[float]] = {n: [] for n in WORKERS}
            for round_no in range(rounds):
                order = WORKERS if round_no % 2 == 0 else WORKERS[::-1]  # alternate, so drift hits both
                for n in order:
                    rates[n].append(batch_run(app, group_id, project_id, n, spec, tmp_path, agreement_dir,
                                              connection, f"{n}-{round_no}"))
            one, two = (statistics.median(rates[n]) for n in WORKERS)
            ratio = two / one if one else 0.0
            if rounds > 1:
                print(f"  median of {rounds} rounds: 1 worker {one:.2f}, 2 workers {two:.2f} agreements/s")
            print(f"  ratio 2 workers / 1 worker = {ratio:.3f}   target >= {SCALING_TARGET}: "
                  f"{'PASS' if ratio >= SCALING_TARGET else 'FAIL'}  ({os.cpu_count()} cores; the database, "
                  f"Redis and this process share them)")
            if profile:
                profile_jobs(app, group_id, project_id)
                reset(app, group_id, agreement_dir, connection)
        finally:
            connection.flushdb()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def run_sqlite(count: int, rounds: int, profile: bool) -> None:
    on_sqlite(lambda label, url: batch(label, url, count, rounds, profile))


def run_postgres(count: int, rounds: int, profile: bool) -> None:
    on_postgres(PG_SCHEMA, lambda label, url: batch(label, url, count, rounds, profile))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--count", type=int, default=500, help="agreements in the batch (default 500)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="batch runs per worker count, alternating 1 and 2; medians (default 1)")
    parser.add_argument("--repeat", type=int, default=15, help="timed single-document runs (default 15)")
    parser.add_argument("--skip-single", action="store_true", help="only the batch")
    parser.add_argument("--skip-batch", action="store_true", help="only the single-document figures")
    parser.add_argument("--profile", action="store_true",
                        help=f"cProfile one render + seal and {PROFILE_JOBS} generate_item jobs")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; single document: 1 warm-up + {args.repeat} runs; batch: {args.count} "
          f"agreements with {' and '.join(map(str, WORKERS))} workers on {args.db}")
    if not args.skip_single:
        single(args.repeat, args.profile)
    if not args.skip_batch:
        (run_sqlite if args.db == "sqlite" else run_postgres)(args.count, max(args.rounds, 1), args.profile)


if __name__ == "__main__":
    main()
