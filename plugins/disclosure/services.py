"""盈亏动态 versions, their comparison with 立项 and the previous version, charts, and the merged notice."""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from sqlalchemy import event

from core import charts, outbox
from core.audit import record_action
from core.extensions import db
from core.models import Project
from core.models.user import utcnow
from core.processes.models import RUNNING, ProcessInstance
from plugins.disclosure.models import DisclosureReceipt, ProfitVersion
from plugins.subscription.models import Initiation, Subscription

PROCESS = "disclosure"
# (column, label, kind); the first five are the 盈利指标 of 立项 and are compared with it
INDICATORS = [
    ("sales_revenue", _l("销售收入"), "money"), ("net_profit", _l("净利润"), "signed_money"),
    ("net_margin", _l("净利润率（%）"), "percent"), ("irr", _l("IRR（%）"), "percent"),
    ("payback_months", _l("现金回正周期（月）"), "int"), ("sales_to_date", _l("累计销售金额"), "money"),
    ("cash_collected", _l("累计回款金额"), "money"),
]
AT_INITIATION = ("sales_revenue", "net_profit", "net_margin", "irr", "payback_months")
HUNDRED = Decimal(100)


class DisclosureError(ValueError):
    """A change refused; the message is for the user."""


@event.listens_for(ProfitVersion, "before_update")
def _immutable_once_disclosed(mapper, connection, target):
    """A disclosed version never changes, whatever path tries (the views refuse first, with a message)."""
    disclosed = sa.inspect(target).attrs.disclosed_at.history
    if (disclosed.unchanged and disclosed.unchanged[0] is not None) or (disclosed.deleted and disclosed.deleted[0]):
        raise DisclosureError(_("第%(n)s版已披露，不能修改；更正请新增版本", n=target.number))


def versions(project_id: int) -> list[ProfitVersion]:
    return list(db.session.scalars(db.select(ProfitVersion).where(ProfitVersion.project_id == project_id)
                                   .order_by(ProfitVersion.number)))


def running_ids(project_id: int) -> set[int]:
    """Ids of the versions a running 披露 process carries."""
    return set(db.session.scalars(db.select(ProfitVersion.id).join(
        ProcessInstance, ProcessInstance.id == ProfitVersion.process_id).where(
        ProfitVersion.project_id == project_id, ProcessInstance.state == RUNNING)))


def lock_reason(version: ProfitVersion) -> str | None:
    if version.disclosed_at is not None:
        return _("第%(n)s版已披露，不能修改；更正请新增版本", n=version.number)
    if version.id in running_ids(version.project_id):
        return _("第%(n)s版的披露流程审批中，不能修改", n=version.number)
    return None


def pending_version(project_id: int) -> ProfitVersion | None:
    """The version a new 披露 process would carry: the latest one neither disclosed nor under approval."""
    running = running_ids(project_id)
    candidates = [v for v in versions(project_id) if v.disclosed_at is None and v.id not in running]
    return candidates[-1] if candidates else None


def initiation(project_id: int) -> Initiation | None:
    return db.session.scalar(db.select(Initiation).where(Initiation.project_id == project_id))


def create(project: Project, values: dict, username: str) -> ProfitVersion:
    """A new version numbered after the last; two at once take the same number, which the unique key
    refuses to the second (answered with a message)."""
    number = (db.session.scalar(db.select(sa.func.max(ProfitVersion.number))
                                .where(ProfitVersion.project_id == project.id)) or 0) + 1
    version = ProfitVersion(project_id=project.id, number=number, created_by=username, created_at=utcnow(), **values)
    db.session.add(version)
    db.session.flush()
    return version


def update(version: ProfitVersion, values: dict) -> None:
    reason = lock_reason(version)
    if reason:
        raise DisclosureError(reason)
    for name, value in values.items():
        setattr(version, name, value)


@dataclasses.dataclass
class Comparison:
    """One indicator of a version beside 立项 and the previous version."""

    name: str
    label: str
    kind: str
    initiation: Decimal | int | None
    previous: Decimal | int | None
    current: Decimal | int | None

    @staticmethod
    def _difference(base, value):
        return None if base is None or value is None else value - base

    @staticmethod
    def _percent(base, value):
        if base is None or value is None or base == 0:
            return None
        return (Decimal(value - base) * HUNDRED / abs(Decimal(base))).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def vs_initiation(self):
        return self._difference(self.initiation, self.current)

    @property
    def vs_initiation_percent(self):
        return self._percent(self.initiation, self.current)

    @property
    def vs_previous(self):
        return self._difference(self.previous, self.current)

    @property
    def vs_previous_percent(self):
        return self._percent(self.previous, self.current)


def compare(plan: Initiation | None, previous: ProfitVersion | None, current: ProfitVersion) -> list[Comparison]:
    return [Comparison(name, str(label), kind,
                       getattr(plan, name, None) if plan is not None and name in AT_INITIATION else None,
                       getattr(previous, name, None) if previous is not None else None, getattr(current, name))
            for name, label, kind in INDICATORS]


def indicator_charts(plan: Initiation | None, rows: list[ProfitVersion]) -> list:
    """A line chart per indicator over the versions' dates, starting from 立项 for the indicators it has."""
    out = []
    for name, label, _kind in INDICATORS:
        with_plan = plan is not None and name in AT_INITIATION
        labels = ([str(_("立项"))] if with_plan else []) + [v.as_of.isoformat() for v in rows]
        values = ([getattr(plan, name)] if with_plan else []) + [getattr(v, name) for v in rows]
        if not any(value is not None for value in values):
            continue
        out.append(charts.line_chart(labels, [(str(label), values)], title=str(label), width=420, height=200))
    return out


def invested_projects(user_id: int):
    """The projects ``user_id`` invested in (a confirmed investment on the 合伙名单), as a subquery."""
    return db.select(Subscription.project_id).where(Subscription.user_id == user_id, Subscription.investment > 0)


def disclosed_for(user_id: int) -> list[tuple[ProfitVersion, Project]]:
    return db.session.execute(
        db.select(ProfitVersion, Project).join(Project, Project.id == ProfitVersion.project_id)
        .where(ProfitVersion.disclosed_at.is_not(None), ProfitVersion.project_id.in_(invested_projects(user_id)))
        .order_by(ProfitVersion.disclosed_at.desc(), ProfitVersion.id.desc())).all()


def _unsent(visible):
    """(version id, partner id) of disclosed versions of ``visible`` projects that partner was not told of."""
    told = db.select(DisclosureReceipt.id).where(DisclosureReceipt.version_id == ProfitVersion.id,
                                                 DisclosureReceipt.user_id == Subscription.user_id)
    return (db.select(ProfitVersion.id, Subscription.user_id)
            .join(Subscription, Subscription.project_id == ProfitVersion.project_id)
            .where(ProfitVersion.disclosed_at.is_not(None), ProfitVersion.project_id.in_(visible),
                   Subscription.investment > 0, ~told.exists()))


def review_rows(visible, waiting_only: bool = False, limit: int | None = None) -> list[tuple[ProfitVersion, Project, int]]:
    """披露审核: the disclosed versions of the visible projects with how many partners wait for their notice,
    those waiting first (``waiting_only``: only those)."""
    pending = _unsent(visible).subquery()
    counts = (db.select(pending.c.id, sa.func.count().label("n")).group_by(pending.c.id)).subquery()
    waiting = sa.func.coalesce(counts.c.n, 0)
    query = (db.select(ProfitVersion, Project, waiting)
             .join(Project, Project.id == ProfitVersion.project_id).outerjoin(counts, counts.c.id == ProfitVersion.id)
             .where(ProfitVersion.disclosed_at.is_not(None), ProfitVersion.project_id.in_(visible))
             .order_by(waiting.desc(), ProfitVersion.disclosed_at.desc(), ProfitVersion.id.desc()).limit(limit))
    if waiting_only:
        query = query.where(waiting > 0)
    return db.session.execute(query).all()


def waiting_partners(visible) -> int:
    """How many partners wait for a notice of the visible projects' disclosures."""
    pending = _unsent(visible).subquery()
    return db.session.scalar(db.select(sa.func.count(sa.distinct(pending.c.user_id))))


def send_merged(group_id: int, visible, actor: str) -> int:
    """合并发送通知: each partner gets one notice naming every disclosure since their last notice. Partners
    told of the same set share one batch (one text, as a work notice wants). The receipts' unique key makes a
    second sender at the same moment fail (nothing sent twice). Returns how many partners were told."""
    pairs = db.session.execute(_unsent(visible)).all()
    if not pairs:
        return 0
    by_user: dict[int, list[int]] = defaultdict(list)
    for version_id, user_id in pairs:
        by_user[user_id].append(version_id)
    rows = {v.id: (v, p) for v, p in db.session.execute(
        db.select(ProfitVersion, Project).join(Project, Project.id == ProfitVersion.project_id)
        .where(ProfitVersion.id.in_({v for v, _u in pairs})))}
    groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for user_id, version_ids in by_user.items():
        groups[tuple(sorted(version_ids))].append(user_id)
    now, receipts = utcnow(), []
    channels = outbox.personal_channels(group_id)
    for version_ids, user_ids in groups.items():
        items = "；".join(f"{rows[v][1].name} {rows[v][0].label}" for v in version_ids)
        projects = {rows[v][1].id for v in version_ids}
        batch = outbox.notify(group_id, user_ids, _("披露通知"),
                              _("您参与的项目有新的披露：%(items)s。请登录个人中心查看。", items=items),
                              link="/disclosure/me", channels_=channels, kind="disclosure.notice",
                              project_id=next(iter(projects)) if len(projects) == 1 else None, actor=actor)
        receipts.extend({"group_id": group_id, "version_id": v, "user_id": u, "batch_id": batch.id, "sent_at": now,
                         "sent_by": actor} for u in user_ids for v in version_ids)
    db.session.execute(sa.insert(DisclosureReceipt.__table__), receipts)
    record_action(db.session, group_id, "disclosure:notified", DisclosureReceipt.__tablename__, "",
                  _("合并发送通知"), before=None,
                  after={"partners": len(by_user), "versions": sorted(rows), "receipts": len(receipts)})
    return len(by_user)


SEND_JOB = "disclosure.send_merged"


def send_merged_job(user_id: int) -> int:
    """The job behind 合并发送通知, for the projects the business admin ``user_id`` sees. A second run at the
    same time (a double click) finds nothing left, or loses on the receipts' unique key and sends nothing."""
    from core.audit import acting_as
    from core.models import User
    from core.permissions import projects_query
    from core import roles
    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.has_role(roles.BUSINESS_ADMIN):
        return 0
    with acting_as(user.id, user.username):
        try:
            return send_merged(user.group_id, projects_query(user).with_only_columns(Project.id), user.username)
        except sa.exc.IntegrityError:
            db.session.rollback()
            return 0
