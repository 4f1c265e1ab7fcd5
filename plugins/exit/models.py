"""Tables of the exit stage: the 离职退休测算, the exits (退出流程 and what follows) and the platform
company's holding (平台公司承接)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.money import MONEY
from core.tenancy import TenantMixin

KINDS = {"resign": _l("离职"), "retire": _l("退休")}
MARKS = {"resign": _l("离"), "retire": _l("退")}
RUNNING, APPROVED, REJECTED, TRANSFERRED, PAID, KEPT = "running", "approved", "rejected", "transferred", "paid", "kept"
STATES = {RUNNING: _l("审批中"), APPROVED: _l("待过户"), REJECTED: _l("已驳回"), TRANSFERRED: _l("已过户，待打款"),
          PAID: _l("已打款"), KEPT: _l("退休保留份额")}
DONE = (APPROVED, TRANSFERRED, PAID, KEPT)  # the partner has exited (or, retired, keeps the stake)


class ExitCalculation(TenantMixin, db.Model):
    """离职退休测算: the inputs it was made from (kept, so it can be made again) and its lines."""

    __label__ = _l("离职退休测算")
    __tablename__ = "exit_calculation"
    __audited__ = True
    __column_labels__ = {"kind": _l("退出类型"), "exit_on": _l("退出日期"), "total": _l("测算退出金额")}
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription_subscription.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    exit_on: Mapped[dt.date]
    keep: Mapped[bool] = mapped_column(default=False)  # 退休: keeps the stake to the end of the project
    inputs: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    lines: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"label", "source", "amount"}]
    total: Mapped[Decimal] = mapped_column(MONEY)
    created_by: Mapped[str] = mapped_column(sa.String(60))
    created_at: Mapped[dt.datetime]

    user = relationship("User")

    def __str__(self):
        return f"{KINDS.get(self.kind, self.kind)} #{self.id}"


class PartnerExit(TenantMixin, db.Model):
    """One partner's exit: its process, the transfer to the platform company, the payout."""

    __label__ = _l("退出")
    __tablename__ = "exit_exit"
    __audited__ = True
    __column_labels__ = {"state": _l("状态"), "transferred_at": _l("过户时间"), "transferred": _l("过户金额"),
                         "payout": _l("退出打款金额"), "paid_on": _l("打款日期"), "payout_reason": _l("差异原因")}
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription_subscription.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    calculation_id: Mapped[int] = mapped_column(sa.ForeignKey("exit_calculation.id"))
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("core_process.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    exit_on: Mapped[dt.date]
    state: Mapped[str] = mapped_column(sa.String(12), default=RUNNING)
    transferred_at: Mapped[dt.datetime | None]
    transferred: Mapped[Decimal | None] = mapped_column(MONEY)
    payout: Mapped[Decimal | None] = mapped_column(MONEY)
    paid_on: Mapped[dt.date | None]
    payout_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    user = relationship("User")
    calculation = relationship(ExitCalculation)

    @property
    def state_label(self) -> str:
        return str(STATES.get(self.state, self.state))

    def __str__(self):
        return f"{self.user.name if self.user else self.user_id} · {KINDS.get(self.kind, self.kind)}"


class PlatformHolding(TenantMixin, db.Model):
    """平台公司承接: the investment of a project the platform company holds after exits, less what new
    partners took over (新增合伙)."""

    __label__ = _l("平台公司持有份额")
    __tablename__ = "exit_platform_holding"
    __audited__ = True
    __column_labels__ = {"amount": _l("持有投资金额"), "company_id": _l("平台公司")}
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), unique=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("core_company.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    company = relationship("Company")

    def __str__(self):
        return str(_l("平台公司持有份额")) + f" #{self.project_id}"


TAKEN, PEAK = "taken", "peak"


class HoldingChange(TenantMixin, db.Model):
    """A change of what the platform company holds of one exited partner's stake since its transfer: taken over
    by new partners (新增合伙, ``taken``, negative) or changed by a 峰值变更 (``peak``, either sign, its 补缴 or
    退款 confirmed on ``settled_on``). The platform company holds of a stake what was transferred plus these; the
    changes are audited on the holding (PlatformHolding)."""

    __label__ = _l("平台公司持有份额变动")
    __tablename__ = "exit_holding_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    exit_id: Mapped[int] = mapped_column(sa.ForeignKey("exit_exit.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    ref: Mapped[str] = mapped_column(sa.String(60), default="")       # the 峰值变更 (holding_adjusted's ref)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    settled_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime]
