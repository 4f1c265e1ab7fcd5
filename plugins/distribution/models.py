"""Tables of the distribution stage: the partners' 分配账户, the batches and their lines."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.money import MONEY, PERCENT
from core.tenancy import TenantMixin

KINDS = {"principal": _l("本金分配"), "profit": _l("利润分配"), "liquidation": _l("清算分配")}
ZERO = Decimal("0.00")


class DistributionAccount(TenantMixin, db.Model):
    """分配账户: where a partner wants their distributions paid."""

    __label__ = _l("分配账户")
    __tablename__ = "distribution_account"
    __audited__ = True
    __column_labels__ = {"holder": _l("户名"), "bank": _l("开户行"), "number": _l("账号"),
                         "confirmed_at": _l("确认时间")}
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), unique=True)
    holder: Mapped[str] = mapped_column(sa.String(120), default="")
    bank: Mapped[str] = mapped_column(sa.String(120), default="")
    number: Mapped[str] = mapped_column(sa.String(40), default="")
    confirmed_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    @property
    def masked(self) -> str:
        digits = self.number.replace(" ", "")
        return ("*" * max(len(digits) - 4, 0) + digits[-4:]) if digits else ""

    def __str__(self):
        return str(_l("分配账户")) + f" #{self.user_id}"


class DistributionBatch(TenantMixin, db.Model):
    """分配批次 of a project: 本金分配, 第N次利润分配 or 清算分配, with the inputs of its 测算."""

    __label__ = _l("分配批次")
    __tablename__ = "distribution_batch"
    __table_args__ = (sa.UniqueConstraint("project_id", "kind", "number"),)
    __audited__ = True
    __column_labels__ = {"kind": _l("分配类型"), "number": _l("次数"), "distributed_on": _l("分配日期"),
                         "net_profit": _l("锦艺方预计净利润"), "ratio": _l("本次分配比例"), "by_hand": _l("手工编辑"),
                         "approved_at": _l("审批通过时间"), "notified_at": _l("通知时间"), "note": _l("情况说明")}
    __reviewed__ = True
    __review_endpoint__ = "distribution.batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    number: Mapped[int] = mapped_column(default=1)  # N of 第N次利润分配; 1 for the others
    distributed_on: Mapped[dt.date | None]
    net_profit: Mapped[Decimal | None] = mapped_column(MONEY)
    ratio: Mapped[Decimal | None] = mapped_column(PERCENT)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    by_hand: Mapped[bool] = mapped_column(default=False)  # 解锁编辑 by the business admin: amounts typed or imported
    approved_at: Mapped[dt.datetime | None]
    notified_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    @property
    def label(self) -> str:
        from flask_babel import gettext as _
        if self.kind == "profit":
            return _("第%(n)s次利润分配", n=self.number)
        return str(KINDS[self.kind])

    @property
    def process_code(self) -> str:
        return f"distribution_profit_{self.number}" if self.kind == "profit" else f"distribution_{self.kind}"

    def __str__(self):
        return self.label


class DistributionLine(TenantMixin, db.Model):
    """One partner's row of a batch: A 事业合伙本金, B 资金利息 (negative), C 其它, F 利润. A holder that is
    not a partner (``distribution_holders``: the platform company...) has its own row, with ``holder`` (its
    key) and ``holder_name`` and neither subscription nor user: it is shown and totalled, never notified."""

    __label__ = _l("分配明细")
    __tablename__ = "distribution_line"
    __table_args__ = (sa.UniqueConstraint("batch_id", "subscription_id"),)
    __audited__ = True
    __column_labels__ = {"principal": _l("事业合伙本金"), "interest": _l("资金利息"), "other": _l("其它"),
                         "profit": _l("利润")}
    __reviewed__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("distribution_batch.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subscription_subscription.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    holder: Mapped[str] = mapped_column(sa.String(40), default="")  # Holder.key; "" for a partner
    holder_name: Mapped[str] = mapped_column(sa.String(200), default="")
    tier: Mapped[str] = mapped_column(sa.String(12))
    principal: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)  # A
    interest: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)   # B, shown negative
    other: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)      # C
    profit: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)     # F
    version: Mapped[int] = mapped_column(default=1)
    user = relationship("User")
    __mapper_args__ = {"version_id_col": version}

    @property
    def key(self):
        """What the line is of: the partner's subscription id, or (holder key, tier)."""
        return line_key(self.subscription_id, self.holder, self.tier)

    @property
    def name(self) -> str:
        return self.holder_name if self.holder else self.user.name

    @property
    def account(self) -> str:
        """账号 in the Excel sheets: the partner's username, or the holder's key and tier."""
        return f"{self.holder}/{self.tier}" if self.holder else self.user.username

    @property
    def net(self) -> Decimal:
        """D = A − |B|: 本金分配 不含其它."""
        return self.principal - abs(self.interest)

    @property
    def with_other(self) -> Decimal:
        """E = D + C: 本金分配 含其它."""
        return self.net + self.other

    @property
    def total(self) -> Decimal:
        """分配合计 不含其它 = D + F."""
        return self.net + self.profit

    def review_target(self):
        with db.session.no_autoflush:
            return db.session.get(DistributionBatch, self.batch_id)

    def review_key(self):
        return ("distribution_batch", self.batch_id)

    def __str__(self):
        return f"{self.holder_name or (self.user.name if self.user else self.user_id)} · {self.batch_id}"


def line_key(subscription_id: int | None, holder: str, tier: str):
    return (holder, tier) if holder else subscription_id
