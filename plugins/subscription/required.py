"""The partners other plugins require on a project's 合伙名单 (``required_partners``, e.g. 强投) and the
waiver of one (``required_partner_waived``): read once per request, so a table asks nothing per row."""
from __future__ import annotations

from decimal import Decimal

from flask import g, has_request_context
from core.i18n import lazy_gettext as _l

from core.declarations import RequiredPartner
from core.extensions import db
from core.models import Project

ZERO = Decimal("0.00")
VOLUNTARY = _l("自愿")  # a partner no plugin requires


def _hooks(project_id: int):
    from core.modules import hooks_for
    project = db.session.get(Project, project_id)
    return hooks_for(project.group_id) if project is not None else None


def required(project_id: int) -> dict[int, RequiredPartner]:
    """The required partners of the project by user id (the highest minimum when several plugins say)."""
    cache = g.setdefault("subscription_required", {}) if has_request_context() else {}
    if project_id not in cache:
        hooks, found = _hooks(project_id), {}
        for result in (hooks.required_partners(project_id=project_id) if hooks else []):
            for partner in result or []:
                if partner.user_id not in found or partner.minimum > found[partner.user_id].minimum:
                    found[partner.user_id] = partner
        cache[project_id] = found
    return cache[project_id]


def minimum(project_id: int, user_id: int) -> Decimal:
    partner = required(project_id).get(user_id)
    return partner.minimum if partner else ZERO


def waive(project_id: int, user_id: int, reason: str) -> None:
    """A required partner leaves (or is not taken onto) the list: the requiring plugin records why."""
    hooks = _hooks(project_id)
    if hooks is not None:
        hooks.required_partner_waived(project_id=project_id, user_id=user_id, reason=reason)
    if has_request_context():
        g.get("subscription_required", {}).pop(project_id, None)


def totals_by_kind(project_id: int, rows) -> dict[str, dict[str, Decimal]]:
    """The tables' 强投 / 自愿 totals: ``rows`` = [(user id, {field: amount})] summed per label (the
    required partners' label, else 自愿), required labels first; empty when the project requires nobody."""
    needed = required(project_id)
    if not needed:
        return {}
    totals: dict[str, dict[str, Decimal]] = {}
    for label in sorted({str(r.label) for r in needed.values()}) + [str(VOLUNTARY)]:
        totals[label] = {}
    for user_id, values in rows:
        kind = totals[str(needed[user_id].label) if user_id in needed else str(VOLUNTARY)]
        for field, amount in values.items():
            kind[field] = kind.get(field, ZERO) + (amount or ZERO)
    return totals
