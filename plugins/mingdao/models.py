"""What is mirrored to 明道云 (one record per project, payment or payout: its rowId), the payouts as the
distribution module announced them, and the reconcile reports."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.money import MONEY
from core.sync import SyncRecordMixin, SyncReportMixin
from core.tenancy import TenantMixin


class MingdaoRecord(SyncRecordMixin, db.Model):
    """A project, payment or payout kept as a row (``remote_id``: its rowId) of the worksheet mapped for it."""

    __label__ = _l("明道云同步记录")
    __tablename__ = "mingdao_record"
    __table_args__ = (sa.UniqueConstraint("group_id", "kind", "object_id"),)


class MingdaoPayout(TenantMixin, db.Model):
    """What one partner received in a distribution batch (分配), as its DistributionPaid event said: the
    source of the payout rows, kept here because this module does not read the distribution module's tables."""

    __label__ = _l("明道云分配记录")
    __tablename__ = "mingdao_payout"
    __table_args__ = (sa.UniqueConstraint("group_id", "batch_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"))
    batch_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    kind: Mapped[str] = mapped_column(sa.String(12), default="")  # principal, profit, liquidation
    number: Mapped[int] = mapped_column(default=1)                # N of 第N次利润分配
    paid_on: Mapped[dt.date]
    amount: Mapped[Decimal] = mapped_column(MONEY)


class MingdaoReport(SyncReportMixin, db.Model):
    __label__ = _l("明道云对账报告")
    __tablename__ = "mingdao_report"
