"""The outbox: notices written with the business change, delivered by jobs; the in-app inbox."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.tenancy import TenantMixin

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATE_LABELS = {PENDING: _l("待发送"), SENDING: _l("发送中"), SENT: _l("已发送"), FAILED: _l("失败")}


class StoredTexts:
    """``texts`` = {"title": {"msgid", "params"}, "body": ...} beside the stored title and body (written in the
    sender's language): shown in the reader's language, the stored text for rows without it."""

    @property
    def title_text(self) -> str:
        from core.i18n import shown
        return shown((self.texts or {}).get("title"), self.title)

    @property
    def body_text(self) -> str:
        from core.i18n import shown
        return shown((self.texts or {}).get("body"), self.body)


class NoticeBatch(StoredTexts, TenantMixin, db.Model):
    """One sending (e.g. a 缴款通知 to 300 partners): its notices share the batch."""

    __label__ = _l("通知批次")
    __tablename__ = "core_notice_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(60), default="")
    title: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(sa.String(60), default="")
    is_test: Mapped[bool] = mapped_column(default=False)
    texts: Mapped[dict | None] = mapped_column(sa.JSON)
    body = ""


class Notice(StoredTexts, TenantMixin, db.Model):
    """One message to one recipient through one channel, delivered at most once."""

    __label__ = _l("通知")
    __tablename__ = "core_notice"
    __table_args__ = (sa.Index("ix_core_notice_state_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_notice_batch.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(40), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    state: Mapped[str] = mapped_column(sa.String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime | None]
    claimed_at: Mapped[dt.datetime | None]
    claim: Mapped[str] = mapped_column(sa.String(40), default="")
    sent_at: Mapped[dt.datetime | None]
    external_id: Mapped[str] = mapped_column(sa.String(80), default="")
    texts: Mapped[dict | None] = mapped_column(sa.JSON)

    recipient = relationship("User")

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, self.state))


class InboxMessage(StoredTexts, TenantMixin, db.Model):
    """A message in a user's personal centre (个人中心 / 消息): the inbox channel's receiving side."""

    __label__ = _l("站内消息")
    __tablename__ = "core_inbox_message"
    __table_args__ = (sa.Index("ix_core_inbox_message_unread", "recipient_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("core_notice.id"), unique=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    read_at: Mapped[dt.datetime | None]
    texts: Mapped[dict | None] = mapped_column(sa.JSON)
