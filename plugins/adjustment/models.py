"""Tables of the changes after 事业合伙立项: rounds (峰值变更, 补投认购, 新增合伙) and their lines.

A round is one version of the plan: a peak round keeps the old and the new peak, every round keeps each
partner's old and new investment, and ``process_id`` names the process that approved it. The approved
rounds of a project, in order, are the history of its peak and of each partner's investment.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.money import MONEY
from core.tenancy import TenantMixin

PEAK, SUPPLEMENTARY, NEW_PARTNERS = "peak", "supplementary", "new_partners"
KINDS = {PEAK: _l("峰值变更"), SUPPLEMENTARY: _l("补投认购"), NEW_PARTNERS: _l("新增合伙")}
OPEN, APPROVED, CANCELLED = "open", "approved", "cancelled"


class Round(TenantMixin, db.Model):
    """One 峰值变更, 补投认购 or 新增合伙 round of a project."""

    __label__ = _l("立项调整")
    __tablename__ = "adjustment_round"
    __table_args__ = (sa.UniqueConstraint("project_id", "number"),)
    __audited__ = True
    __column_labels__ = {"new_peak": _l("新资金峰值"), "old_peak": _l("原资金峰值"), "note": _l("调整说明"),
                         "deadline": _l("认购截至日期"), "payment_deadline": _l("缴款截止日期"),
                         "source_key": _l("份额来源"), "state": _l("状态"),
                         "shareholders": _l("新股东信息")}
    __reviewed__ = True
    __review_endpoint__ = "adjustment.project"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    state: Mapped[str] = mapped_column(sa.String(10), default=OPEN)
    old_peak: Mapped[Decimal | None] = mapped_column(MONEY)
    new_peak: Mapped[Decimal | None] = mapped_column(MONEY)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    deadline: Mapped[dt.date | None]                  # 补投认购: subscribe on or before
    payment_deadline: Mapped[dt.date | None]          # 补缴 / 缴款
    source_key: Mapped[str] = mapped_column(sa.String(60), default="")   # 新增合伙: the holding taken over
    source_label: Mapped[str] = mapped_column(sa.String(120), default="")
    peak_process_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_process.id"))  # 资金峰值调整
    process_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_process.id"))       # the approving one
    shareholders: Mapped[list | None] = mapped_column(sa.JSON)  # 峰值变更: the new 股权合作 [{name, ours, stake}]
    computed: Mapped[bool] = mapped_column(default=False)
    approved_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(sa.String(60), default="")
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    @property
    def label(self) -> str:
        return f"{KINDS[self.kind]} #{self.number}"

    def __str__(self):
        return self.label


class ChangeFigures:
    """What a round changes of one holding: old → new investment, and how the difference was settled (补缴 or
    退款, confirmed with date and amount). Shared by partners' lines and other holders' lines."""

    FIGURE_LABELS = {"old_investment": _l("原投资金额"), "new_investment": _l("新投资金额"),
                     "settled_amount": _l("已确认金额"), "settled_on": _l("确认日期")}
    old_investment: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    new_investment: Mapped[Decimal | None] = mapped_column(MONEY)
    settled_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))  # 补缴 paid / 退款 refunded
    settled_on: Mapped[dt.date | None]

    @property
    def difference(self) -> Decimal:
        return (self.new_investment if self.new_investment is not None else self.old_investment) - self.old_investment

    def review_target(self):
        with db.session.no_autoflush:
            return db.session.get(Round, self.round_id)

    def review_key(self):
        return ("adjustment_round", self.round_id)


class Line(ChangeFigures, TenantMixin, db.Model):
    """A partner of a round: old → new investment; for 补投 their bounds and subscription; how the
    difference was settled (补缴 or 退款 confirmed with date and amount)."""

    __label__ = _l("调整明细")
    __tablename__ = "adjustment_line"
    __table_args__ = (sa.UniqueConstraint("round_id", "user_id"),)
    __audited__ = True
    __column_labels__ = {"tier": _l("层级"), "min_amount": _l("认购下限"), "max_amount": _l("认购上限"),
                         "subscribed_amount": _l("认购金额"), **ChangeFigures.FIGURE_LABELS}
    __reviewed__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("adjustment_round.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subscription_subscription.id"))
    tier: Mapped[str] = mapped_column(sa.String(12))
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    min_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    max_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    deadline: Mapped[dt.date | None]
    subscribed_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    subscribed_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    user = relationship("User")
    __mapper_args__ = {"version_id_col": version}

    def __str__(self):
        return f"{self.user.name if self.user else self.user_id} · {self.difference:,}"


class HolderLine(ChangeFigures, TenantMixin, db.Model):
    """A holder other than partners (the platform company holding exited stakes: ``core.holders.others``) in a
    峰值变更 round: its part of a tier, old → new (its share of the tier's new pot, as the partners get theirs),
    and its 补缴 or 退款, confirmed with its date."""

    __label__ = _l("调整明细（其他持有人）")
    __tablename__ = "adjustment_holder_line"
    __table_args__ = (sa.UniqueConstraint("round_id", "key", "tier"),)
    __audited__ = True
    __column_labels__ = {"name": _l("持有人"), "tier": _l("层级"), **ChangeFigures.FIGURE_LABELS}
    __reviewed__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("adjustment_round.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(60))       # core.declarations.Holder.key
    name: Mapped[str] = mapped_column(sa.String(200))
    tier: Mapped[str] = mapped_column(sa.String(12))
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    def __str__(self):
        return f"{self.name} · {self.difference:,}"
