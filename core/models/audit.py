"""The audit log (系统日志): who changed which record, when, before and after."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.tenancy import TenantMixin


class AuditLog(TenantMixin, db.Model):
    """One create, update or delete of an audited record, or a named action."""

    __tablename__ = "core_audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(sa.String(60), default="")
    action: Mapped[str] = mapped_column(sa.String(30), index=True)
    record_table: Mapped[str] = mapped_column(sa.String(60), index=True)
    record_id: Mapped[str] = mapped_column(sa.String(40), default="")
    summary: Mapped[str] = mapped_column(sa.String(200), default="")
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    # {"summary": {"msgid", "params"}}: the summary shown again in the reader's language (core.i18n.shown)
    texts: Mapped[dict | None] = mapped_column(sa.JSON)

    @property
    def summary_text(self) -> str:
        from core.i18n import shown
        return shown((self.texts or {}).get("summary"), self.summary)
