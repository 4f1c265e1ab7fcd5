"""Benchmark: 本金分配测算 and 利润分配测算 (plugins/distribution) for one project with 10,000 partners.

Builds the app on SQLite (temp file) and/or PostgreSQL (a throw-away schema, see bench/_common.py), seeds
one project past 事业合伙立项 and 实际资金峰值确认 with N partners (default 10,000) in the four tiers, each with a seeded random
investment, 40 % of it financed (配资) at 6 % a year, paid on a seeded random day of 2024, and one
principal batch and one profit batch (distribution date 2025-06-30; profit 123,456,789.01 at 37.5 %).
Per run the batch's figures are reset (plain UPDATE, untimed), then ``compute_principal`` / ``compute_profit``
+ flush are timed, and separately the commit. Prints the medians, the baseline (the same arithmetic as a
plain Decimal loop over the same numbers, no database), the ratio, whether each meets the 0.5 s target,
and checks that every stored figure equals the baseline's and each tier's profit adds up to its total.

    .venv/bin/python bench/distribution.py [--db sqlite|postgres|both] [--partners N] [--repeat N]

A benchmark, not a test: it prints figures and always exits 0 unless the harness breaks.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core import create_app  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Company, Project, User  # noqa: E402
from core.money import round_cents, split  # noqa: E402
from core.processes.models import APPROVED, ProcessInstance  # noqa: E402
from core.tenancy import tenant  # noqa: E402
from plugins.distribution import services  # noqa: E402
from plugins.distribution.models import DistributionBatch, DistributionLine  # noqa: E402
from plugins.subscription.models import TIERS, Initiation, Payment, Subscription, TierRatio  # noqa: E402
from _common import new_group, on_postgres, on_sqlite  # noqa: E402  (bench/ is the script's folder)

PG_SCHEMA = "gentou_bench_distribution"
SEED = 20251128
RATIOS = {"holding": Decimal("0.500"), "realestate": Decimal("3.310"), "city": Decimal("0.600"),
          "other": Decimal("0.200")}
FINANCING_RATIO, RATE = Decimal("40.000"), Decimal("6.000")
ON = dt.date(2025, 6, 30)
NET_PROFIT, SHARE = Decimal("123456789.01"), Decimal("37.500")
ZERO = Decimal("0.00")
TARGET = 0.5
CHUNK = 1000


def build_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": None},
                      plugins=["plugins.subscription", "plugins.distribution"])


def partners(count: int) -> list[tuple[str, Decimal, Decimal, dt.date]]:
    """(tier, investment, financed, paid on) per partner, in id order; the same for every run."""
    rng = random.Random(SEED)
    out = []
    for _ in range(count):
        amount = Decimal(rng.randint(100_000, 2_000_000)).scaleb(-2) * 10
        out.append((rng.choice(list(TIERS)), amount, round_cents(amount * FINANCING_RATIO / 100),
                    dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 365))))
    return out


def seed(app, plan) -> tuple[int, int, int, int]:
    started = time.perf_counter()
    with app.app_context():
        group = new_group()
        with tenant(group.id):
            company = Company(name="华东城市公司", kind="city", region="华东")
            db.session.add(company)
            db.session.flush()
            project = Project(code="P0001", name="基准项目", company_id=company.id, is_open=True)
            db.session.add(project)
            db.session.flush()
            db.session.add(Initiation(project_id=project.id, capital_peak=Decimal("1000000000.00"),
                                      financing_ratio=FINANCING_RATIO, financing_rate=RATE))
            db.session.add_all(TierRatio(project_id=project.id, tier=t, ratio=r) for t, r in RATIOS.items())
            users = [{"group_id": group.id, "username": f"p{i:05d}", "name": f"合伙人{i:05d}",
                      "password_hash": "x"} for i in range(len(plan))]
            for i in range(0, len(users), CHUNK):
                db.session.execute(sa.insert(User), users[i:i + CHUNK])
            user_ids = db.session.scalars(sa.select(User.id).order_by(User.username)).all()
            rows = [{"group_id": group.id, "token": f"t{uid}", "project_id": project.id, "user_id": uid, "tier": tier,
                     "min_amount": ZERO, "max_amount": amount, "deadline": ON, "subscribed_amount": amount,
                     "investment": amount, "financed": financed, "self_funded": amount - financed}
                    for uid, (tier, amount, financed, _d) in zip(user_ids, plan, strict=True)]
            for i in range(0, len(rows), CHUNK):
                db.session.execute(sa.insert(Subscription), rows[i:i + CHUNK])
            ids = db.session.scalars(sa.select(Subscription.id).order_by(Subscription.user_id)).all()
            payments = [{"group_id": group.id, "subscription_id": sid, "project_id": project.id, "paid_on": paid,
                         "amount": amount, "recorded_by": "bench", "recorded_at": dt.datetime(2024, 12, 31)}
                        for sid, (_t, amount, _f, paid) in zip(ids, plan, strict=True)]
            for i in range(0, len(payments), CHUNK):
                db.session.execute(sa.insert(Payment), payments[i:i + CHUNK])
            db.session.add(ProcessInstance(project_id=project.id, kind="coinvest_initiation", state=APPROVED,
                                           initiator_id=user_ids[0], started_at=dt.datetime(2024, 1, 1)))
            db.session.add(ProcessInstance(project_id=project.id, kind=services.ACTUAL_PEAK, state=APPROVED,
                                           initiator_id=user_ids[0], started_at=dt.datetime(2025, 6, 1),
                                           form_data={"actual_peak": "1000000000.00"}))
            db.session.flush()
            principal, profit = services.create(project, "principal"), services.create(project, "profit")
            principal.distributed_on = profit.distributed_on = ON
            profit.net_profit, profit.ratio = NET_PROFIT, SHARE
            db.session.commit()
            result = group.id, project.id, principal.id, profit.id
    print(f"  seeded in {time.perf_counter() - started:.1f}s")
    return result


def baseline(plan) -> tuple[float, float, list, dict]:
    """The same arithmetic as plain loops: (seconds principal, seconds profit, (A, B) per partner, F per tier)."""
    t0 = time.perf_counter()
    principal = [(amount, -round_cents(financed * RATE / 100 * (ON - paid).days / Decimal(365)))
                 for _tier, amount, financed, paid in plan]
    t1 = time.perf_counter()
    profit = {}
    for tier, ratio in RATIOS.items():
        total = round_cents(NET_PROFIT * ratio / 100 * SHARE / 100)
        profit[tier] = split(total, [amount for t, amount, _f, _p in plan if t == tier])
    return t1 - t0, time.perf_counter() - t1, principal, profit


def one_run(project_id: int, batch_id: int, compute) -> dict[str, float]:
    table = DistributionLine.__table__
    db.session.execute(sa.update(table).where(table.c.batch_id == batch_id).values(principal=0, interest=0, profit=0))
    db.session.commit()
    db.session.remove()
    project, batch = db.session.get(Project, project_id), db.session.get(DistributionBatch, batch_id)
    c0, t0 = time.process_time(), time.perf_counter()
    compute(project, batch)
    db.session.flush()
    t1, c1 = time.perf_counter(), time.process_time()
    db.session.commit()
    return {"both": t1 - t0, "cpu": c1 - c0, "commit": time.perf_counter() - t1}


def verify(plan, principal_id: int, profit_id: int) -> bool:
    _a, _b, principal, profit = baseline(plan)
    db.session.remove()

    def stored(batch_id, *columns):
        return db.session.execute(sa.select(*columns).join(Subscription, Subscription.id == DistributionLine.subscription_id)
                                  .where(DistributionLine.batch_id == batch_id).order_by(Subscription.user_id)).all()
    same_a_b = [tuple(r) for r in stored(principal_id, DistributionLine.principal, DistributionLine.interest)] == principal
    rows = stored(profit_id, DistributionLine.tier, DistributionLine.profit)
    same_f = all([f for t, f in rows if t == tier] == profit[tier] for tier in RATIOS)
    sums = all(sum((f for t, f in rows if t == tier), ZERO) == round_cents(NET_PROFIT * r / 100 * SHARE / 100)
               for tier, r in RATIOS.items())
    print(f"  check: A and B == baseline {'OK' if same_a_b else 'MISMATCH'}; F == baseline {'OK' if same_f else 'MISMATCH'}; "
          f"each tier's F adds up to its total {'OK' if sums else 'FAIL'}")
    return same_a_b and same_f and sums


def bench(label: str, url: str, count: int, repeat: int) -> None:
    print(f"\n== {label} ==")
    plan = partners(count)
    app = build_app(url)
    group_id, project_id, principal_id, profit_id = seed(app, plan)
    try:
        with app.app_context(), tenant(group_id):
            base = [baseline(plan) for _ in range(repeat)]
            for name, batch_id, compute, base_t in (
                    ("本金分配测算", principal_id, services.compute_principal, statistics.median(b[0] for b in base)),
                    ("利润分配测算", profit_id, services.compute_profit, statistics.median(b[1] for b in base))):
                one_run(project_id, batch_id, compute)  # warm-up
                runs = [one_run(project_id, batch_id, compute) for _ in range(repeat)]
                med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                print(f"  {name} + flush: median {med['both']:.3f}s (min {min(r['both'] for r in runs):.3f}, CPU "
                      f"{med['cpu']:.3f}s), commit {med['commit']:.3f}s; baseline {base_t:.4f}s; ratio "
                      f"{med['both'] / base_t:,.1f}; target < {TARGET}s: {'PASS' if med['both'] < TARGET else 'FAIL'}")
            verify(plan, principal_id, profit_id)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{args.partners:,} partners, 1 warm-up + {args.repeat} timed runs of each 测算")
    if args.db in ("sqlite", "both"):
        on_sqlite(lambda label, url: bench(label, url, args.partners, args.repeat))
    if args.db in ("postgres", "both"):
        on_postgres(PG_SCHEMA, lambda label, url: bench(label, url, args.partners, args.repeat))


if __name__ == "__main__":
    main()
