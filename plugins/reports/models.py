"""The one table of the reports: a long export asked for by a user, its progress and its file."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.tenancy import TenantMixin

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class ReportExport(TenantMixin, db.Model):
    """An export run as a job (辅助工具, or a report of partner rows with its filters and order in ``params``):
    downloadable only by the user who asked, in their group company."""

    __label__ = _l("导出")
    __tablename__ = "reports_export"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # a 辅助工具 export, or "report.<code>"
    params: Mapped[dict | None] = mapped_column(sa.JSON)  # a report's filters, sort and order
    state: Mapped[str] = mapped_column(sa.String(10), default=QUEUED)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str] = mapped_column(sa.String(200), default="")  # on disk, under the export folder
    created_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]

    def __str__(self):
        return f"{self.kind} #{self.id}"
