"""People: users, their roles, and which projects they are authorised on per role."""
from __future__ import annotations

import datetime as dt
import hmac
import secrets

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core import roles
from core.extensions import db
from core.tenancy import TenantMixin


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class User(UserMixin, TenantMixin, db.Model):
    """A person who signs in: staff of the group or a partner (合伙人)."""

    __label__ = _l("用户")
    __tablename__ = "core_user"
    __audited__ = True
    __audit_exclude__ = ("password_hash", "failed_logins", "locked_until", "last_login_at", "session_token")
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    mobile: Mapped[str] = mapped_column(sa.String(20), default="")
    email: Mapped[str] = mapped_column(sa.String(120), default="")
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_company.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256), default="")
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(sa.String(10), default="")
    version: Mapped[int] = mapped_column(default=1)  # claimed by 账号及角色 (core.versioning), not by sign-in
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    # Part of every session cookie's user id: a new token signs out every session made before it.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_hex(16))

    company = relationship("Company")
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def roles(self) -> frozenset[str]:
        cached = self.__dict__.get("_roles_cache")
        if cached is None or cached[0] is not self.role_rows or cached[1] != len(self.role_rows):
            cached = (self.role_rows, len(self.role_rows), frozenset(r.role for r in self.role_rows))
            self.__dict__["_roles_cache"] = cached
        return cached[2]

    def has_role(self, *wanted: str) -> bool:
        return bool(self.roles.intersection(wanted))

    def set_roles(self, wanted) -> None:
        wanted = set(wanted)
        held = self.roles
        self.role_rows = [r for r in self.role_rows if r.role in wanted]
        for role in sorted(wanted - held):
            self.role_rows.append(UserRole(role=role, group_id=self.group_id))

    def get_id(self) -> str:
        return f"{self.id}.{self.session_token}"

    def holds_session(self, token: str) -> bool:
        return bool(self.session_token) and hmac.compare_digest(self.session_token, token)

    def revoke_sessions(self) -> None:
        """Sign out every session of this user (退出, a new password); the caller commits."""
        self.session_token = secrets.token_hex(16)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.revoke_sessions()

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def role_labels(self) -> list[str]:
        return roles.labels_of(self.roles)

    def __str__(self):
        return self.name


class UserRole(TenantMixin, db.Model):
    """One role held by a user (账号及角色)."""

    __label__ = _l("用户角色")
    __tablename__ = "core_user_role"
    __table_args__ = (sa.UniqueConstraint("user_id", "role"),)
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(30))
    user: Mapped[User] = relationship(back_populates="role_rows")

    def __str__(self):
        return str(roles.LABELS.get(self.role, self.role))


class ProjectAuthorisation(TenantMixin, db.Model):
    """项目授权: a user may work on a project in one of their roles."""

    __label__ = _l("项目授权")
    __tablename__ = "core_project_authorisation"
    __table_args__ = (sa.UniqueConstraint("user_id", "project_id", "role"),)
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(30))

    def __str__(self):
        return f"{roles.LABELS.get(self.role, self.role)} · 项目 {self.project_id}"
