"""Tables of 小股东: the registered outside shareholders of a project, their 股东分配 batches and lines."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.money import MONEY, PERCENT
from core.tenancy import TenantMixin

KINDS = {"company": _l("企业"), "person": _l("个人")}
ZERO = Decimal("0.00")


class MinorityShareholder(TenantMixin, db.Model):
    """股东登记: an outside company or person holding a stake of the project, as a 合作方 of its 股权合作."""

    __label__ = _l("小股东")
    __tablename__ = "minority_shareholder"
    __table_args__ = (sa.UniqueConstraint("project_id", "id_number"),)
    __audited__ = True
    __column_labels__ = {"name": _l("股东名称"), "kind": _l("股东类型"), "id_number": _l("证件号码"),
                         "contact": _l("联系人"), "phone": _l("联系电话"), "bank": _l("开户行"),
                         "account_name": _l("户名"), "account_number": _l("账号"), "stake": _l("持股比例"),
                         "cooperation": _l("对应股权合作")}
    __reviewed__ = True
    __review_endpoint__ = "minority.shareholders"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(12))  # company: 统一社会信用代码; person: 身份证号码
    id_number: Mapped[str] = mapped_column(sa.String(18))
    contact: Mapped[str] = mapped_column(sa.String(60), default="")
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    bank: Mapped[str] = mapped_column(sa.String(120), default="")
    account_name: Mapped[str] = mapped_column(sa.String(120), default="")
    account_number: Mapped[str] = mapped_column(sa.String(40), default="")
    stake: Mapped[Decimal] = mapped_column(PERCENT)
    cooperation: Mapped[str] = mapped_column(sa.String(120))  # the 合作方 row of 股权合作, by its name
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    @property
    def masked_account(self) -> str:
        digits = self.account_number.replace(" ", "")
        return ("*" * max(len(digits) - 4, 0) + digits[-4:]) if digits else ""

    def __str__(self):
        return self.name


class MinorityBatch(TenantMixin, db.Model):
    """股东分配 batch of a project: 第N次股东分配, its 可分配金额 and date; locked once 审核通过."""

    __label__ = _l("股东分配批次")
    __tablename__ = "minority_batch"
    __table_args__ = (sa.UniqueConstraint("project_id", "number"),)
    __audited__ = True
    __column_labels__ = {"number": _l("次数"), "distributable": _l("项目可分配金额"),
                         "distributed_on": _l("分配日期"), "note": _l("情况说明"), "approved_at": _l("审核通过时间")}
    __reviewed__ = True
    __review_endpoint__ = "minority.batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    distributable: Mapped[Decimal | None] = mapped_column(MONEY)
    distributed_on: Mapped[dt.date | None]
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    approved_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    @property
    def label(self) -> str:
        from flask_babel import gettext as _
        return _("第%(n)s次股东分配", n=self.number)

    def review_passed(self, review) -> None:
        """审核通过 (core.review): the batch is locked for good, with the day."""
        from plugins.distribution import batching
        batching.mark_approved(self, "minority:approved")

    def __str__(self):
        return self.label


class MinorityLine(TenantMixin, db.Model):
    """One shareholder's amount in a batch, with the stake it was computed from."""

    __label__ = _l("股东分配明细")
    __tablename__ = "minority_line"
    __table_args__ = (sa.UniqueConstraint("batch_id", "shareholder_id"),)
    __audited__ = True
    __column_labels__ = {"stake": _l("持股比例"), "amount": _l("分配金额")}
    __reviewed__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("minority_batch.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    shareholder_id: Mapped[int] = mapped_column(sa.ForeignKey("minority_shareholder.id"), index=True)
    stake: Mapped[Decimal] = mapped_column(PERCENT)
    amount: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    version: Mapped[int] = mapped_column(default=1)
    shareholder = relationship("MinorityShareholder")
    __mapper_args__ = {"version_id_col": version}

    def review_target(self):
        with db.session.no_autoflush:
            return db.session.get(MinorityBatch, self.batch_id)

    def review_key(self):
        return ("minority_batch", self.batch_id)

    def __str__(self):
        return f"{self.shareholder.name if self.shareholder else self.shareholder_id} · {self.batch_id}"
