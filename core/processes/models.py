"""Process instances, provider callbacks received, attachments, and reviews (送审/审核)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.tenancy import TenantMixin

RUNNING, APPROVED, REJECTED, RESET = "running", "approved", "rejected", "reset"
STATE_LABELS = {RUNNING: _l("审批中"), APPROVED: _l("完成"), REJECTED: _l("驳回"), RESET: _l("已重置")}


class ProcessInstance(TenantMixin, db.Model):
    """One run of a process kind for a project."""

    __label__ = _l("流程")
    __tablename__ = "core_process"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(60), index=True)
    # "<project>:<kind>" while a single (non-repeatable) kind is running or approved; unique, so
    # a second start of such a kind cannot slip in between two requests.
    slot: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    state: Mapped[str] = mapped_column(sa.String(10), default=RUNNING)
    initiator_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    started_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]
    form_data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    provider: Mapped[str] = mapped_column(sa.String(40), default="inapp")
    external_id: Mapped[str] = mapped_column(sa.String(80), default="", index=True)
    result_comment: Mapped[str] = mapped_column(sa.String(500), default="")
    decided_by: Mapped[str] = mapped_column(sa.String(60), default="")
    reset_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    initiator = relationship("User")

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, self.state))

    def __str__(self):
        return f"{self.kind} #{self.id}"


class ProcessCallback(TenantMixin, db.Model):
    """A completion received from an approval provider; its unique key makes replays harmless."""

    __tablename__ = "core_process_callback"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("core_process.id"), index=True)
    received_at: Mapped[dt.datetime]
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class Attachment(TenantMixin, db.Model):
    """A file attached to a process form, stored outside the web root under a random name."""

    __label__ = _l("附件")
    __tablename__ = "core_attachment"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(40), unique=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    process_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_process.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by: Mapped[str] = mapped_column(sa.String(60))
    uploaded_at: Mapped[dt.datetime]

    def __str__(self):
        return self.filename


DRAFT, SUBMITTED, PASSED, RETURNED = "draft", "submitted", "passed", "returned"
REVIEW_LABELS = {DRAFT: _l("编辑中"), SUBMITTED: _l("待审核"), PASSED: _l("审核通过"), RETURNED: _l("退回")}


class Review(TenantMixin, db.Model):
    """The review state (送审 → 审核通过 / 退回) of one record of any stage."""

    __label__ = _l("审核")
    __tablename__ = "core_review"
    __table_args__ = (sa.UniqueConstraint("record_table", "record_id"),)
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    record_table: Mapped[str] = mapped_column(sa.String(60))
    record_id: Mapped[int]
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[str] = mapped_column(sa.String(10), default=DRAFT)
    unlocked: Mapped[bool] = mapped_column(default=False)
    submitted_by: Mapped[str] = mapped_column(sa.String(60), default="")
    submitted_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str] = mapped_column(sa.String(60), default="")
    decided_at: Mapped[dt.datetime | None]
    comment: Mapped[str] = mapped_column(sa.String(500), default="")

    @property
    def state_label(self) -> str:
        return str(REVIEW_LABELS.get(self.state, self.state))

    def __str__(self):
        return self.title or f"{self.record_table} #{self.record_id}"
