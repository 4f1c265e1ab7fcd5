"""Tables of the disclosure stage: the dated versions of the dynamic indicators, and who was told."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.money import MONEY, PERCENT
from core.tenancy import TenantMixin


class ProfitVersion(TenantMixin, db.Model):
    """盈亏动态: one dated version of a project's dynamic indicators. Editable until a 披露 process carries
    it; disclosed (``disclosed_at``) it never changes again: a correction is a new version."""

    __label__ = _l("盈亏动态")
    __tablename__ = "disclosure_version"
    __table_args__ = (sa.UniqueConstraint("project_id", "number"),)
    __audited__ = True
    __column_labels__ = {"number": _l("版本"), "as_of": _l("数据日期"), "sales_revenue": _l("销售收入"),
                         "net_profit": _l("净利润"), "net_margin": _l("净利润率（%）"), "irr": _l("IRR（%）"),
                         "payback_months": _l("现金回正周期（月）"), "sales_to_date": _l("累计销售金额"),
                         "cash_collected": _l("累计回款金额"), "progress": _l("进度节点"), "note": _l("说明"),
                         "process_id": _l("披露流程"), "disclosed_at": _l("披露时间")}
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    number: Mapped[int]
    as_of: Mapped[dt.date]
    sales_revenue: Mapped[Decimal | None] = mapped_column(MONEY)
    net_profit: Mapped[Decimal | None] = mapped_column(MONEY)
    net_margin: Mapped[Decimal | None] = mapped_column(PERCENT)
    irr: Mapped[Decimal | None] = mapped_column(PERCENT)
    payback_months: Mapped[int | None]
    sales_to_date: Mapped[Decimal | None] = mapped_column(MONEY)
    cash_collected: Mapped[Decimal | None] = mapped_column(MONEY)
    progress: Mapped[str] = mapped_column(sa.String(500), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by: Mapped[str] = mapped_column(sa.String(60), default="")
    created_at: Mapped[dt.datetime]
    process_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_process.id"), index=True)
    disclosed_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    @property
    def label(self) -> str:
        return str(_l("第%(n)s版", n=self.number)) + f" · {self.as_of.isoformat()}"

    def __str__(self):
        return self.label


class DisclosureReceipt(TenantMixin, db.Model):
    """A partner was told of a disclosed version (合并发送通知); one row per (version, partner), so no
    partner is told of the same disclosure twice."""

    __tablename__ = "disclosure_receipt"
    __table_args__ = (sa.UniqueConstraint("version_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("disclosure_version.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_notice_batch.id"))
    sent_at: Mapped[dt.datetime]
    sent_by: Mapped[str] = mapped_column(sa.String(60), default="")
