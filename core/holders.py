"""What the ``holder_marks``, ``other_holders``, ``stakes_passed_on`` and ``stakes_adjusted`` hooks say about a
project's partners and other holders, for the stages' tables (认购明细, 分配): read once per request, so a table asks
nothing per row."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import g, has_request_context

from core.declarations import Holder, HolderMark, StakeAdjustment
from core.extensions import db
from core.models import Project


def _hooks(project_id: int):
    from core.modules import hooks_for
    project = db.session.get(Project, project_id)
    return hooks_for(project.group_id) if project is not None else None


def _cached(name: str, project_id: int, compute):
    if not has_request_context():
        return compute()
    cache = g.setdefault("gentou_holders", {})
    if (name, project_id) not in cache:
        cache[(name, project_id)] = compute()
    return cache[(name, project_id)]


def marks(project_id: int) -> dict[int, list[HolderMark]]:
    """The marks of the project's partners, by user id."""
    def compute():
        hooks, found = _hooks(project_id), {}
        for result in (hooks.holder_marks(project_id=project_id) if hooks else []):
            for mark in result or []:
                found.setdefault(mark.user_id, []).append(mark)
        return found
    return _cached("marks", project_id, compute)


def others(project_id: int) -> list[Holder]:
    """The holders other than partners (the platform company...), by key."""
    def compute():
        hooks = _hooks(project_id)
        found = [h for result in (hooks.other_holders(project_id=project_id) if hooks else []) for h in result or []]
        return sorted(found, key=lambda h: (h.key, h.tier))
    return _cached("others", project_id, compute)


def sharing(project_id: int) -> list[Holder]:
    """The holders other than partners who take a share of the distributions (``distribution_holders``)."""
    def compute():
        hooks = _hooks(project_id)
        found = [h for result in (hooks.distribution_holders(project_id=project_id) if hooks else [])
                 for h in result or []]
        return sorted(found, key=lambda h: (h.key, h.tier))
    return _cached("sharing", project_id, compute)


def left(project_id: int, on: dt.date | None = None) -> set[int]:
    """The partners whose stake left them (on or before ``on`` when given): left out of later distributions."""
    return {user_id for user_id, found in marks(project_id).items()
            if any(m.left_on is not None and (on is None or m.left_on <= on) for m in found)}


def forget(project_id: int) -> None:
    """Drop what this request read (after a change of the marks in the same request)."""
    if has_request_context():
        for key in [k for k in g.get("gentou_holders", {}) if k[1] == project_id]:
            del g.gentou_holders[key]


def passed_on(project_id: int) -> dict[int, Decimal]:
    """The part of each subscription's investment now counted in other partners' subscriptions
    (``stakes_passed_on``: an exited stake taken over by new partners), by subscription id."""
    def compute():
        hooks, found = _hooks(project_id), {}
        for result in (hooks.stakes_passed_on(project_id=project_id) if hooks else []):
            for subscription_id, amount in (result or {}).items():
                found[subscription_id] = found.get(subscription_id, Decimal("0.00")) + amount
        return found
    return _cached("passed_on", project_id, compute)


def adjustments(project_id: int) -> list[StakeAdjustment]:
    """What peak changes made of stakes held by other holders since they left their partners (``stakes_adjusted``),
    one entry per change and subscription."""
    def compute():
        hooks = _hooks(project_id)
        return [a for result in (hooks.stakes_adjusted(project_id=project_id) if hooks else []) for a in result or []]
    return _cached("adjustments", project_id, compute)


def adjusted(project_id: int) -> dict[int, Decimal]:
    """The sum of ``adjustments`` by subscription id (the entries that net to zero left out)."""
    found: dict[int, Decimal] = {}
    for a in adjustments(project_id):
        found[a.subscription_id] = found.get(a.subscription_id, Decimal("0.00")) + a.amount
    return {k: v for k, v in found.items() if v}
