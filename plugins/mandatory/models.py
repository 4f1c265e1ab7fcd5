"""Tables of the 强投名单: the entries an admin maintains, and the waivers of one project's partners."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.money import MONEY, PERCENT
from core.tenancy import TenantMixin

MIN_KINDS = {"amount": _l("金额"), "percent": _l("层级额度比例")}


class MandatoryEntry(TenantMixin, db.Model):
    """One line of the 强投名单: a user, or every user of the company holding a role, must co-invest in
    the projects of ``company`` (and of the companies below it when ``include_children``) in ``tier``, at
    least ``min_amount``, or ``min_percent`` of the tier's pot, for projects whose 拿地时间 falls in
    [valid_from, valid_to]."""

    __label__ = _l("强投名单")
    __tablename__ = "mandatory_entry"
    __audited__ = True
    __column_labels__ = {"company_id": _l("公司"), "include_children": _l("含下属公司项目"), "user_id": _l("人员"),
                         "role": _l("岗位角色"), "tier": _l("层级"), "min_kind": _l("最低认购方式"),
                         "min_amount": _l("最低认购金额"), "min_percent": _l("最低认购比例（%）"),
                         "valid_from": _l("起始日期"), "valid_to": _l("结束日期"), "note": _l("备注")}
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("core_company.id"), index=True)
    include_children: Mapped[bool] = mapped_column(default=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(30), default="")
    tier: Mapped[str] = mapped_column(sa.String(12))
    min_kind: Mapped[str] = mapped_column(sa.String(10), default="amount")
    min_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    min_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date | None]
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    version: Mapped[int] = mapped_column(default=1)

    company = relationship("Company")
    user = relationship("User")
    __mapper_args__ = {"version_id_col": version}

    def __str__(self):
        who = self.user.name if self.user else self.role
        return f"{self.company.name if self.company else self.company_id} · {who}"


class MandatoryWaiver(TenantMixin, db.Model):
    """A required partner left off one project's 合伙名单 (or removed from it), and why."""

    __label__ = _l("强投豁免")
    __tablename__ = "mandatory_waiver"
    __table_args__ = (sa.UniqueConstraint("project_id", "user_id"),)
    __audited__ = True
    __column_labels__ = {"project_id": _l("项目"), "user_id": _l("人员"), "reason": _l("原因")}
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(200))

    def __str__(self):
        return f"{self.project_id} · {self.user_id}"
