"""Notification channels: how a notice reaches its recipient.

Plugins return ``Channel`` instances from the ``notification_channels`` hook; the host ships
the in-app inbox. A channel's ``send`` gets plain ``Message`` snapshots (never ORM objects),
runs after the claim of those notices is committed (rows it adds to the session commit together
with the result, which is what makes the inbox exactly-once), and reports per message: ``None`` or an external id on
success, or a ``TransientError`` (retried with backoff) / ``PermanentError`` (failed at once).
"""
from __future__ import annotations

import dataclasses

from core.i18n import lazy_gettext as _l


class TransientError(Exception):
    """Worth retrying: a timeout, a connection error, a 5xx, a rate-limit answer."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """Over our own rate limit: nothing was sent; tried again after ``retry_after`` without counting an attempt."""


class PermanentError(Exception):
    """Retrying cannot help: a bad recipient, bad credentials, a disabled module."""


@dataclasses.dataclass(frozen=True)
class Message:
    id: int
    key: str
    group_id: int
    channel: str
    recipient_id: int
    recipient_name: str
    recipient_mobile: str
    title: str
    body: str
    link: str
    project_id: int | None
    attempts: int
    batch_id: int | None = None
    texts: dict | None = None  # the title's and body's message ids and parameters (core.i18n.stored)


class Channel:
    """Base class of a channel. ``rate_limit`` = (messages, seconds) per group company, shared by all workers.

    A ``group_wide`` channel (a group robot) speaks to the whole group rather than to its
    recipient: process results and admin alerts are copied to it. A ``personal`` channel
    reaches one person; stages send their notices (认购通知, 缴款通知, ...) through every
    personal channel the company has enabled.
    """

    name: str = ""
    label = ""
    rate_limit: tuple[int, float] | None = None
    group_wide: bool = False
    personal: bool = False
    plugin: str = ""

    def send(self, messages: list[Message]) -> dict[int, object]:
        """Deliver ``messages``; return {message id: None | external id | exception}."""
        results = {}
        for message in messages:
            try:
                results[message.id] = self.send_one(message)
            except (TransientError, PermanentError) as exc:
                results[message.id] = exc
        return results

    def send_one(self, message: Message):
        raise NotImplementedError


class InboxChannel(Channel):
    """The in-app inbox (个人中心 / 消息); delivery and bookkeeping share one transaction."""

    name = "inbox"
    label = _l("站内消息")
    personal = True

    def send(self, messages: list[Message]) -> dict[int, object]:
        import sqlalchemy as sa

        from core.extensions import db
        from core.models import InboxMessage
        from core.models.user import utcnow

        now = utcnow()
        db.session.execute(sa.insert(InboxMessage.__table__), [
            {"group_id": m.group_id, "notice_id": m.id, "recipient_id": m.recipient_id, "title": m.title,
             "body": m.body, "link": m.link, "created_at": now, "read_at": None, "texts": m.texts} for m in messages])
        return {m.id: None for m in messages}
