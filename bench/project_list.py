"""Benchmark: request cost of signed-in pages against a plain Flask route, served the same way.

Builds the app on SQLite (temp file) and/or PostgreSQL (schema ``gentou_bench`` in database ``test``,
dropped at the end), seeds one group with 500 projects and 5,000 users, one project of which has 1,000
partners (立项 with a peak and tier ratios, 认购 and 测算 done). Serves, one after the other, a plain Flask
app (one route returning "ok") and the Gentou app, each with waitress (4 threads) in this process, and
loads each route from wrk, a separate process (2 threads, 4 connections), signed in by cookie. Prints
requests/second per route and its ratio to the plain route, against the targets:

    host's bare route (/_bench/bare: "ok" through the host's request hooks)   >= 0.5 x plain
    (the same route signed out is printed beside it)
    项目维护 (/admin/projects) and 账号及角色 (/admin/users)                   >= 0.2 x plain
    the partner's 个人中心 and 认购明细 (project of 1,000 partners)             >= 0.1 x plain

These are the pages as a user sees them on a second visit: the signed-in user and the lists are kept by
the process while their tables are unwritten (core.signins, fragments.cached_rows). The same pages are then
measured on an app that keeps neither (SIGNIN_CACHE_SECONDS and LIST_CACHE_SECONDS 0), as on a first visit
or right after a write: printed without a target.

    .venv/bin/python bench/project_list.py [--db sqlite|postgres|both] [--seconds N]

A benchmark, not a test: it prints figures and always exits 0 unless the harness breaks (a route that
does not answer 200 signed in, or wrk missing: ``./dev.sh setup`` installs it).
"""
from __future__ import annotations

import argparse
import errno
import logging
import re
import shutil
import subprocess
import sys
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import requests
import sqlalchemy as sa
import waitress
from flask import Flask
from werkzeug.security import generate_password_hash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core import create_app  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Batch, Company, Project, User  # noqa: E402
from core.modules import enable  # noqa: E402
from core.tenancy import tenant  # noqa: E402
from plugins.subscription import services  # noqa: E402
from plugins.subscription.models import Initiation, Subscription, TierRatio  # noqa: E402
from plugins.subscription.payments import today  # noqa: E402
from _common import new_group, on_postgres, on_sqlite  # noqa: E402  (bench/ is the script's folder)

PG_SCHEMA = "gentou_bench"
PASSWORD = "bench-password-1"
ADMIN, ACCOUNTANT, PARTNER = "bench0000", "bench0001", "bench0002"
PARTNERS = 1000
THREADS, CONNECTIONS = 2, 4
TIMEOUT = 10  # seconds, per request
USER_AGENT = "gentou-bench"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RPS_RE = re.compile(r"Requests/sec:\s+([\d.]+)")
NON_2XX_RE = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
SOCKET_ERRORS_RE = re.compile(r"Socket errors:.*")


def build_app(url: str, **config) -> Flask:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": None, **config},
                     plugins=["plugins.subscription"])
    app.add_url_rule("/_bench/bare", "bench_bare", lambda: "ok")
    return app


def plain_app() -> Flask:
    app = Flask("plain")
    app.add_url_rule("/", "plain", lambda: "ok")
    return app


def seed(app: Flask) -> int:
    """Seed the group; return the id of the project with the partners."""
    with app.app_context():
        group = new_group()
        enable(group.id, "subscription", actor="bench")
        db.session.commit()
        with tenant(group.id):
            companies = [Company(name=f"{r}城市公司", kind="city", region=r) for r in ("华东", "华南", "华北", "西南")]
            companies += [Company(name=f"直属项目公司{i}", kind="direct", region="华中") for i in range(2)]
            batches = [Batch(name=f"20{10 + i // 12}年{i % 12 + 1}月") for i in range(20)]
            db.session.add_all(companies + batches)
            db.session.flush()
            projects = [Project(code=f"P{i:04d}", name=f"基准项目{i:04d}", company_id=companies[i % len(companies)].id,
                                batch_id=batches[i % len(batches)].id, is_open=True, operator="lead",
                                acquisition_method="招拍挂") for i in range(500)]
            db.session.add_all(projects)
            password_hash = generate_password_hash(PASSWORD)
            db.session.execute(sa.insert(User), [
                {"group_id": group.id, "username": f"bench{i:04d}", "name": f"用户{i:04d}",
                 "company_id": companies[0].id, "password_hash": password_hash} for i in range(5000)])
            users = {u.username: u for u in db.session.scalars(sa.select(User).where(
                User.username.in_([ADMIN, ACCOUNTANT])))}
            users[ADMIN].set_roles(["admin"])
            users[ACCOUNTANT].set_roles(["business_admin"])
            project = projects[0]
            db.session.flush()
            db.session.add(Initiation(project_id=project.id, capital_peak=Decimal("100000000.00")))
            db.session.add_all(TierRatio(project_id=project.id, tier=t, ratio=Decimal(r))
                               for t, r in (("holding", "0.5"), ("realestate", "3"), ("city", "0.6"),
                                            ("other", "0.2")))
            partner_ids = db.session.scalars(sa.select(User.id).order_by(User.id).offset(2).limit(PARTNERS)).all()
            db.session.execute(sa.insert(Subscription), [
                {"group_id": group.id, "token": uuid.uuid4().hex, "project_id": project.id, "user_id": uid,
                 "tier": ("holding", "realestate", "city", "other")[i % 4], "min_amount": Decimal("1000.00"),
                 "max_amount": Decimal("1000000.00"), "deadline": today(),
                 "subscribed_amount": Decimal(10_000 + i * 7).quantize(Decimal("0.01"))}
                for i, uid in enumerate(partner_ids)])
            db.session.flush()
            services.propose(db.session.get(Project, project.id))
            db.session.commit()
            return project.id


def serve(app: Flask):
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" noise under load
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=_run, args=(server,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


def _run(server) -> None:
    try:
        server.run()
    except OSError as exc:  # stop() closed the listening socket under the loop's select()
        if exc.errno != errno.EBADF:
            raise


def stop(server) -> None:
    server.task_dispatcher.shutdown()  # let in-flight requests finish before closing the sockets
    server.close()


def sign_in(base: str, username: str) -> str:
    """Sign in through /login; return the Cookie header value of the session. Signed in with wrk's user agent:
    the session is bound to it (Flask-Login's session protection marks a session from another agent not
    fresh, and so rewrites its cookie on every request, which a browser never sees)."""
    s = requests.Session()
    s.headers["User-Agent"] = USER_AGENT
    page = s.get(f"{base}/login", timeout=TIMEOUT)
    token = CSRF_RE.search(page.text)
    if not token:
        raise RuntimeError("no csrf_token on /login")
    r = s.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
               timeout=TIMEOUT)
    if r.status_code != 200 or not r.history or r.url.split("?")[0].endswith("/login"):
        raise RuntimeError(f"sign-in of {username} failed: status {r.status_code}, landed on {r.url}")
    return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


def load(url: str, cookie: str | None, seconds: float) -> float:
    """Requests/second wrk reaches on ``url``; the route must answer 200 to every request."""
    check = requests.get(url, headers={"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})},
                         timeout=TIMEOUT, allow_redirects=False)
    if check.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {check.status_code} {check.headers.get('Location', '')}")
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds:g}s", f"--timeout={TIMEOUT}s",
               "-H", f"User-Agent: {USER_AGENT}", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    bad = NON_2XX_RE.search(out)
    errors = SOCKET_ERRORS_RE.search(out)
    if bad or errors:
        raise RuntimeError(f"{url}: {bad.group(0) if bad else ''} {errors.group(0) if errors else ''}")
    return float(RPS_RE.search(out).group(1))


def bench(label: str, url: str, seconds: float) -> None:
    print(f"\n== {label} ==")
    server, base = serve(plain_app())
    try:
        load(base + "/", None, 1)  # warm-up
        plain = load(base + "/", None, seconds)
    finally:
        stop(server)
    print(f"  {'plain Flask route':<24} {'/':<44} {plain:8.1f} req/s")

    app = build_app(url)
    project_id = seed(app)
    try:
        _measure(app, project_id, plain, seconds, kept=True)
        _measure(build_app(url, SIGNIN_CACHE_SECONDS=0, LIST_CACHE_SECONDS=0), project_id, plain, seconds, kept=False)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _measure(app: Flask, project_id: int, plain: float, seconds: float, kept: bool) -> None:
    if not kept:
        print("  -- nothing kept between requests (first visit; right after a write) --")
    server, base = serve(app)
    try:
        admin, accountant, partner = (sign_in(base, u) for u in (ADMIN, ACCOUNTANT, PARTNER))
        routes = [
            ("bare route, signed out", "/_bench/bare", None, None),
            ("host's bare route", "/_bench/bare", admin, 0.5),
            ("项目维护", "/admin/projects", admin, 0.2),
            ("项目维护 page 10", "/admin/projects?page=10", admin, 0.2),
            ("账号及角色", "/admin/users", admin, 0.2),
            ("partner 个人中心", "/me/messages", partner, 0.1),
            ("partner home (待办)", "/", partner, 0.1),
            ("partner 认购明细", "/subscription/me", partner, 0.1),
            ("认购明细 1,000 partners", f"/subscription/projects/{project_id}/subscriptions", accountant, None),
        ]
        if not kept:
            routes = routes[1:-1]
        for _name, path, cookie, _target in routes:
            load(base + path, cookie, 1)  # warm-up: templates, connection pool, translations
        for name, path, cookie, target in routes:
            rps = load(base + path, cookie, seconds)
            ratio = rps / plain
            target = target if kept else None
            verdict = f"target >= {target}: {'PASS' if ratio >= target else 'FAIL'}" if target else "(no target)"
            print(f"  {name:<24} {path:<44} {rps:8.1f} req/s  {ratio:5.3f} x plain  {verdict}")
    finally:
        stop(server)
        if not kept:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration per route (default 5)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: ./dev.sh setup installs it (Debian package wrk)")
    print(f"wrk -t{THREADS} -c{CONNECTIONS}, waitress threads=4, {args.seconds:g}s per route")
    if args.db in ("sqlite", "both"):
        on_sqlite(lambda label, url: bench(label, url, args.seconds))
    if args.db in ("postgres", "both"):
        on_postgres(PG_SCHEMA, lambda label, url: bench(label, url, args.seconds))


if __name__ == "__main__":
    main()
