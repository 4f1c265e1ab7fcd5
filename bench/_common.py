"""What the benchmarks share: running a measurement on a throw-away SQLite file or PostgreSQL schema."""
from __future__ import annotations

import os
import tempfile
from typing import Callable

import sqlalchemy as sa

PG_BASE = os.environ.get("GENTOU_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("GENTOU_BENCH_REDIS", "redis://127.0.0.1:6379/14")  # flushed by the benchmarks


def on_sqlite(run: Callable[[str, str], None]) -> None:
    """``run(label, url)`` on a temporary SQLite file."""
    with tempfile.TemporaryDirectory(prefix="gentou-bench-") as tmp:
        run("SQLite", f"sqlite:///{os.path.join(tmp, 'bench.db')}")


def on_postgres(schema: str, run: Callable[[str, str], None]) -> None:
    """``run(label, url)`` in a fresh schema of the local PostgreSQL, dropped afterwards (skipped, with a
    line saying so, when the server cannot be reached)."""
    admin = sa.create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))  # leftovers of an aborted run
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:
        print(f"\n== PostgreSQL == skipped: cannot connect ({str(exc).splitlines()[0]})")
        return
    try:
        run("PostgreSQL", f"{PG_BASE}?options=-csearch_path%3D{schema}")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def new_group():
    """Inside an app context: create the tables and the benchmark's group company (committed); return it."""
    from core.extensions import db
    from core.models import GroupCompany
    db.create_all()
    group = GroupCompany(code="BENCH", name="基准集团", short_name="基准")
    db.session.add(group)
    db.session.commit()
    return group
