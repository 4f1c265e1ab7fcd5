"""The organisation: group companies (tenants), the company tree, batches and projects."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.tenancy import TenantMixin

COMPANY_KINDS = {
    "holding": _l("控股集团"),
    "realestate": _l("置业集团"),
    "city": _l("城市公司"),
    "direct": _l("直属项目公司"),
}
# Kinds that may own projects (项目维护 / 城市公司 column).
PROJECT_OWNER_KINDS = ("city", "direct")

OPERATORS = {"lead": _l("{short}操盘"), "side": _l("{short}方"), "self": _l("自操盘")}


def operator_labels(short_name: str) -> dict[str, str]:
    """操盘方 choices with the group's short name, e.g. {"lead": "锦艺操盘", ...}."""
    return {k: str(v).format(short=short_name or str(_l("我方"))) for k, v in OPERATORS.items()}


# Stored as the Chinese word; shown through the catalogue.
ACQUISITION_METHODS = {"招拍挂": _l("招拍挂"), "股权收购": _l("股权收购"), "合作开发": _l("合作开发"), "其它": _l("其它")}


class GroupCompany(db.Model):
    """A group company (集团): the top of one company tree and one tenant."""

    __tablename__ = "core_group_company"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    short_name: Mapped[str] = mapped_column(sa.String(40), default="")
    modules_version: Mapped[int] = mapped_column(default=0)

    def __str__(self):
        return self.name


class Company(TenantMixin, db.Model):
    """A node of the company tree below the group: 控股集团, 置业集团, 城市公司, 直属项目公司."""

    __label__ = _l("公司")
    __tablename__ = "core_company"
    __table_args__ = (sa.UniqueConstraint("group_id", "name"),)
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_company.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(20))
    region: Mapped[str] = mapped_column(sa.String(60), default="")
    version: Mapped[int] = mapped_column(default=1)  # claimed by the company form (core.versioning)

    parent: Mapped[Company | None] = relationship(remote_side=[id])

    @property
    def kind_label(self):
        return COMPANY_KINDS.get(self.kind, self.kind)

    def __str__(self):
        return self.name


class Batch(TenantMixin, db.Model):
    """A project batch (批次), e.g. "2019年10月", from the managed list (管理批次)."""

    __label__ = _l("批次")
    __tablename__ = "core_batch"
    __table_args__ = (sa.UniqueConstraint("group_id", "name"),)
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40))

    def __str__(self):
        return self.name


class Project(TenantMixin, db.Model):
    """A development project (项目维护)."""

    __label__ = _l("项目")
    __tablename__ = "core_project"
    __table_args__ = (sa.UniqueConstraint("group_id", "code"),)
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(120), index=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("core_company.id"), index=True)
    land_acquired_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_batch.id"), index=True)
    is_open: Mapped[bool] = mapped_column(default=False)
    is_settled: Mapped[bool] = mapped_column(default=False)
    is_joint_operation: Mapped[bool] = mapped_column(default=False)
    operator: Mapped[str] = mapped_column(sa.String(10), default="lead")
    acquisition_method: Mapped[str] = mapped_column(sa.String(20), default="招拍挂")
    version: Mapped[int] = mapped_column(default=1)

    company: Mapped[Company] = relationship()
    batch: Mapped[Batch | None] = relationship()
    __mapper_args__ = {"version_id_col": version}

    def operator_label(self, group: GroupCompany) -> str:
        return operator_labels(group.short_name).get(self.operator, self.operator)

    @property
    def acquisition_method_label(self) -> str:
        return str(ACQUISITION_METHODS.get(self.acquisition_method, self.acquisition_method))

    def __str__(self):
        return self.name
