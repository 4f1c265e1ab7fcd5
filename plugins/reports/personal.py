"""个人中心/我的投资: one partner's position across all their projects, and their XIRR.

Cash flows per project: every confirmed payment out (negative, 缴款日期; a 退款 comes back), every
approved distribution in (分配合计 on its 分配日期), the exit payout in (打款日期) when the exit stage is
enabled. Still-held stakes have no terminal value, so a project where nothing came back yet shows
"不可计算" rather than a misleading −100 % or 0 %.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa

from core.extensions import db
from core.models import Project
from plugins.distribution.models import DistributionBatch, DistributionLine
from plugins.reports.services import ZERO, exit_table
from plugins.reports.xirr import xirr
from plugins.subscription.models import Payment, Subscription


def position(user_id: int) -> dict:
    """{"projects": [...], "totals": {...}, "flows": [(date, amount)], "xirr": Decimal | None}. Four queries."""
    subs = db.session.execute(sa.select(Subscription.id, Subscription.project_id, Project.name,
                                        Subscription.investment)
                              .join(Project, Project.id == Subscription.project_id)
                              .where(Subscription.user_id == user_id, Subscription.investment.is_not(None))
                              .order_by(Project.name)).all()
    ids = [s.id for s in subs]
    flows: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    figures = {s.id: {"project": s.name, "project_id": s.project_id, "investment": s.investment, "paid": ZERO,
                      "interest": ZERO, "distributed": ZERO, "payout": ZERO} for s in subs}
    for sid, paid_on, amount in db.session.execute(
            sa.select(Payment.subscription_id, Payment.paid_on, Payment.amount)
            .where(Payment.subscription_id.in_(ids), Payment.reversed_at.is_(None))):
        figures[sid]["paid"] += amount
        flows[sid].append((paid_on, -amount))
    for sid, day, principal, interest, other, profit in db.session.execute(
            sa.select(DistributionLine.subscription_id, DistributionBatch.distributed_on, DistributionLine.principal,
                      DistributionLine.interest, DistributionLine.other, DistributionLine.profit)
            .join(DistributionBatch, DistributionBatch.id == DistributionLine.batch_id)
            .where(DistributionLine.subscription_id.in_(ids), DistributionBatch.approved_at.is_not(None))):
        amount = principal - abs(interest) + other + profit
        figures[sid]["interest"] += abs(interest)
        figures[sid]["distributed"] += amount
        if day:
            flows[sid].append((day, amount))
    table = exit_table()
    if table is not None:
        for sid, paid_on, payout in db.session.execute(
                sa.select(table.c.subscription_id, table.c.paid_on, table.c.payout)
                .where(table.c.subscription_id.in_(ids), table.c.payout.is_not(None))):
            payout = Decimal(payout).quantize(Decimal("0.01"))
            figures[sid]["payout"] += payout
            if paid_on:
                flows[sid].append((paid_on, payout))
    projects, everything = [], []
    for sid, row in figures.items():
        row["flows"] = sorted(flows[sid])
        row["xirr"] = xirr(row["flows"])
        everything += row["flows"]
        projects.append(row)
    keys = ("investment", "paid", "interest", "distributed", "payout")
    totals = {k: sum((p[k] or ZERO for p in projects), ZERO) for k in keys}
    everything.sort()
    return {"projects": projects, "totals": totals, "flows": everything, "xirr": xirr(everything),
            "exit": table is not None}
