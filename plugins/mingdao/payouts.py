"""分配 paid (the distribution module's DistributionPaid, read by its fields: this module does not depend on
that one): each partner's payout kept once per batch, then sent as a row of the payout worksheet."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.i18n import gettext as _

from core.extensions import db
from core.models import Project, User
from core.money import round_cents
from core.ui import SHANGHAI
from plugins.mingdao.models import MingdaoPayout

EVENT = "DistributionPaid"


def record(event) -> list[int]:
    """The payouts of ``event`` written (or rewritten: an event delivered twice changes nothing), in the
    transaction that paid them. Returns their ids."""
    amounts: dict[int, Decimal] = {}
    for user_id, amount in zip(event.user_ids, event.amounts):
        amounts[user_id] = amounts.get(user_id, Decimal(0)) + Decimal(amount)
    if not amounts:
        return []
    paid_on = (dt.date.fromisoformat(event.distributed_on) if getattr(event, "distributed_on", "")
               else dt.datetime.now(SHANGHAI).date())
    existing = {p.user_id: p for p in db.session.scalars(db.select(MingdaoPayout).where(
        MingdaoPayout.group_id == event.group_id, MingdaoPayout.batch_id == event.batch_id,
        MingdaoPayout.user_id.in_(list(amounts))))}
    for user_id, amount in amounts.items():
        payout = existing.get(user_id)
        if payout is None:
            payout = existing[user_id] = MingdaoPayout(group_id=event.group_id, batch_id=event.batch_id, user_id=user_id)
            db.session.add(payout)
        payout.project_id, payout.paid_on, payout.amount = event.project_id, paid_on, round_cents(amount)
        payout.kind, payout.number = getattr(event, "kind", ""), getattr(event, "number", 1)
    db.session.flush()
    return [p.id for p in existing.values()]


def batch_label(payout: MingdaoPayout) -> str:
    """本金分配, 第N次利润分配 or 清算分配, as the distribution module names its batches."""
    if payout.kind == "profit":
        return str(_("第%(n)s次利润分配", n=payout.number))
    return str({"principal": _("本金分配"), "liquidation": _("清算分配")}.get(payout.kind) or _("分配"))


def ids() -> list[int]:
    return db.session.scalars(db.select(MingdaoPayout.id)).all()


def values(payout_ids) -> dict[int, dict[str, str]]:
    """{payout id: {Gentou field: text}} of the payouts that exist."""
    rows = db.session.execute(
        db.select(MingdaoPayout, Project.code, Project.name, User.name, User.username)
        .join(Project, Project.id == MingdaoPayout.project_id).join(User, User.id == MingdaoPayout.user_id)
        .where(MingdaoPayout.id.in_(list(payout_ids)))).all()
    return {p.id: {"code": f"GT-DIST-{p.batch_id}-{p.user_id}", "project": f"{code} {name}", "partner": partner,
                   "partner_code": username, "batch": batch_label(p), "amount": f"{round_cents(p.amount)}",
                   "paid_on": p.paid_on.isoformat()}
            for p, code, name, partner, username in rows}
