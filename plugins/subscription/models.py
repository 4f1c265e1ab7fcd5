"""Tables of the initiation, subscription and payment stage."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.money import MONEY, PERCENT, ExactNumeric
from core.tenancy import TenantMixin

AREA = ExactNumeric(14, 2)  # ㎡
TIERS = {"holding": _l("控股集团"), "realestate": _l("置业集团"), "city": _l("城市公司"), "other": _l("其它")}


class Initiation(TenantMixin, db.Model):
    """立项 of a project: 基础信息, 立项信息, 盈利指标 (at initiation), capital peak and financing."""

    __label__ = _l("立项")
    __tablename__ = "subscription_initiation"
    __audited__ = True
    __column_labels__ = {"project_company": _l("项目公司"), "land_area": _l("占地面积（㎡）"),
                         "building_area": _l("总建筑面积（㎡）"), "total_investment": _l("总投资"),
                         "initiated_on": _l("立项日期"),
                         "development_months": _l("开发周期（月）"), "initiation_note": _l("立项说明"),
                         "sales_revenue": _l("销售收入"), "net_profit": _l("净利润"), "net_margin": _l("净利润率（%）"),
                         "irr": _l("IRR（%）"), "payback_months": _l("现金回正周期（月）"), "capital_peak": _l("资金峰值"),
                         "financing_ratio": _l("配资比例"), "financing_rate": _l("配资年利率"),
                         "payee_name": _l("收款户名"), "payee_bank": _l("开户行"), "payee_account": _l("收款账号"),
                         "payment_deadline": _l("缴款截止日期")}
    __reviewed__ = True  # 方案审核: submitted or passed, the plan's figures are locked
    __review_endpoint__ = "subscription.subscriptions"  # the plan as the reviewer reads it
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), unique=True)
    # 基础信息
    project_company: Mapped[str] = mapped_column(sa.String(120), default="")
    land_area: Mapped[Decimal | None] = mapped_column(AREA)
    building_area: Mapped[Decimal | None] = mapped_column(AREA)
    total_investment: Mapped[Decimal | None] = mapped_column(MONEY)
    # 立项信息
    initiated_on: Mapped[dt.date | None]
    development_months: Mapped[int | None]
    initiation_note: Mapped[str] = mapped_column(sa.String(500), default="")
    # 盈利指标 (立项数据; the dynamic copy is maintained under 披露/盈亏动态)
    sales_revenue: Mapped[Decimal | None] = mapped_column(MONEY)
    net_profit: Mapped[Decimal | None] = mapped_column(MONEY)
    net_margin: Mapped[Decimal | None] = mapped_column(PERCENT)
    irr: Mapped[Decimal | None] = mapped_column(PERCENT)
    payback_months: Mapped[int | None]
    # 资金峰值 and financing (配资)
    capital_peak: Mapped[Decimal | None] = mapped_column(MONEY)
    financing_ratio: Mapped[Decimal] = mapped_column(PERCENT, default=Decimal("0"))
    financing_rate: Mapped[Decimal] = mapped_column(PERCENT, default=Decimal("0"))
    # 缴款 (the account partners pay into)
    payee_name: Mapped[str] = mapped_column(sa.String(120), default="")
    payee_bank: Mapped[str] = mapped_column(sa.String(120), default="")
    payee_account: Mapped[str] = mapped_column(sa.String(60), default="")
    payment_deadline: Mapped[dt.date | None]
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    def __str__(self):
        return str(_l("立项")) + f" #{self.project_id}"


class TierRatio(TenantMixin, db.Model):
    """合伙投资占比 of one tier for a project, in percent points (3.310 = 3.310 %)."""

    __label__ = _l("合伙投资占比")
    __tablename__ = "subscription_tier_ratio"
    __table_args__ = (sa.UniqueConstraint("project_id", "tier"),)
    __audited__ = True
    __column_labels__ = {"tier": _l("层级"), "ratio": _l("合伙投资占比")}
    __reviewed__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    tier: Mapped[str] = mapped_column(sa.String(12))
    ratio: Mapped[Decimal] = mapped_column(PERCENT, default=Decimal("0"))

    def review_target(self):
        return plan_of(self.project_id)

    def review_key(self):
        return ("subscription_initiation", self.project_id)


def plan_of(project_id: int) -> Initiation | None:
    """The project's 立项 record, whose review (方案审核) governs its tier ratios and figures."""
    with db.session.no_autoflush:
        return db.session.scalar(db.select(Initiation).where(Initiation.project_id == project_id))


class Shareholder(TenantMixin, db.Model):
    """股权合作: a shareholder of the project company and its stake."""

    __label__ = _l("股东")
    __tablename__ = "subscription_shareholder"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    ours: Mapped[bool] = mapped_column(default=True)  # 我方 / 合作方
    stake: Mapped[Decimal] = mapped_column(PERCENT)

    def __str__(self):
        return self.name


class Milestone(TenantMixin, db.Model):
    """关键节点: a planned milestone and when it actually happened."""

    __label__ = _l("关键节点")
    __tablename__ = "subscription_milestone"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    planned_on: Mapped[dt.date | None]
    actual_on: Mapped[dt.date | None]

    def __str__(self):
        return self.name


class Subscription(TenantMixin, db.Model):
    """A partner on a project's 合伙名单: bounds, what they subscribed, their confirmed investment."""

    __label__ = _l("认购")
    __tablename__ = "subscription_subscription"
    __table_args__ = (sa.UniqueConstraint("project_id", "user_id"),)
    __audited__ = True
    __column_labels__ = {"tier": _l("层级"), "min_amount": _l("认购下限"), "max_amount": _l("认购上限"),
                         "deadline": _l("截至日期"), "subscribed_amount": _l("认购金额"), "subscribed_at": _l("认购时间"),
                         "investment": _l("投资金额"), "share": _l("占资金峰值比例"), "self_funded": _l("自有资金"),
                         "financed": _l("配资")}
    __reviewed__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    tier: Mapped[str] = mapped_column(sa.String(12))
    min_amount: Mapped[Decimal] = mapped_column(MONEY)
    max_amount: Mapped[Decimal] = mapped_column(MONEY)
    deadline: Mapped[dt.date]
    subscribed_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    subscribed_at: Mapped[dt.datetime | None]
    investment: Mapped[Decimal | None] = mapped_column(MONEY)        # 投资金额 (测算, then edited)
    share: Mapped[Decimal | None] = mapped_column(ExactNumeric(9, 6))  # of the capital peak, percent
    self_funded: Mapped[Decimal | None] = mapped_column(MONEY)
    financed: Mapped[Decimal | None] = mapped_column(MONEY)          # 配资
    version: Mapped[int] = mapped_column(default=1)

    user = relationship("User")
    __mapper_args__ = {"version_id_col": version}

    def review_target(self):
        return plan_of(self.project_id)

    def review_key(self):
        return ("subscription_initiation", self.project_id)

    def __str__(self):
        return f"{self.user.name if self.user else self.user_id} · {self.project_id}"


PAYMENT_KINDS = {"payment": _l("缴款"), "refund": _l("退款")}


class Payment(TenantMixin, db.Model):
    """缴款确认: one payment received from a partner (several per partner allowed), or a 退款 of what
    they overpaid (a negative amount). A wrong entry is reversed (冲销) with a reason, never deleted:
    it stays on the list and leaves every total."""

    __label__ = _l("缴款")
    __tablename__ = "subscription_payment"
    __audited__ = True
    __column_labels__ = {"subscription_id": _l("认购"), "paid_on": _l("缴款日期"), "recorded_by": _l("确认人"),
                         "recorded_at": _l("确认时间"), "reversed_at": _l("冲销时间"), "reversed_by": _l("冲销人"),
                         "reversal_reason": _l("冲销原因")}
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription_subscription.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    paid_on: Mapped[dt.date]
    amount: Mapped[Decimal] = mapped_column(MONEY)
    recorded_by: Mapped[str] = mapped_column(sa.String(60))
    recorded_at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(sa.String(10), default="payment")
    reversed_at: Mapped[dt.datetime | None]
    reversed_by: Mapped[str] = mapped_column(sa.String(60), default="")
    reversal_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    def __str__(self):
        return f"{PAYMENT_KINDS.get(self.kind, self.kind)} {self.amount:,.2f} · {self.paid_on}"
