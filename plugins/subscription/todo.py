"""待办 of this stage on the home page: one query per list, whatever the number of projects or partners.

Accountant: processes ready to start (项目资金峰值 once the plan has its figure, 事业合伙立项 once
that is approved and the plan passed 方案审核) and partners' payments still to confirm.
Partner: 认购 still open, 缴款 still owed; and the projects on whose 合伙名单 they are.
"""
from __future__ import annotations

import datetime as dt

from flask import url_for
from core.i18n import gettext as _

from core import roles
from core.declarations import ProjectLink, Todo
from core.extensions import db
from core.models import Project
from core.permissions import projects_query
from core.processes.models import APPROVED, PASSED, RUNNING, ProcessInstance, Review
from core.ui import SHANGHAI
from core.worklist import LIMIT
from plugins.subscription.models import Initiation, Payment, Subscription
from plugins.subscription.services import INITIATION_PROCESS, PEAK_PROCESS


def _process(code: str, *states):
    return db.select(ProcessInstance.id).where(ProcessInstance.project_id == Project.id,
                                               ProcessInstance.kind == code, ProcessInstance.state.in_(states))


def _paid():
    return (db.select(Payment.subscription_id, db.func.sum(Payment.amount).label("paid"))
            .where(Payment.reversed_at.is_(None)).group_by(Payment.subscription_id).subquery())


def _cut(rows, line) -> list[Todo]:
    return [line(row) for row in rows[:LIMIT]]


def _to_start(user) -> list[Todo]:
    section = _("待发起流程")
    visible = projects_query(user).with_only_columns(Project.id)
    plan_passed = db.select(Review.id).where(Review.record_table == Initiation.__tablename__,
                                             Review.record_id == Initiation.id, Review.state == PASSED)
    peak_ready = db.and_(Initiation.capital_peak.is_not(None), ~_process(PEAK_PROCESS, RUNNING, APPROVED).exists())
    initiation_ready = db.and_(_process(PEAK_PROCESS, APPROVED).exists(), plan_passed.exists(),
                               ~_process(INITIATION_PROCESS, RUNNING, APPROVED).exists())
    rows = db.session.execute(
        db.select(Project.id, Project.name, peak_ready.label("peak"), initiation_ready.label("initiation"))
        .join(Initiation, Initiation.project_id == Project.id)
        .where(Project.id.in_(visible), db.or_(peak_ready, initiation_ready))
        .order_by(Project.name).limit(LIMIT)).all()
    return _cut(rows, lambda row: Todo(section, f"{row.name} · {_('项目资金峰值') if row.peak else _('事业合伙立项')}",
                                       url_for("processes.project_processes", project_id=row.id), weight=40))


def _to_confirm(user) -> list[Todo]:
    section, paid = _("缴款确认"), _paid()
    visible = projects_query(user).with_only_columns(Project.id)
    owing = db.func.count(Subscription.id)
    rows = db.session.execute(
        db.select(Project.id, Project.name, owing.label("owing"))
        .join(Subscription, Subscription.project_id == Project.id)
        .outerjoin(paid, paid.c.subscription_id == Subscription.id)
        .where(Project.id.in_(visible), _process(INITIATION_PROCESS, APPROVED).exists(),
               Subscription.investment > db.func.coalesce(paid.c.paid, 0))
        .group_by(Project.id, Project.name).order_by(Project.name).limit(LIMIT)).all()
    return _cut(rows, lambda row: Todo(section, row.name, url_for("subscription.payments", project_id=row.id),
                                       _("%(n)s 位合伙人未缴清", n=row.owing), weight=50))


def _partner(user) -> list[Todo]:
    today = dt.datetime.now(SHANGHAI).date()
    paid = _paid()
    rows = db.session.execute(
        db.select(Subscription.deadline, Subscription.subscribed_amount, Subscription.investment, Project.name,
                  db.func.coalesce(paid.c.paid, 0).label("paid"), _process(INITIATION_PROCESS, APPROVED).exists()
                  .label("confirmed"))
        .join(Project, Project.id == Subscription.project_id)
        .outerjoin(paid, paid.c.subscription_id == Subscription.id)
        .where(Subscription.user_id == user.id)
        .order_by(Subscription.deadline, Subscription.id)).all()
    link = url_for("subscription.my_subscriptions")
    items = [Todo(_("认购"), row.name, link, _("请于 %(d)s 前提交认购", d=row.deadline.isoformat()), weight=60)
             for row in rows if row.subscribed_amount is None and row.deadline >= today and not row.confirmed]
    items += [Todo(_("缴款"), row.name, link, _("尚有 %(owed)s 元未缴", owed=f"{row.investment - row.paid:,.2f}"),
                   weight=70)
              for row in rows if row.confirmed and row.investment and row.investment > row.paid]
    return items[:2 * LIMIT]


def todo_items(user) -> list[Todo]:
    items = []
    if user.has_role(*roles.ACCOUNTANTS):
        items += _to_start(user) + _to_confirm(user)
    if user.has_role(roles.PARTNER):
        items += _partner(user)
    return items


def member_projects(user) -> list[ProjectLink]:
    if not user.has_role(roles.PARTNER):
        return []
    rows = db.session.execute(db.select(Project.id, Project.name).join(
        Subscription, Subscription.project_id == Project.id).where(Subscription.user_id == user.id)).all()
    return [ProjectLink(row.id, row.name, url_for("subscription.my_subscriptions")) for row in rows]
