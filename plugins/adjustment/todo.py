"""待办 of 立项调整 on the home page, one query per list whatever the number of rounds or partners.

Accountant: the open rounds of their projects (what is next: 资金峰值调整, 计算, 送审 or the approving process).
Partner: 补投认购 still to subscribe.
"""
from __future__ import annotations

import datetime as dt

from flask import url_for

from core import roles
from core.declarations import Todo
from core.extensions import db
from core.i18n import gettext as _
from core.models import Project
from core.permissions import projects_query
from core.processes.models import DRAFT, PASSED, RETURNED, Review
from core.ui import SHANGHAI
from core.worklist import LIMIT
from plugins.adjustment.models import OPEN, SUPPLEMENTARY, Line, Round


def _review_state():
    return db.func.coalesce(db.select(Review.state).where(Review.record_table == Round.__tablename__,
                                                          Review.record_id == Round.id).scalar_subquery(), DRAFT)


def _rounds(user) -> list[Todo]:
    visible = projects_query(user).with_only_columns(Project.id)
    rows = db.session.execute(
        db.select(Round, Project.name, _review_state().label("review")).join(Project, Project.id == Round.project_id)
        .where(Round.state == OPEN, Round.project_id.in_(visible)).order_by(Project.name).limit(LIMIT)).all()
    out = []
    for round_, name, review in rows:
        if review == PASSED:
            detail = _("审核通过，请发起流程")
        elif review in (DRAFT, RETURNED):
            detail = _("待计算并送审") if round_.kind != "peak" or round_.peak_process_id else _("待发起资金峰值调整")
        else:
            continue  # waits for the business admin's review (方案审核 lists it)
        out.append(Todo(_("立项调整"), f"{name} · {round_.label}",
                        url_for("adjustment.round_page", project_id=round_.project_id, round_id=round_.id), detail,
                        weight=45))
    return out


def _partner(user) -> list[Todo]:
    today = dt.datetime.now(SHANGHAI).date()
    rows = db.session.execute(
        db.select(Line.deadline, Project.name, Round.number)
        .join(Round, Round.id == Line.round_id).join(Project, Project.id == Line.project_id)
        .where(Line.user_id == user.id, Line.subscribed_amount.is_(None), Line.deadline >= today,
               Round.kind == SUPPLEMENTARY, Round.state == OPEN, _review_state().in_((DRAFT, RETURNED)))
        .order_by(Line.deadline).limit(LIMIT)).all()
    return [Todo(_("认购"), f"{row.name} · {_('补投认购')} #{row.number}", url_for("adjustment.me"),
                 _("请于 %(d)s 前提交认购", d=row.deadline.isoformat()), weight=60) for row in rows]


def todo_items(user) -> list[Todo]:
    items = []
    if user.has_role(*roles.ACCOUNTANTS):
        items += _rounds(user)
    if user.has_role(roles.PARTNER):
        items += _partner(user)
    return items
