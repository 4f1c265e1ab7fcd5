"""One row per business entry sent to the CRM: its idempotency record and its sync state."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.money import MONEY
from core.tenancy import TenantMixin

PENDING, SENDING, SYNCED, FAILED = "pending", "sending", "synced", "failed"
STATES = {PENDING: _l("待同步"), SENDING: _l("同步中"), SYNCED: _l("已同步"), FAILED: _l("同步失败")}
KINDS = {"payment": _l("缴款"), "refund": _l("退款"), "payout": _l("分配")}


class CrmPayment(TenantMixin, db.Model):
    """A 缴款, 退款 or 分配 entry as the CRM's PaymentObj: created once (``key`` is unique per company,
    so an event delivered twice finds its record), then updated when the entry is corrected (冲销).
    ``revision`` counts our changes, ``synced_revision`` what the CRM has; ``data_id`` is the CRM's id."""

    __label__ = _l("CRM回款同步")
    __tablename__ = "crm_payment"
    __table_args__ = (sa.UniqueConstraint("group_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40))            # e.g. "P123" (payment 123), "D7-45" (batch 7, user 45)
    kind: Mapped[str] = mapped_column(sa.String(10))
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[dt.date]
    reversed: Mapped[bool] = mapped_column(default=False)
    revision: Mapped[int] = mapped_column(default=1)
    synced_revision: Mapped[int] = mapped_column(default=0)
    data_id: Mapped[str] = mapped_column(sa.String(64), default="")
    state: Mapped[str] = mapped_column(sa.String(10), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    claimed_at: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[dt.datetime]
    synced_at: Mapped[dt.datetime | None]

    def __str__(self):
        return f"{KINDS.get(self.kind, self.kind)} {self.amount:,.2f} · {self.paid_on}"


class CrmQuery(TenantMixin, db.Model):
    """A look at the CRM's payments of a project (查询): the filters asked for, then the rows the query
    job brought back (JSON), or the reason it could not. Pages read it; no page calls the CRM."""

    __label__ = _l("CRM回款查询")
    __tablename__ = "crm_query"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    filters: Mapped[str] = mapped_column(sa.Text, default="[]")
    state: Mapped[str] = mapped_column(sa.String(10), default=PENDING)
    rows: Mapped[str] = mapped_column(sa.Text, default="[]")
    total: Mapped[int] = mapped_column(default=0)
    truncated: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    requested_by: Mapped[str] = mapped_column(sa.String(60), default="")
    created_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]


class CrmAlert(TenantMixin, db.Model):
    """The company's run of sync failures, one row per company: the admins are told when it starts
    (``notified_at``), then again only after ``CRM_ALERT_REMIND`` seconds while it lasts; it ends when a
    payment reaches the CRM again (``failing_since`` empty), so the next failure is news again. Each
    failure is still kept on its own record (``CrmPayment.last_error``)."""

    __label__ = _l("CRM同步失败提醒")
    __tablename__ = "crm_alert"
    __table_args__ = (sa.UniqueConstraint("group_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    failing_since: Mapped[dt.datetime | None]
    notified_at: Mapped[dt.datetime | None]
