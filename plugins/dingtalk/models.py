"""Which DingTalk user (userid) each Gentou user is."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.tenancy import TenantMixin


class DingTalkBinding(TenantMixin, db.Model):
    """A Gentou user bound to their DingTalk userid (looked up by mobile, or entered by an admin)."""

    __label__ = _l("钉钉账号绑定")
    __tablename__ = "dingtalk_binding"
    __table_args__ = (sa.UniqueConstraint("group_id", "userid"),)
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id", ondelete="CASCADE"), unique=True)
    userid: Mapped[str] = mapped_column(sa.String(64))
    bound_at: Mapped[dt.datetime]
    bound_by: Mapped[str] = mapped_column(sa.String(60), default="")

    user = relationship("User")

    def __str__(self):
        return self.userid
