"""Benchmark: 测算 (services.propose) for one project with 10,000 partners in 4 tiers.

Builds the app on SQLite (temp file) and/or PostgreSQL (schema ``gentou_bench_propose`` in
database ``test``, dropped at the end), seeds one group, one city company, one project with a
capital peak of 1,000,000,000.00, the four tier ratios and N partners (default 10,000: N users and
N subscriptions spread over the tiers, seeded random subscribed amounts, three tiers over their
pot). Then, per run, clears every investment (plain UPDATE, untimed), reloads the project and
times ``services.propose(project)`` + ``db.session.flush()`` and, separately, the commit.
Prints the medians (wall clock, and this process's CPU time for propose + flush, which other load
on the machine disturbs less), the baseline (the same arithmetic as a plain Decimal loop over the
same amounts, no database), the ratio propose / baseline, whether the wall-clock median of
propose + flush meets the 0.5 s target, and checks that every over-subscribed tier's investments sum exactly to its pot and that
every stored investment equals the baseline's.

    .venv/bin/python bench/subscription_propose.py [--db sqlite|postgres|both] [--partners N]
                                                   [--repeat N] [--profile]

``--profile`` adds one extra run of propose + flush under cProfile and prints the top functions.
A benchmark, not a test: it prints figures and always exits 0 unless the harness breaks.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import random
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core import create_app  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Company, Project, User  # noqa: E402
from core.money import round_cents, split  # noqa: E402
from core.tenancy import tenant  # noqa: E402
from plugins.subscription import services  # noqa: E402
from plugins.subscription.models import TIERS, Initiation, Subscription, TierRatio  # noqa: E402
from _common import new_group, on_postgres, on_sqlite  # noqa: E402  (bench/ is the script's folder)

PG_SCHEMA = "gentou_bench_propose"
SEED = 20240607
CAPITAL_PEAK = Decimal("1000000000.00")
RATIOS = {"holding": Decimal("0.500"), "realestate": Decimal("3.310"), "city": Decimal("0.600"),
          "other": Decimal("0.200")}
# Share of the partners per tier and the range of a subscription (cents): with a mean of ~10,500.00
# holding (~1,000 partners, pot 5.0M), city (~5,000, pot 6.0M) and other (~2,000, pot 2.0M) are
# over their pot; realestate (~2,000, pot 33.1M) is not.
TIER_WEIGHTS = {"holding": 1, "realestate": 2, "city": 5, "other": 2}
SUBSCRIBED_CENTS = (100_000, 2_000_000)
MIN_AMOUNT, MAX_AMOUNT = Decimal("1000.00"), Decimal("1000000.00")
DEADLINE = dt.date(2030, 6, 30)
ZERO = Decimal("0.00")
TARGET = 0.5  # seconds, propose + flush
INSERT_CHUNK = 1000
PROFILE_LINES = 25


def build_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": None},
                      plugins=["plugins.subscription"])


def partners(count: int) -> list[tuple[str, Decimal]]:
    """(tier, subscribed amount) per partner, in id order; the same for every run and database."""
    rng = random.Random(SEED)
    tiers, weights = list(TIER_WEIGHTS), list(TIER_WEIGHTS.values())
    return [(rng.choices(tiers, weights)[0], Decimal(rng.randint(*SUBSCRIBED_CENTS)).scaleb(-2))
            for _ in range(count)]


def seed(app, plan: list[tuple[str, Decimal]]) -> tuple[int, int]:
    """Seed the group, company, project, users and subscriptions; return (group id, project id)."""
    started = time.perf_counter()
    with app.app_context():
        group = new_group()
        with tenant(group.id):
            company = Company(name="华东城市公司", kind="city", region="华东")
            db.session.add(company)
            db.session.flush()
            project = Project(code="P0001", name="基准项目", company_id=company.id, is_open=True,
                              operator="lead", acquisition_method="招拍挂")
            db.session.add(project)
            db.session.flush()
            db.session.add(Initiation(project_id=project.id, capital_peak=CAPITAL_PEAK))
            db.session.add_all(TierRatio(project_id=project.id, tier=t, ratio=r) for t, r in RATIOS.items())
            db.session.commit()
            group_id, project_id, company_id = group.id, project.id, company.id

            password_hash = "pbkdf2:sha256:600000$bench$" + "0" * 64  # one shared string; never checked
            users = [{"group_id": group_id, "username": f"p{i:05d}", "name": f"合伙人{i:05d}",
                      "company_id": company_id, "password_hash": password_hash} for i in range(len(plan))]
            for i in range(0, len(users), INSERT_CHUNK):
                db.session.execute(sa.insert(User), users[i:i + INSERT_CHUNK])
            user_ids = db.session.scalars(sa.select(User.id).where(User.username.like("p%"))
                                          .order_by(User.username)).all()
            now = dt.datetime(2030, 6, 1, 9, 0)
            rows = [{"group_id": group_id, "token": uuid.uuid4().hex, "project_id": project_id, "user_id": uid,
                     "tier": tier, "min_amount": MIN_AMOUNT, "max_amount": MAX_AMOUNT, "deadline": DEADLINE,
                     "subscribed_amount": amount, "subscribed_at": now}
                    for uid, (tier, amount) in zip(user_ids, plan, strict=True)]
            for i in range(0, len(rows), INSERT_CHUNK):
                db.session.execute(sa.insert(Subscription), rows[i:i + INSERT_CHUNK])
            db.session.commit()
    print(f"  seeded in {time.perf_counter() - started:.1f}s")
    return group_id, project_id


def expected_pots() -> dict[str, Decimal]:
    return {t: round_cents(CAPITAL_PEAK * RATIOS[t] / 100) for t in TIERS}


def baseline(plan: list[tuple[str, Decimal]]) -> tuple[float, dict[str, list[Decimal]]]:
    """The 测算 arithmetic as a plain loop over the same Decimals: group by tier, sum, compare with
    the pot, scale back with ``split`` when over. Returns (seconds, investments per tier)."""
    started = time.perf_counter()
    by_tier: dict[str, list[Decimal]] = {t: [] for t in TIERS}
    for tier, amount in plan:
        by_tier[tier].append(amount)
    pots = {t: round_cents(CAPITAL_PEAK * RATIOS[t] / 100) for t in TIERS}
    result = {}
    for tier, amounts in by_tier.items():
        total = sum(amounts, ZERO)
        result[tier] = list(amounts) if total <= pots[tier] else split(pots[tier], amounts)
    return time.perf_counter() - started, result


def clear_investments(project_id: int) -> None:
    """Untimed reset so that every run writes every row (propose over equal values flushes nothing)."""
    table = Subscription.__table__
    db.session.execute(sa.update(table).where(table.c.project_id == project_id).values(investment=None))
    db.session.commit()
    db.session.remove()


def one_run(project_id: int, profiler: cProfile.Profile | None = None) -> dict[str, float]:
    """Wall seconds of propose, flush and commit of one 测算 on freshly cleared rows, and the CPU
    seconds of this process for propose + flush (less sensitive to other load on the machine)."""
    clear_investments(project_id)
    project = db.session.get(Project, project_id)
    if profiler:
        profiler.enable()
    c0, t0 = time.process_time(), time.perf_counter()
    services.propose(project)
    t1 = time.perf_counter()
    db.session.flush()
    t2, c2 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.disable()
    db.session.commit()
    t3 = time.perf_counter()
    return {"propose": t1 - t0, "flush": t2 - t1, "both": t2 - t0, "cpu": c2 - c0, "commit": t3 - t2}


def verify(project_id: int, expected: dict[str, list[Decimal]]) -> None:
    """Each over-subscribed tier sums exactly to its pot; every row equals the baseline's figure."""
    db.session.remove()
    pots = expected_pots()
    rows = db.session.execute(sa.select(Subscription.tier, Subscription.subscribed_amount, Subscription.investment)
                              .where(Subscription.project_id == project_id).order_by(Subscription.id)).all()
    ok_all, over_count = True, 0
    print("  check:")
    for tier in TIERS:
        subscribed = [r.subscribed_amount for r in rows if r.tier == tier]
        invested = [r.investment for r in rows if r.tier == tier]
        total_sub, total_inv = sum(subscribed, ZERO), sum((v or ZERO for v in invested), ZERO)
        over = total_sub > pots[tier]
        over_count += over
        same_as_baseline = invested == expected[tier]
        ok = same_as_baseline and (total_inv == pots[tier] if over else invested == subscribed)
        ok_all &= ok
        rule = "sum == pot" if over else "investment == subscribed"
        print(f"    {tier:<10} {len(subscribed):5d} partners  subscribed {total_sub:>15,}  pot {pots[tier]:>15,}  "
              f"invested {total_inv:>15,}  {'over ' if over else 'under'}  {rule}, rows == baseline: "
              f"{'OK' if ok else 'MISMATCH'}")
    note = "" if over_count >= 2 else f"  (only {over_count} tier(s) over their pot: use more partners)"
    print(f"  {over_count} over-subscribed tiers sum exactly to their pot, every row == baseline: "
          f"{'OK' if ok_all else 'FAIL'}{note}")


def profile_report(profiler: cProfile.Profile) -> None:
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(PROFILE_LINES)
        lines = out.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        print(f"\n  cProfile of one propose + flush, top {PROFILE_LINES} by {key}:")
        for line in lines[max(start - 4, 0):]:
            if line.strip():
                print("    " + line)


def bench(label: str, url: str, count: int, repeat: int, profile: bool) -> None:
    print(f"\n== {label} ==")
    plan = partners(count)
    app = build_app(url)
    group_id, project_id = seed(app, plan)
    try:
        with app.app_context(), tenant(group_id):
            cold = one_run(project_id)
            runs = [one_run(project_id) for _ in range(repeat)]
            verify(project_id, baseline(plan)[1])
            base_t = statistics.median(baseline(plan)[0] for _ in range(repeat))
            med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            both = [r["both"] for r in runs]
            print(f"  first run (cold)  propose + flush {cold['both']:8.3f}s  commit {cold['commit']:.3f}s")
            print(f"  median of {repeat} runs:")
            print(f"    propose            {med['propose']:8.3f}s")
            print(f"    flush              {med['flush']:8.3f}s")
            print(f"    propose + flush    {med['both']:8.3f}s  (min {min(both):.3f}, max {max(both):.3f}; "
                  f"CPU of this process {med['cpu']:.3f}s)")
            print(f"    commit             {med['commit']:8.3f}s")
            print(f"    baseline (Decimal loop, no database) {base_t:8.4f}s")
            ratio = med["both"] / base_t if base_t else float("inf")
            print(f"  ratio propose + flush / baseline = {ratio:,.1f}")
            print(f"  target < {TARGET} s: {'PASS' if med['both'] < TARGET else 'FAIL'}  ({med['both']:.3f}s)")
            if profile:
                profiler = cProfile.Profile()
                one_run(project_id, profiler)
                profile_report(profiler)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def run_sqlite(count: int, repeat: int, profile: bool) -> None:
    on_sqlite(lambda label, url: bench(label, url, count, repeat, profile))


def run_postgres(count: int, repeat: int, profile: bool) -> None:
    on_postgres(PG_SCHEMA, lambda label, url: bench(label, url, count, repeat, profile))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--partners", type=int, default=10_000, help="number of partners (default 10,000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after one warm-up run (default 5)")
    parser.add_argument("--profile", action="store_true", help="profile one extra propose + flush (cProfile)")
    args = parser.parse_args()
    print(f"{args.partners:,} partners in {len(TIERS)} tiers, capital peak {CAPITAL_PEAK:,}, "
          f"1 warm-up + {args.repeat} timed runs")
    if args.db in ("sqlite", "both"):
        run_sqlite(args.partners, args.repeat, args.profile)
    if args.db in ("postgres", "both"):
        run_postgres(args.partners, args.repeat, args.profile)


if __name__ == "__main__":
    main()
