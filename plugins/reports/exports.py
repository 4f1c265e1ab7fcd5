"""The exports of 后台管理/辅助工具: 事业合伙明细大表, 缴款信息, 所有项目盈利KPI指标; and the exports of the reports
of partner rows (员工合伙信息查询表, 退出员工合伙信息查询表) with the page's filters and order.

Each ``build(user)`` gives (title, columns, row count, rows as a lazy iterator, totals) — the rows
come from one SELECT streamed in chunks, so 100,000 rows never sit in memory. The disclosure stage
(动态盈利指标) is optional: its table is read only when the module is enabled for the group company,
and its columns are left out otherwise."""
from __future__ import annotations

import dataclasses
from typing import Callable

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l

from core.extensions import db
from core.models import Company, Project, User
from core.modules import is_enabled
from core.tenancy import current_group_id
from plugins.reports import services
from plugins.reports.services import Column, Filters, visible_projects
from plugins.subscription.models import PAYMENT_KINDS, Initiation, Payment, Subscription


@dataclasses.dataclass(frozen=True)
class Kind:
    code: str
    label: str
    build: Callable


def partners(user):
    report = services.PartnerPositions(detailed=True)
    filters = Filters()
    _rows, totals, count = services.page(report, user, filters, "", False, 1, 1)
    return (report.title, report.columns(), count, services.all_rows(report, user, filters, "project"), totals)


PAYMENT_COLUMNS = [Column("project", _l("项目名称")), Column("company", _l("城市公司")), Column("name", _l("姓名")),
                   Column("username", _l("账号")), Column("kind_label", _l("类型")), Column("paid_on", _l("缴款日期"), "date"),
                   Column("amount", _l("金额"), "money"), Column("recorded_by", _l("确认人")),
                   Column("state", _l("状态"))]


def payments(user):
    """缴款信息: every payment and refund; a reversed (冲销) one is listed, marked, and out of the total."""
    filters = Filters()
    query = (sa.select(Payment.id, Project.name.label("project"), Company.name.label("company"), User.name.label("name"),
                       User.username.label("username"), Payment.kind, Payment.paid_on, Payment.amount,
                       Payment.recorded_by, Payment.reversed_at)
             .join(Subscription, Subscription.id == Payment.subscription_id).join(User, User.id == Subscription.user_id)
             .join(Project, Project.id == Payment.project_id).join(Company, Company.id == Project.company_id)
             .where(Project.id.in_(visible_projects(user, filters))))
    sub = query.subquery()
    count, total = db.session.execute(sa.select(sa.func.count(), sa.type_coerce(
        sa.func.sum(sa.case((sub.c.reversed_at.is_(None), sub.c.amount))), Payment.amount.type))).one()
    reversed_label, valid_label = str(_l("已冲销")), str(_l("有效"))

    def rows():
        result = db.session.execute(query.order_by(Project.name, Payment.paid_on, Payment.id),
                                    execution_options={"yield_per": 2000, "stream_results": True})
        for row in result.mappings():
            row = dict(row)
            row["kind_label"] = str(PAYMENT_KINDS.get(row["kind"], row["kind"]))
            row["state"] = reversed_label if row["reversed_at"] else valid_label
            yield row
    return (_l("缴款信息"), PAYMENT_COLUMNS, count, rows(), {"amount": total or services.ZERO})


AT_INITIATION, DYNAMIC = _l("立项"), _l("动态")
KPI_FIELDS = [("sales_revenue", _l("销售收入"), "money"), ("net_profit", _l("净利润"), "money"),
              ("net_margin", _l("净利润率（%）"), "percent"), ("irr", _l("IRR（%）"), "percent"),
              ("payback_months", _l("现金回正周期（月）"), "int")]


def kpi(user):
    """所有项目盈利KPI指标: the initiation's indicators and, with 披露 enabled, the latest dynamic ones beside them."""
    filters = Filters()
    columns = [Column("project", _l("项目名称")), Column("company", _l("城市公司"))]
    fields = [getattr(Initiation, f).label(f"{f}_0") for f, _label, _kind in KPI_FIELDS]
    query = (sa.select(Project.name.label("project"), Company.name.label("company"), *fields)
             .join(Company, Company.id == Project.company_id)
             .outerjoin(Initiation, Initiation.project_id == Project.id)
             .where(Project.id.in_(visible_projects(user, filters))).order_by(Project.name))
    table = db.metadata.tables.get("disclosure_version") if is_enabled(current_group_id(), "disclosure") else None
    for field, label, kind in KPI_FIELDS:
        columns.append(Column(f"{field}_0", f"{label}·{AT_INITIATION}", kind, total=False))
        if table is not None:
            columns.append(Column(f"{field}_1", f"{label}·{DYNAMIC}", kind, total=False))
    if table is not None:
        latest = (sa.select(table.c.project_id, sa.func.max(table.c.number).label("number"))
                  .where(table.c.group_id == current_group_id()).group_by(table.c.project_id).subquery("latest"))
        dynamic = table.alias("dynamic")
        query = (query.add_columns(dynamic.c.as_of.label("as_of"),
                                   *(dynamic.c[f].label(f"{f}_1") for f, _label, _kind in KPI_FIELDS))
                 .outerjoin(latest, latest.c.project_id == Project.id)
                 .outerjoin(dynamic, sa.and_(dynamic.c.project_id == latest.c.project_id,
                                             dynamic.c.number == latest.c.number)))
        columns.append(Column("as_of", _l("动态数据截至"), "date"))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))

    def rows():
        for row in db.session.execute(query, execution_options={"yield_per": 2000}).mappings():
            yield dict(row)
    return (_l("所有项目盈利KPI指标"), columns, count, rows(), None)


KINDS = {k.code: k for k in (Kind("partners", _l("事业合伙明细大表"), partners),
                             Kind("payments", _l("缴款信息"), payments),
                             Kind("kpi", _l("所有项目盈利KPI指标"), kpi))}
REPORT = "report."  # the kind of a report's export: "report.<code>", its filters and order in the params


def report_kind(code: str) -> str:
    return REPORT + code


def label(kind: str) -> str:
    if kind.startswith(REPORT):
        report = services.REPORTS.get(kind[len(REPORT):])
        return str(report.title) if report else kind
    return str(KINDS[kind].label)


def build(kind: str, user, params: dict | None):
    """(title, columns, row count, rows, totals) of an export; None when its report is no longer available
    (its module disabled since)."""
    if not kind.startswith(REPORT):
        return KINDS[kind].build(user)
    report = services.REPORTS.get(kind[len(REPORT):])
    if report is None or not report.available():
        return None
    params = params or {}
    filters, sort, descending = Filters.from_params(params.get("filters", {})), params.get("sort", ""), params.get(
        "desc", False)
    _rows, totals, count = services.page(report, user, filters, sort, descending, 1, 1)
    return report.title, report.columns(), count, services.all_rows(report, user, filters, sort, descending), totals
