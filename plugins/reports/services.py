"""The reports' figures: one SELECT per report (plus one for its totals), whatever the number of partners.

Money is summed in SQL on the stages' exact columns (core.money.ExactNumeric keeps Decimal on SQLite
and PostgreSQL); a derived figure (未缴 = 投资金额 − 已缴) is computed from its row's Decimals, and from the
totals row the same way, so a total equals the sum of its rows to the cent.

Where a stage's module is disabled for the group company its columns are left out. The exit stage is
optional (not in the manifest's ``depends``): its table is read through the metadata, only when the
module is enabled — one join, no import of the plugin and no hook round-trip per row.

A stake counts once, as in the subscription stage's tier sums: the part of an exited partner's investment
that new partners took over (``stakes_passed_on``, core.holders) counts in their rows, not in his, and what peak
changes made of the part the platform company holds (``stakes_adjusted``) counts in his row, its 补缴/退款 in 已缴
once confirmed (``passed_parts``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal
from typing import Callable

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l

from core import holders
from core.extensions import db
from core.models import Batch, Company, Project, User
from core.modules import hooks_for, is_enabled
from core.permissions import projects_query
from core.tenancy import current_group_id
from plugins.distribution.models import DistributionBatch, DistributionLine
from plugins.subscription import services as subscription
from plugins.subscription.models import TIERS, Initiation, Payment, Subscription, TierRatio

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"              # text, money, int, date, percent
    derive: Callable | None = None  # from the row's (or the totals') dict; linear, so totals stay sums
    total: bool = True              # money and int columns are totalled unless False
    sortable: bool = True


@dataclasses.dataclass
class Filters:
    company_id: int | None = None
    project_id: int | None = None
    batch_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    query: str = ""

    def to_params(self) -> dict:
        """As JSON for an export job (``from_params`` reads it back)."""
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_params(cls, params: dict) -> Filters:
        values = {f.name: params.get(f.name) for f in dataclasses.fields(cls) if params.get(f.name) is not None}
        for name in ("date_from", "date_to"):
            if values.get(name):
                values[name] = dt.date.fromisoformat(values[name])
        return cls(**values)

    def dates(self, column):
        conditions = []
        if self.date_from:
            conditions.append(column >= self.date_from)
        if self.date_to:
            conditions.append(column <= self.date_to)
        return conditions


def company_ids(company_id: int) -> list[int]:
    """The company and every company below it (the company tree of 公司维护)."""
    from core.admin.companies import _descendants
    return sorted({company_id} | _descendants(company_id))


def visible_projects(user, filters: Filters):
    """The ids of the projects ``user`` may see (an accountant: the authorised ones), as filtered."""
    query = projects_query(user).with_only_columns(Project.id).where(Project.group_id == current_group_id())
    if filters.company_id:
        query = query.where(Project.company_id.in_(company_ids(filters.company_id)))
    if filters.project_id:
        query = query.where(Project.id == filters.project_id)
    if filters.batch_id:
        query = query.where(Project.batch_id == filters.batch_id)
    return query


def paid_by_subscription(filters: Filters):
    """已缴 per subscription: payments less refunds, reversed ones left out, within the dates."""
    return (sa.select(Payment.subscription_id.label("sid"), sa.func.sum(Payment.amount).label("paid"),
                      sa.func.min(Payment.paid_on).label("first_paid"))
            .where(Payment.reversed_at.is_(None), *filters.dates(Payment.paid_on))
            .group_by(Payment.subscription_id).subquery("paid"))


def distributed_by_subscription(filters: Filters):
    """What approved batches distributed per subscription, within the dates (分配日期)."""
    line = DistributionLine
    return (sa.select(line.subscription_id.label("sid"), sa.func.sum(line.principal).label("principal"),
                      sa.func.sum(line.interest).label("interest"), sa.func.sum(line.other).label("other"),
                      sa.func.sum(line.profit).label("profit"))
            .join(DistributionBatch, DistributionBatch.id == line.batch_id)
            .where(DistributionBatch.approved_at.is_not(None), *filters.dates(DistributionBatch.distributed_on))
            .group_by(line.subscription_id).subquery("dist"))


def exit_table():
    """The exit stage's table when its module is enabled for the current group company, else None."""
    if not is_enabled(current_group_id(), "exit"):
        return None
    return db.metadata.tables.get("exit_exit")


EXIT_DONE = ("approved", "transferred", "paid", "kept")
EXIT_KINDS = {"resign": _l("离职"), "retire": _l("退休")}


def exits_by_subscription(table, filters: Filters | None = None):
    conditions = [table.c.state.in_(EXIT_DONE), table.c.group_id == current_group_id()]
    if filters:
        conditions += filters.dates(table.c.exit_on)
    return (sa.select(table.c.subscription_id.label("sid"), sa.func.max(table.c.kind).label("exit_kind"),
                      sa.func.max(table.c.exit_on).label("exit_on"), sa.func.max(table.c.state).label("exit_state"),
                      sa.type_coerce(sa.func.sum(table.c.payout), table.c.payout.type).label("payout"),
                      sa.func.max(table.c.paid_on).label("payout_on"))
            .where(*conditions).group_by(table.c.subscription_id).subquery("exits"))


def passes_stakes_on() -> bool:
    """Whether a module enabled for the group company may pass a stake on to new partners (``stakes_passed_on``)."""
    return bool(hooks_for(current_group_id()).stakes_passed_on.get_hookimpls())


def _within(filters: Filters, day: dt.date | None) -> bool:
    return day is not None and not (filters.date_from and day < filters.date_from) and not (
        filters.date_to and day > filters.date_to)


def passed_parts(user, filters: Filters) -> dict[int, dict[str, Decimal]]:
    """The part of each visible subscription now counted in new partners' subscriptions (an exited stake taken
    over: core.holders.passed_on), as investment, self-funded and financed, split as the 认购明细 splits it
    (subscription.services.passed_parts); and what peak changes made of the stake since the platform company
    holds it (core.holders.adjustments: ``adjusted``, its own money) and what of that its holder paid or was
    refunded within the dates (``adjusted_paid``); by subscription id. The hooks are per project: one call each per
    visible project (none when no enabled module passes or adjusts stakes), then one query for the subscriptions
    concerned."""
    hooks = hooks_for(current_group_id())
    if not (hooks.stakes_passed_on.get_hookimpls() or hooks.stakes_adjusted.get_hookimpls()):
        return {}
    projects = db.session.scalars(sa.select(Project).where(Project.id.in_(visible_projects(user, filters)))).all()
    passed = {sid for project in projects for sid in holders.passed_on(project.id)}
    changes = [a for project in projects for a in holders.adjustments(project.id)]
    concerned = sorted(passed | {a.subscription_id for a in changes})
    if not concerned:
        return {}
    rows = db.session.execute(sa.select(Subscription.id, Subscription.project_id, Subscription.investment,
                                        Subscription.financed).where(Subscription.id.in_(concerned))
                              .order_by(Subscription.project_id)).all()
    parts = {row.id: dict.fromkeys(("investment", "self_funded", "financed", "adjusted", "adjusted_paid"), ZERO)
             for row in rows}
    for _project, group in itertools.groupby(rows, key=lambda r: r.project_id):
        for row, part in subscription.passed_parts(list(group)):
            parts[row.id].update(part)
    for change in changes:
        if change.subscription_id in parts:
            parts[change.subscription_id]["adjusted"] += change.amount
            if _within(filters, change.settled_on):
                parts[change.subscription_id]["adjusted_paid"] += change.amount
    return parts


def _part(parts: dict, field: str, otherwise=ZERO):
    """The passed-on ``field`` of the row's subscription, in SQL: a CASE over the few subscriptions concerned."""
    money = Payment.amount.type
    return sa.case({sid: sa.literal(part[field], money) for sid, part in parts.items()}, value=Subscription.id,
                   else_=sa.literal(otherwise, money) if otherwise is not None else None)


def held(column, parts: dict, field: str = "investment"):
    """``column`` (the subscription's ``field``) less its part passed on to new partners, plus what peak changes
    made of the stake the platform company holds (to 投资金额 and 自有资金: no 配资 in it)."""
    if not parts:
        return column
    value = column - _part(parts, field)
    return sa.type_coerce(value if field == "financed" else value + _part(parts, "adjusted"), Payment.amount.type)


def held_paid(paid, parts: dict):
    """已缴 less what was paid for the part passed on (at most what was paid): the new partners pay for it; plus the
    platform company's confirmed 补缴 (or less its 退款) of the peak changes of the stake it holds."""
    if not parts:
        return paid
    taken, known = _part(parts, "investment"), sa.func.coalesce(paid, 0)
    return sa.type_coerce(paid - sa.case((known <= 0, 0), (known < taken, known), else_=taken)
                          + _part(parts, "adjusted_paid"), Payment.amount.type)


def passed_column(parts: dict):
    """新合伙人承接: the part passed on, NULL for the other rows."""
    parts = {sid: part for sid, part in parts.items() if part["investment"]}
    if parts:
        return sa.type_coerce(_part(parts, "investment", None), Payment.amount.type).label("passed")
    return sa.type_coerce(sa.cast(sa.null(), sa.Numeric(18, 2)), Payment.amount.type).label("passed")


def _money(row: dict, *keys) -> Decimal:
    return sum((row.get(k) or ZERO for k in keys), ZERO)


def _distributed(row):
    """分配合计: 本金 − |资金利息| + 其它 + 利润."""
    return _money(row, "principal", "other", "profit") - abs(row.get("interest") or ZERO)


class Report:
    """A report: its columns, the SELECT of its rows, and whether its rows are few (per project)."""

    code = ""
    title = ""
    small = False  # few rows: totals and sorting over the rows themselves
    default_sort = "project"

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def select(self, user, filters: Filters):
        raise NotImplementedError

    def available(self) -> bool:
        return True


def finish(columns: list[Column], row: dict) -> dict:
    for column in columns:
        if column.derive:
            row[column.key] = column.derive(row)
    return row


class PaymentSummary(Report):
    """立项及缴款汇总表: per project, the peak, ratios, pot, what was subscribed, invested, paid and owed.

    投资金额 is what the tiers hold now (subscription.services.tier_totals): a stake taken over by new partners
    counts in their rows; what its first holder paid for it leaves 已缴 with it, since the new partners pay it."""

    code = "payments"
    title = _l("立项及缴款汇总表")
    small = True

    def columns(self):
        return [Column("project", _l("项目名称")), Column("company", _l("城市公司")), Column("batch", _l("批次")),
                Column("capital_peak", _l("资金峰值"), "money"),
                Column("ratio", _l("合伙投资占比（%）"), "percent", total=False),
                Column("pot", _l("合伙投资额度"), "money",
                       derive=lambda r: ((r["capital_peak"] or ZERO) * (r["ratio"] or ZERO) / 100).quantize(CENT)),
                Column("partners", _l("合伙人数"), "int"),
                Column("subscribed", _l("认购金额"), "money"), Column("investment", _l("投资金额"), "money"),
                Column("paid", _l("已缴金额"), "money"),
                Column("owed", _l("未缴金额"), "money", derive=lambda r: _money(r, "investment") - _money(r, "paid")),
                Column("paid_in_full", _l("已缴清人数"), "int")]

    def select(self, user, filters):
        paid, parts = paid_by_subscription(filters), passed_parts(user, filters)
        per_sub = (sa.select(Subscription.project_id.label("pid"), sa.func.count().label("partners"),
                             sa.func.sum(Subscription.subscribed_amount).label("subscribed"),
                             sa.func.sum(held(Subscription.investment, parts)).label("investment"),
                             sa.type_coerce(sa.func.sum(held_paid(paid.c.paid, parts)), Payment.amount.type
                                            ).label("paid"),
                             sa.func.sum(sa.case((sa.func.coalesce(paid.c.paid, 0) >= Subscription.investment, 1),
                                                 else_=0)).label("paid_in_full"))
                   .outerjoin(paid, paid.c.sid == Subscription.id)
                   .where(Subscription.investment.is_not(None)).group_by(Subscription.project_id).subquery("subs"))
        ratios = (sa.select(TierRatio.project_id.label("pid"), sa.func.sum(TierRatio.ratio).label("ratio"))
                  .group_by(TierRatio.project_id).subquery("ratios"))
        return (sa.select(Project.id.label("project_id"), Project.name.label("project"),
                          Company.name.label("company"), Batch.name.label("batch"),
                          Initiation.capital_peak.label("capital_peak"), ratios.c.ratio,
                          per_sub.c.partners, per_sub.c.subscribed, per_sub.c.investment, per_sub.c.paid,
                          per_sub.c.paid_in_full)
                .join(Company, Company.id == Project.company_id).outerjoin(Batch, Batch.id == Project.batch_id)
                .outerjoin(Initiation, Initiation.project_id == Project.id)
                .outerjoin(ratios, ratios.c.pid == Project.id).outerjoin(per_sub, per_sub.c.pid == Project.id)
                .where(Project.id.in_(visible_projects(user, filters))))


FIGURES = ("principal", "interest", "other", "profit")


class DistributionSummary(Report):
    """分配汇总表: per project and approved batch, the partners' 本金, 资金利息, 其它, 利润 and 分配合计, as the other
    reports count them; the lines of holders that are not partners (the platform company holding exited stakes,
    ``distribution_holders``) apart, in 平台公司分配, when there are any, and 含平台公司合计 the batch's whole total."""

    code = "distributions"
    title = _l("分配汇总表")
    small = True

    def columns(self):
        return [Column("project", _l("项目名称")), Column("company", _l("城市公司")), Column("batch", _l("批次")),
                Column("round", _l("分配批次")), Column("distributed_on", _l("分配日期"), "date"),
                Column("partners", _l("合伙人数"), "int"),
                Column("principal", _l("本金"), "money"), Column("interest", _l("资金利息"), "money"),
                Column("other", _l("其它"), "money"), Column("profit", _l("利润"), "money"),
                Column("total", _l("分配合计"), "money", derive=_distributed)] + ([
                Column("holders", _l("平台公司分配"), "money", derive=lambda r: _distributed(
                    {k: r.get(f"holders_{k}") for k in FIGURES})),
                Column("whole", _l("含平台公司合计"), "money", derive=lambda r: _money(r, "total", "holders"))]
            if self.has_holders() else [])

    @staticmethod
    def has_holders() -> bool:
        """Whether an approved batch of the group company has a line of a holder that is not a partner."""
        return db.session.scalar(sa.select(DistributionLine.id).join(
            DistributionBatch, DistributionBatch.id == DistributionLine.batch_id).where(
            DistributionBatch.approved_at.is_not(None), DistributionLine.holder != "").limit(1)) is not None

    def select(self, user, filters):
        line, money = DistributionLine, Payment.amount.type
        partner = line.holder == ""

        def summed(key, partners=True):
            value = sa.case((partner if partners else sa.not_(partner), getattr(line, key)), else_=0)
            return sa.type_coerce(sa.func.coalesce(sa.func.sum(value), 0), money)

        return (sa.select(Project.id.label("project_id"), Project.name.label("project"),
                          Company.name.label("company"), Batch.name.label("batch"),
                          DistributionBatch.kind.label("kind"), DistributionBatch.number.label("number"),
                          DistributionBatch.distributed_on.label("distributed_on"),
                          sa.func.sum(sa.case((partner, 1), else_=0)).label("partners"),
                          *(summed(k).label(k) for k in FIGURES),
                          *(summed(k, False).label(f"holders_{k}") for k in FIGURES))
                .select_from(DistributionBatch).join(Project, Project.id == DistributionBatch.project_id)
                .join(Company, Company.id == Project.company_id).outerjoin(Batch, Batch.id == Project.batch_id)
                .join(line, line.batch_id == DistributionBatch.id)
                .where(DistributionBatch.approved_at.is_not(None), Project.id.in_(visible_projects(user, filters)),
                       *filters.dates(DistributionBatch.distributed_on))
                .group_by(Project.id, Project.name, Company.name, Batch.name, DistributionBatch.id,
                          DistributionBatch.kind, DistributionBatch.number, DistributionBatch.distributed_on))

    @staticmethod
    def prepare(row: dict) -> dict:
        from flask_babel import gettext as _
        from plugins.distribution.models import KINDS
        row["round"] = (_("第%(n)s次利润分配", n=row["number"]) if row["kind"] == "profit"
                        else str(KINDS.get(row["kind"], row["kind"])))
        return row


class PartnerPositions(Report):
    """员工合伙信息查询表: every partner × project with what they invested, paid and were distributed.

    Also the rows of the admin's 事业合伙明细大表 (``detailed=True``: every figure)."""

    code = "partners"
    title = _l("员工合伙信息查询表")
    default_sort = "name"

    def __init__(self, detailed: bool = False):
        self.detailed = detailed

    def columns(self):
        cols = [Column("name", _l("姓名")), Column("username", _l("账号")), Column("project", _l("项目名称")),
                Column("company", _l("城市公司")), Column("batch", _l("批次")), Column("tier_label", _l("层级"), sortable=False)]
        if self.detailed:
            cols += [Column("subscribed", _l("认购金额"), "money"), Column("self_funded", _l("自有资金"), "money"),
                     Column("financed", _l("配资"), "money")]
        cols += [Column("investment", _l("投资金额"), "money")]
        if passes_stakes_on():
            cols += [Column("passed", _l("新合伙人承接"), "money")]
        cols += [Column("paid", _l("已缴金额"), "money"),
                 Column("owed", _l("未缴金额"), "money", derive=lambda r: _money(r, "investment") - _money(r, "paid"),
                        sortable=False)]
        if self.detailed:
            cols += [Column("first_paid", _l("缴款日期"), "date")]
        cols += [Column("principal", _l("本金"), "money"), Column("interest", _l("资金利息"), "money"),
                 Column("other", _l("其它"), "money"), Column("profit", _l("利润"), "money"),
                 Column("distributed", _l("分配合计"), "money", derive=_distributed, sortable=False)]
        if exit_table() is not None:
            cols += [Column("state", _l("状态"), sortable=False), Column("payout", _l("退出打款金额"), "money")]
        return cols

    def select(self, user, filters):
        paid, dist = paid_by_subscription(filters), distributed_by_subscription(filters)
        money, parts = Payment.amount.type, passed_parts(user, filters)
        query = (sa.select(Subscription.id.label("subscription_id"), User.name.label("name"),
                           User.username.label("username"), Project.name.label("project"),
                           Company.name.label("company"), Batch.name.label("batch"), Subscription.tier.label("tier"),
                           Subscription.subscribed_amount.label("subscribed"),
                           held(Subscription.self_funded, parts, "self_funded").label("self_funded"),
                           held(Subscription.financed, parts, "financed").label("financed"),
                           held(Subscription.investment, parts).label("investment"), passed_column(parts),
                           sa.type_coerce(held_paid(paid.c.paid, parts), money).label("paid"), paid.c.first_paid,
                           *(sa.type_coerce(dist.c[k], money).label(k)
                             for k in ("principal", "interest", "other", "profit")))
                 .select_from(Subscription).join(User, User.id == Subscription.user_id)
                 .join(Project, Project.id == Subscription.project_id)
                 .join(Company, Company.id == Project.company_id).outerjoin(Batch, Batch.id == Project.batch_id)
                 .outerjoin(paid, paid.c.sid == Subscription.id).outerjoin(dist, dist.c.sid == Subscription.id)
                 .where(Subscription.investment.is_not(None), Project.id.in_(visible_projects(user, filters))))
        if filters.query:
            query = query.where(sa.or_(User.name.contains(filters.query, autoescape=True),
                                       User.username.contains(filters.query, autoescape=True)))
        table = exit_table()
        if table is not None:
            exits = exits_by_subscription(table)
            query = query.add_columns(exits.c.exit_kind, exits.c.exit_state,
                                      sa.type_coerce(exits.c.payout, money).label("payout")
                                      ).outerjoin(exits, exits.c.sid == Subscription.id)
        return query

    @staticmethod
    def prepare(row: dict) -> dict:
        from flask_babel import gettext as _
        row["tier_label"] = str(TIERS.get(row["tier"], row["tier"]))
        if "exit_kind" in row:
            row["state"] = str(EXIT_KINDS.get(row["exit_kind"], "")) if row["exit_kind"] else _("在投")
        return row


class ExitedPartners(Report):
    """退出员工合伙信息查询表: the partners who exited, with the kind, date and payout."""

    code = "exits"
    title = _l("退出员工合伙信息查询表")
    default_sort = "exit_on"

    def available(self):
        return exit_table() is not None

    def columns(self):
        return [Column("name", _l("姓名")), Column("username", _l("账号")), Column("project", _l("项目名称")),
                Column("company", _l("城市公司")), Column("kind_label", _l("退出类型"), sortable=False),
                Column("exit_on", _l("退出日期"), "date"), Column("investment", _l("投资金额"), "money"),
                Column("payout", _l("退出打款金额"), "money"), Column("payout_on", _l("打款日期"), "date")]

    def select(self, user, filters):
        table = exit_table()
        exits = exits_by_subscription(table, filters)
        query = (sa.select(Subscription.id.label("subscription_id"), User.name.label("name"),
                           User.username.label("username"), Project.name.label("project"),
                           Company.name.label("company"), exits.c.exit_kind, exits.c.exit_on,
                           Subscription.investment.label("investment"),
                           sa.type_coerce(exits.c.payout, Payment.amount.type).label("payout"), exits.c.payout_on)
                 .select_from(exits).join(Subscription, Subscription.id == exits.c.sid)
                 .join(User, User.id == Subscription.user_id).join(Project, Project.id == Subscription.project_id)
                 .join(Company, Company.id == Project.company_id)
                 .where(Project.id.in_(visible_projects(user, filters))))
        if filters.query:
            query = query.where(sa.or_(User.name.contains(filters.query, autoescape=True),
                                       User.username.contains(filters.query, autoescape=True)))
        return query

    @staticmethod
    def prepare(row: dict) -> dict:
        row["kind_label"] = str(EXIT_KINDS.get(row["exit_kind"], row["exit_kind"] or ""))
        return row


class WorkTracking(Report):
    """工作跟踪表: per project, each process of the enabled stages: done, running or waiting, with its dates.

    Processes of a disabled module are not listed (core.processes.service.kinds_for)."""

    code = "tracking"
    title = _l("工作跟踪表")
    small = True

    def columns(self):
        return [Column("project", _l("项目名称")), Column("company", _l("城市公司")), Column("batch", _l("批次")),
                Column("process", _l("流程"), sortable=False), Column("state", _l("状态")),
                Column("started", _l("发起时间"), "date"), Column("completed", _l("完成时间"), "date"),
                Column("runs", _l("次数"), "int", total=False)]

    def rows(self, user, filters):
        from core.processes.models import RESET, STATE_LABELS, ProcessInstance
        from core.processes.service import kinds_for
        from core.ui import localtime
        kinds = kinds_for(current_group_id())
        projects = db.session.execute(
            sa.select(Project.id, Project.name, Company.name.label("company"), Batch.name.label("batch"))
            .join(Company, Company.id == Project.company_id).outerjoin(Batch, Batch.id == Project.batch_id)
            .where(Project.id.in_(visible_projects(user, filters))).order_by(Project.name)).all()
        runs = (sa.select(ProcessInstance.project_id, ProcessInstance.kind, sa.func.max(ProcessInstance.id).label("last"),
                          sa.func.count().label("runs"))
                .where(ProcessInstance.state != RESET, ProcessInstance.project_id.in_(visible_projects(user, filters)))
                .group_by(ProcessInstance.project_id, ProcessInstance.kind).subquery("runs"))
        found = {(r.project_id, r.kind): r for r in db.session.execute(
            sa.select(runs.c.project_id, runs.c.kind, runs.c.runs, ProcessInstance.state, ProcessInstance.started_at,
                      ProcessInstance.completed_at).join(ProcessInstance, ProcessInstance.id == runs.c.last))}
        waiting = str(_l("待发起"))
        out = []
        for project in projects:
            for kind in kinds:
                run = found.get((project.id, kind.code))
                started = run.started_at if run else None
                if filters.date_from and (started is None or started.date() < filters.date_from):
                    continue
                if filters.date_to and (started is None or started.date() > filters.date_to):
                    continue
                out.append({"project_id": project.id, "project": project.name, "company": project.company,
                            "batch": project.batch, "process": str(kind.label),
                            "state": str(STATE_LABELS.get(run.state, run.state)) if run else waiting,
                            "started": localtime(started, "%Y-%m-%d") if started else None,
                            "completed": localtime(run.completed_at, "%Y-%m-%d") if run and run.completed_at else None,
                            "runs": run.runs if run else 0})
        return out


class RealtimeSummary(Report):
    """实时跟踪汇总表: the group's figures now, by company and batch (its charts: ``cash_over_time`` and the rows)."""

    code = "realtime"
    title = _l("实时跟踪汇总表")
    small = True
    default_sort = "company"

    def columns(self):
        cols = [Column("company", _l("城市公司")), Column("batch", _l("批次")), Column("projects", _l("项目数"), "int"),
                Column("partners", _l("合伙人数"), "int"), Column("investment", _l("投资金额"), "money"),
                Column("paid", _l("已缴金额"), "money"), Column("principal", _l("本金"), "money"),
                Column("interest", _l("资金利息"), "money"), Column("other", _l("其它"), "money"),
                Column("profit", _l("利润"), "money"), Column("distributed", _l("分配合计"), "money", derive=_distributed)]
        if exit_table() is not None:
            cols.append(Column("payout", _l("退出打款金额"), "money"))
        return cols

    def select(self, user, filters):
        paid, dist = paid_by_subscription(filters), distributed_by_subscription(filters)
        money, parts = Payment.amount.type, passed_parts(user, filters)
        query = (sa.select(Company.name.label("company"), Batch.name.label("batch"),
                           sa.func.count(sa.distinct(Project.id)).label("projects"), sa.func.count().label("partners"),
                           sa.func.sum(held(Subscription.investment, parts)).label("investment"),
                           sa.type_coerce(sa.func.sum(held_paid(paid.c.paid, parts)), money).label("paid"),
                           *(sa.type_coerce(sa.func.sum(dist.c[k]), money).label(k)
                             for k in ("principal", "interest", "other", "profit")))
                 .select_from(Subscription).join(Project, Project.id == Subscription.project_id)
                 .join(Company, Company.id == Project.company_id).outerjoin(Batch, Batch.id == Project.batch_id)
                 .outerjoin(paid, paid.c.sid == Subscription.id).outerjoin(dist, dist.c.sid == Subscription.id)
                 .where(Subscription.investment.is_not(None), Project.id.in_(visible_projects(user, filters)))
                 .group_by(Company.name, Batch.name))
        table = exit_table()
        if table is not None:
            exits = exits_by_subscription(table, filters)
            query = query.add_columns(sa.type_coerce(sa.func.sum(exits.c.payout), money).label("payout")
                                      ).outerjoin(exits, exits.c.sid == Subscription.id)
        return query

    @staticmethod
    def prepare(row):
        row["interest"] = row.get("interest") or ZERO  # the sum of −|B|: abs() of the total is the sum of abs()
        return row


def cash_over_time(user, filters: Filters) -> tuple[list[str], list[Decimal], list[Decimal]]:
    """Months, and per month the cumulative 已缴 (invested) and cumulative 分配合计 (returned) of the partners, as
    the table counts them (not the platform company's lines). Two queries grouped by day: rows per date."""
    visible = visible_projects(user, filters)
    paid = db.session.execute(sa.select(Payment.paid_on, sa.func.sum(Payment.amount))
                              .where(Payment.reversed_at.is_(None), Payment.project_id.in_(visible),
                                     *filters.dates(Payment.paid_on)).group_by(Payment.paid_on)).all()
    line = DistributionLine
    back = db.session.execute(sa.select(DistributionBatch.distributed_on, sa.func.sum(line.principal),
                                        sa.func.sum(line.interest), sa.func.sum(line.other), sa.func.sum(line.profit))
                              .join(DistributionBatch, DistributionBatch.id == line.batch_id)
                              .where(DistributionBatch.approved_at.is_not(None), line.project_id.in_(visible),
                                     line.holder == "", DistributionBatch.distributed_on.is_not(None),
                                     *filters.dates(DistributionBatch.distributed_on))
                              .group_by(DistributionBatch.distributed_on)).all()
    months: dict[str, list[Decimal]] = {}
    for day, amount in paid:
        months.setdefault(day.strftime("%Y-%m"), [ZERO, ZERO])[0] += amount or ZERO
    for day, principal, interest, other, profit in back:
        total = (principal or ZERO) - abs(interest or ZERO) + (other or ZERO) + (profit or ZERO)
        months.setdefault(day.strftime("%Y-%m"), [ZERO, ZERO])[1] += total
    labels, invested, returned, a, b = [], [], [], ZERO, ZERO
    for month in sorted(months):
        a += months[month][0]
        b += months[month][1]
        labels.append(month)
        invested.append(a)
        returned.append(b)
    return labels, invested, returned


REPORTS = {r.code: r for r in (WorkTracking(), PaymentSummary(), DistributionSummary(), RealtimeSummary(),
                                PartnerPositions(), ExitedPartners())}


def _prepare(report, row, columns) -> dict:
    row = dict(row)
    prepare = getattr(report, "prepare", None)
    if prepare:
        row = prepare(row)
    return finish(columns, row)


def _small_rows(report, user, filters, columns) -> list[dict]:
    if hasattr(report, "rows"):
        return [finish(columns, row) for row in report.rows(user, filters)]
    return [_prepare(report, r, columns) for r in db.session.execute(report.select(user, filters)).mappings()]


def _sorted(rows: list[dict], key: str, descending: bool = False) -> list[dict]:
    """Rows ordered by ``key``; rows without a value last, either way (as ``nulls_last`` in SQL)."""
    known = sorted((r for r in rows if r.get(key) is not None), key=lambda r: r[key], reverse=descending)
    return known + [r for r in rows if r.get(key) is None]


def page(report: Report, user, filters: Filters, sort: str = "", descending: bool = False,
         number: int = 1, per_page: int = 50):
    """(rows of the page, totals of every filtered row, count of rows)."""
    columns = report.columns()
    keys = {c.key for c in columns if c.sortable}
    sort = sort if sort in keys else report.default_sort
    if report.small:
        rows = _sorted(_small_rows(report, user, filters, columns), sort, descending)
        totals = totals_of(columns, rows)
        start = (number - 1) * per_page
        return rows[start:start + per_page], totals, len(rows)
    sub = report.select(user, filters).subquery("rows")
    summed = [c.key for c in columns if c.kind in ("money", "int") and c.total and not c.derive]
    found = db.session.execute(sa.select(sa.func.count(), *(sa.type_coerce(sa.func.sum(sub.c[k]), sub.c[k].type)
                                                             for k in summed)).select_from(sub)).one()
    count, totals = found[0], {k: (v if v is not None else ZERO) for k, v in zip(summed, found[1:])}
    finish(columns, totals)
    order = (sub.c[sort].desc() if descending else sub.c[sort].asc()).nulls_last()  # the same on both databases
    rows = db.session.execute(sa.select(sub).order_by(order, sub.c.subscription_id)
                              .limit(per_page).offset((number - 1) * per_page)).mappings()
    return [_prepare(report, r, columns) for r in rows], totals, count


def totals_of(columns, rows) -> dict:
    totals = {}
    for column in columns:
        if column.kind in ("money", "int") and column.total:
            totals[column.key] = sum((r.get(column.key) or 0 for r in rows), ZERO if column.kind == "money" else 0)
    return totals


def all_rows(report: Report, user, filters: Filters, sort: str = "", descending: bool = False):
    """Every row, streamed in chunks from the database (an export never holds them all)."""
    columns = report.columns()
    sort = sort if sort in {c.key for c in columns if c.sortable} else report.default_sort
    if report.small:
        yield from _sorted(_small_rows(report, user, filters, columns), sort, descending)
        return
    sub = report.select(user, filters).subquery("rows")
    order = (sub.c[sort].desc() if descending else sub.c[sort].asc()).nulls_last()
    result = db.session.execute(sa.select(sub).order_by(order, sub.c.subscription_id),
                                execution_options={"yield_per": 2000, "stream_results": True})
    for row in result.mappings():
        yield _prepare(report, row, columns)
