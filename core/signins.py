"""The signed-in user of a request, kept in the process between requests.

Before any view runs, a signed-in request needs its user's id, group company, roles and name. Loading them
cost a database connection and an ORM load on every request, more than the rest of the host's work
together. So they are kept here per session id (``<user id>.<session token>``) by ``core.epochs.Kept``, each
entry stamped with the write epochs of the tables it is made of (``WATCHED``), read before it was loaded.

An entry whose tables were written since, by any process on the host, is loaded again. So 退出, a new
password, a role change, deactivation and a module change take effect on the next request in every process,
as they did without the cache. An entry is also loaded again after ``SIGNIN_CACHE_SECONDS``, so that a write
from outside the app (psql, say) is seen then.

Several hosts serving one database do not share the epochs: there, set ``SIGNIN_CACHE_SECONDS`` to 0 and every
request loads its user from the database.
"""
from __future__ import annotations

import dataclasses

from flask import Flask, current_app, g

from core import roles
from core.epochs import Epochs, Kept

WATCHED = ("core_user", "core_user_role", "core_group_company", "core_module_state")


@dataclasses.dataclass(frozen=True)
class SignedInGroup:
    """The user's group company, as pages show it (current_group) and the module gate reads it."""

    id: int
    code: str
    name: str
    short_name: str
    modules_version: int

    def __str__(self):
        return self.name


class SessionUser:
    """The signed-in user as a request sees it: the kept columns, and the ``User`` row when anything else is
    asked for (a relationship, a method that writes), loaded once per request and then answering for all."""

    __slots__ = ("_columns", "_row")
    is_authenticated = True
    is_anonymous = False

    def __init__(self, columns: dict, row=None):
        object.__setattr__(self, "_columns", columns)
        object.__setattr__(self, "_row", row)

    @property
    def row(self):
        """The ``User`` row, in this request's database session."""
        if self._row is None:
            from core.extensions import db
            from core.models import User
            object.__setattr__(self, "_row", db.session.get(User, self._columns["id"]))
        return self._row

    def __getattr__(self, name):
        if self._row is None and name in self._columns:
            return self._columns[name]
        return getattr(self.row, name)

    def __setattr__(self, name, value):
        setattr(self.row, name, value)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def roles(self) -> frozenset[str]:
        return self._row.roles if self._row is not None else self._columns["roles"]

    def has_role(self, *wanted: str) -> bool:
        return bool(self.roles.intersection(wanted))

    def role_labels(self) -> list[str]:
        return roles.labels_of(self.roles)

    def get_id(self) -> str:
        return f"{self.id}.{self.session_token}"

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<SessionUser {self._columns['id']} {self._columns['username']}>"


def install(app: Flask, epochs: Epochs) -> None:
    """Keep signed-in users for ``SIGNIN_CACHE_SECONDS`` (core.config; 0 turns the cache off)."""
    if app.config["SIGNIN_CACHE_SECONDS"] > 0:
        app.extensions["gentou_signins"] = Kept(epochs, WATCHED, app.config["SIGNIN_CACHE_SECONDS"])


def signed_in(session_id: str, load):
    """The request's user for ``session_id``: kept, or ``load()`` (the ``User`` row and its group company, or
    None when the session is no longer the user's) when nothing is kept or what was kept is stale."""
    kept: Kept | None = current_app.extensions.get("gentou_signins")
    if kept is None:
        found = load()
        if found is not None:
            g.gentou_group_company = found[1]  # held, so that the session's identity map keeps it for this request
        return found[0] if found is not None else None
    loaded = []

    def columns():
        found = load()
        loaded.append(found)
        return None if found is None else _columns(*found)
    found = kept.get(session_id, columns)
    if found is None:
        return None
    g.gentou_signed_in_group = found[1]
    return SessionUser(found[0], loaded[0][0] if loaded else None)


def _columns(user, group) -> tuple[dict, SignedInGroup]:
    return ({"id": user.id, "group_id": user.group_id, "username": user.username, "name": user.name,
             "locale": user.locale, "active": user.active, "company_id": user.company_id,
             "session_token": user.session_token, "roles": user.roles},
            SignedInGroup(group.id, group.code, group.name, group.short_name, group.modules_version))


def current_group():
    """The signed-in user's group company (``SignedInGroup`` when kept, else its row); None signed out."""
    kept = g.get("gentou_signed_in_group")
    if kept is not None:
        return kept
    from flask_login import current_user
    if not current_user.is_authenticated:
        return None
    from core.extensions import db
    from core.models import GroupCompany
    return db.session.get(GroupCompany, current_user.group_id)


def kept_modules_version(group_id: int) -> int | None:
    """The group company's ``modules_version`` as this request's sign-in read it, when it is ``group_id``'s."""
    kept = g.get("gentou_signed_in_group")
    return kept.modules_version if kept is not None and kept.id == group_id else None


def forget_modules_version() -> None:
    """The modules changed in this request: the gate reads the version from the database again."""
    g.pop("gentou_signed_in_group", None)
