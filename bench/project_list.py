"""Benchmark: throughput of the 项目维护 list (/admin/projects) against a bare Flask route.

Builds the app on SQLite (temp file) and/or PostgreSQL (schema ``gentou_bench`` in database
``test``, dropped at the end), seeds one group with 500 projects and 5,000 users, serves it
with waitress (4 threads) and drives each route for N seconds from 4 signed-in clients.
Prints requests/second, the ratio project list / bare, and whether it meets the 0.3 target.

    .venv/bin/python bench/project_list.py [--db sqlite|postgres|both] [--seconds N]

A benchmark, not a test: it prints figures and always exits 0 unless the harness breaks.
"""
from __future__ import annotations

import argparse
import logging
import re
import sys
import threading
import time
from pathlib import Path

import requests
import waitress
from werkzeug.security import generate_password_hash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core import create_app  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Batch, Company, GroupCompany, Project, User  # noqa: E402
from core.tenancy import tenant  # noqa: E402
from _common import on_postgres, on_sqlite  # noqa: E402  (bench/ is the script's folder)

PG_SCHEMA = "gentou_bench"
PASSWORD = "bench-password-1"
ADMIN = "bench0000"
CLIENTS = 4
MAX_REQUESTS_PER_CLIENT = 100_000
TIMEOUT = 10  # seconds, per request
TARGET = 0.3
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ROUTES = [("bare", "/_bench/bare"), ("projects p1", "/admin/projects"), ("projects p10", "/admin/projects?page=10")]


def build_app(url: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": None}, plugins=[])
    app.add_url_rule("/_bench/bare", "bench_bare", lambda: "ok")
    return app


def seed(app) -> None:
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        group = GroupCompany(code="BENCH", name="基准集团", short_name="基准")
        db.session.add(group)
        db.session.commit()
        with tenant(group.id):
            companies = [Company(name=f"{r}城市公司", kind="city", region=r) for r in ("华东", "华南", "华北", "西南")]
            companies += [Company(name=f"直属项目公司{i}", kind="direct", region="华中") for i in range(2)]
            batches = [Batch(name=f"20{10 + i // 12}年{i % 12 + 1}月") for i in range(20)]
            db.session.add_all(companies + batches)
            db.session.flush()
            db.session.add_all(
                Project(code=f"P{i:04d}", name=f"基准项目{i:04d}", company_id=companies[i % len(companies)].id,
                        batch_id=batches[i % len(batches)].id, is_open=True, operator="lead",
                        acquisition_method="招拍挂")
                for i in range(500))
            password_hash = generate_password_hash(PASSWORD)
            users = [User(username=f"bench{i:04d}", name=f"用户{i:04d}", password_hash=password_hash)
                     for i in range(5000)]
            db.session.add_all(users)
            db.session.flush()
            users[0].set_roles(["admin"])
            db.session.commit()
    print(f"  seeded in {time.perf_counter() - started:.1f}s")


def serve(app):
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" noise under load
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


def sign_in(base: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=TIMEOUT)
    page.raise_for_status()
    token = CSRF_RE.search(page.text)
    if not token:
        raise RuntimeError("no csrf_token on /login")
    r = s.post(f"{base}/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": token.group(1)},
               timeout=TIMEOUT)
    if r.status_code != 200 or not r.history or r.url.split("?")[0].endswith("/login"):
        raise RuntimeError(f"sign-in failed: status {r.status_code}, landed on {r.url}")
    return s


def drive(base: str, path: str, sessions: list[requests.Session], seconds: float) -> tuple[float, int, list[str]]:
    """Hit ``path`` from every session in parallel for ``seconds``; return (req/s, count, errors)."""
    counts, errors = [0] * len(sessions), []
    deadline = time.perf_counter() + seconds

    def client(i: int, s: requests.Session) -> None:
        while counts[i] < MAX_REQUESTS_PER_CLIENT and time.perf_counter() < deadline:
            try:
                r = s.get(base + path, timeout=TIMEOUT, allow_redirects=False)
                if r.status_code != 200:
                    errors.append(f"{path}: HTTP {r.status_code} {r.headers.get('Location', '')}")
            except requests.RequestException as exc:
                errors.append(f"{path}: {exc!r}")
            counts[i] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i, s)) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 2 * TIMEOUT)
    elapsed = time.perf_counter() - started
    return sum(counts) / elapsed, sum(counts), errors


def bench(label: str, url: str, seconds: float) -> None:
    print(f"\n== {label} ==")
    app = build_app(url)
    seed(app)
    server, base = serve(app)
    sessions = [sign_in(base) for _ in range(CLIENTS)]
    try:
        for s in sessions:  # warm-up: templates, connection pool, translations
            for _, path in ROUTES:
                s.get(base + path, timeout=TIMEOUT)
        rates = {}
        for name, path in ROUTES:
            rps, count, errors = drive(base, path, sessions, seconds)
            rates[name] = rps
            print(f"  {name:<13} {path:<26} {rps:8.1f} req/s  ({count} requests, {len(errors)} errors)")
            for err in sorted(set(errors))[:5]:
                print(f"    error: {err} (x{errors.count(err)})")
        for name in ("projects p1", "projects p10"):
            ratio = rates[name] / rates["bare"] if rates["bare"] else 0.0
            print(f"  ratio {name} / bare = {ratio:.3f}   target >= {TARGET}: {'PASS' if ratio >= TARGET else 'FAIL'}")
    finally:
        for s in sessions:
            s.close()
        server.task_dispatcher.shutdown()  # let in-flight requests finish before closing the sockets
        server.close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def run_sqlite(seconds: float) -> None:
    on_sqlite(lambda label, url: bench(label, url, seconds))


def run_postgres(seconds: float) -> None:
    on_postgres(PG_SCHEMA, lambda label, url: bench(label, url, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration per route (default 5)")
    args = parser.parse_args()
    print(f"{CLIENTS} clients, waitress threads=4, {args.seconds:g}s per route")
    if args.db in ("sqlite", "both"):
        run_sqlite(args.seconds)
    if args.db in ("postgres", "both"):
        run_postgres(args.seconds)


if __name__ == "__main__":
    main()
