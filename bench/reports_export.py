"""Benchmark: 事业合伙明细大表 (plugins/reports, 后台管理/辅助工具) exported for 10,000, 50,000 and 100,000 rows.

Per size a fresh database (SQLite temp file and/or a throw-away PostgreSQL schema, see bench/_common.py) is
seeded with N partners on 10 projects, each with a subscription, a payment and a line of an approved
distribution batch. The export is what the route runs: the rows streamed from one SELECT
(``services.all_rows``, yield_per) into an openpyxl write_only workbook (``excel.write_stream``). The
baseline, measured in the same run, is bare openpyxl write_only of rows of the same shape made by a
plain generator (no database, no formatting). Prints time and peak Python memory (tracemalloc) of
both, per size: the export's peak should stay flat as rows grow.

    .venv/bin/python bench/reports_export.py [--db sqlite|postgres|both] [--sizes 10000,50000,100000]

Time is measured on a run of its own; the peak on a second run under tracemalloc.

A benchmark, not a test: it prints figures and always exits 0 unless the harness breaks.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from openpyxl import Workbook  # noqa: E402

from core import create_app, roles  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Batch, Company, Project, User  # noqa: E402
from core.models.user import utcnow  # noqa: E402
from core.tenancy import tenant  # noqa: E402
from plugins.distribution.models import DistributionBatch, DistributionLine  # noqa: E402
from plugins.subscription.models import Initiation, Payment, Subscription  # noqa: E402
from _common import new_group, on_postgres, on_sqlite  # noqa: E402  (bench/ is the script's folder)

PROJECTS = 10
CHUNK = 5000
PLUGINS = ["plugins.subscription", "plugins.distribution", "plugins.reports"]


def build_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": None}, plugins=PLUGINS)


def amount(i: int) -> Decimal:
    return Decimal(100_000 + (i * 7919) % 1_900_000).scaleb(-2) * 10


def seed(app, rows: int) -> int:
    started = time.perf_counter()
    with app.app_context():
        group = new_group()
        with tenant(group.id):
            from core.modules import enable
            enable(group.id, "reports", actor="bench")
            company, batch = Company(name="华东城市公司", kind="city", region="华东"), Batch(name="2024年1月")
            db.session.add_all([company, batch])
            db.session.flush()
            projects = [Project(code=f"P{i:04d}", name=f"基准项目{i}", company_id=company.id, batch_id=batch.id)
                        for i in range(PROJECTS)]
            db.session.add_all(projects)
            db.session.flush()
            db.session.add_all(Initiation(project_id=p.id, capital_peak=Decimal("1000000000.00")) for p in projects)
            batches = [DistributionBatch(project_id=p.id, kind="principal", number=1, distributed_on=dt.date(2025, 6, 30),
                                         approved_at=utcnow()) for p in projects]
            db.session.add_all(batches)
            admin = User(username="admin", name="管理员", password_hash="x")
            db.session.add(admin)
            db.session.flush()
            admin.set_roles([roles.ADMIN])
            for start in range(0, rows, CHUNK):
                span = range(start, min(start + CHUNK, rows))
                db.session.execute(sa.insert(User), [{"group_id": group.id, "username": f"p{i:06d}",
                                                      "name": f"=合伙人{i:06d}", "password_hash": "x"} for i in span])
                ids = db.session.scalars(sa.select(User.id).where(User.username.in_([f"p{i:06d}" for i in span]))
                                         .order_by(User.username)).all()
                db.session.execute(sa.insert(Subscription), [
                    {"group_id": group.id, "token": f"t{uid}", "project_id": projects[i % PROJECTS].id, "user_id": uid,
                     "tier": "city", "min_amount": Decimal(0), "max_amount": amount(i), "deadline": dt.date(2030, 1, 1),
                     "subscribed_amount": amount(i), "investment": amount(i), "financed": Decimal(0),
                     "self_funded": amount(i)} for i, uid in zip(span, ids, strict=True)])
                subs = db.session.execute(sa.select(Subscription.id, Subscription.user_id, Subscription.project_id,
                                                    Subscription.investment)
                                          .where(Subscription.user_id.in_(ids))).all()
                db.session.execute(sa.insert(Payment), [
                    {"group_id": group.id, "subscription_id": s.id, "project_id": s.project_id,
                     "paid_on": dt.date(2024, 3, 1), "amount": s.investment, "recorded_by": "bench",
                     "recorded_at": dt.datetime(2024, 3, 1)} for s in subs])
                by_project = {p.id: b.id for p, b in zip(projects, batches)}
                db.session.execute(sa.insert(DistributionLine), [
                    {"group_id": group.id, "batch_id": by_project[s.project_id], "project_id": s.project_id,
                     "subscription_id": s.id, "user_id": s.user_id, "tier": "city", "principal": s.investment,
                     "interest": Decimal("-12.34"), "other": Decimal(0), "profit": Decimal("0.01")} for s in subs])
            db.session.commit()
            group_id, admin_id = group.id, admin.id
        if db.engine.dialect.name == "postgresql":
            # what autovacuum does after a bulk load: without statistics the planner takes the aggregated
            # payments and distributions for one row each and rescans them per partner (quadratic)
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
    print(f"  seeded {rows:,} rows in {time.perf_counter() - started:.1f}s")
    return group_id, admin_id


def measure(work) -> tuple[float, float, object]:
    """Seconds of one run, then the peak of a second run under tracemalloc (which slows it down)."""
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    os.unlink(result[0] if isinstance(result, tuple) else result)
    tracemalloc.start()
    result = work()
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    return seconds, peak, result


def baseline(rows: int, width: int) -> str:
    """Bare openpyxl write_only: the same number of rows and columns, made by a generator."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("baseline")
    sheet.append([f"列{c}" for c in range(width)])
    for i in range(rows):
        sheet.append([f"合伙人{i:06d}", f"p{i:06d}", f"基准项目{i % PROJECTS}", "华东城市公司", "2024年1月", "城市公司"]
                     + [amount(i)] * (width - 6))
    path = f"/tmp/gentou-bench-baseline-{os.getpid()}.xlsx"
    book.save(path)
    return path


def export(app, group_id: int, admin_id: int) -> tuple[str, int]:
    from plugins.reports import excel, services
    with app.test_request_context(), tenant(group_id):
        admin = db.session.get(User, admin_id)
        report = services.PartnerPositions(detailed=True)
        filters = services.Filters()
        _rows, totals, count = services.page(report, admin, filters, "", False, 1, 1)
        path = excel.write_stream(report.title, report.columns(), services.all_rows(report, admin, filters, "project"),
                                  totals, "合计")
        db.session.remove()
        return path, count


def run(label: str, url: str, rows: int) -> None:
    print(f"\n== {label}: {rows:,} rows ==")
    app = build_app(url)
    group_id, admin_id = seed(app, rows)
    seconds, peak, (path, count) = measure(lambda: export(app, group_id, admin_id))
    size = os.path.getsize(path) / 2 ** 20
    from openpyxl import load_workbook
    sheet = load_workbook(path, read_only=True).active
    width = len(next(sheet.iter_rows(max_row=1, values_only=True)))
    os.unlink(path)
    b_seconds, b_peak, b_path = measure(lambda: baseline(rows, width))
    os.unlink(b_path)
    assert count == rows, (count, rows)
    print(f"  export   {seconds:6.2f}s  peak {peak:6.1f} MiB  ({size:.1f} MiB file, {width} columns)")
    print(f"  baseline {b_seconds:6.2f}s  peak {b_peak:6.1f} MiB  (bare openpyxl write_only, no database)")
    print(f"  ratio    {seconds / b_seconds:6.2f}x time, {peak / max(b_peak, 0.01):.2f}x memory")
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--sizes", default="10000,50000,100000")
    args = parser.parse_args()
    for rows in (int(s) for s in args.sizes.split(",")):
        if args.db in ("sqlite", "both"):
            on_sqlite(lambda label, url: run(label, url, rows))
        if args.db in ("postgres", "both"):
            on_postgres("gentou_bench_reports", lambda label, url: run(label, url, rows))


if __name__ == "__main__":
    main()
