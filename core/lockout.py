"""Password checks with lock-out: sign-in, and every page that asks for the password again (签署, 修改密码).

- An account is locked for LOGIN_LOCK_MINUTES after LOGIN_MAX_FAILURES wrong passwords in a row (columns of
  core_user, counted in their own transaction so that the caller's rollback keeps the count).
- A name that is no account is counted and locked the same way (in Redis, or in this process), and its
  password is hashed against a dummy hash: same message, same status, comparable time.
- A client address (``request.remote_addr``; X-Forwarded-For only behind TRUSTED_PROXIES) is refused for the
  rest of a LOGIN_ADDRESS_WINDOW_MINUTES window once LOGIN_ADDRESS_MAX_FAILURES tries from it failed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import threading
import time

import redis
import sqlalchemy as sa
from flask import current_app, request
from core.i18n import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from core.extensions import db
from core.jobs import redis_connection
from core.models import User
from core.models.user import utcnow

log = logging.getLogger(__name__)
_UNKNOWN_NAME_MEMORY = 86400  # seconds an unknown name's failures are remembered before it locks
_dummy_hash: list[str] = []


def check(user: User | None, password: str, username: str = "", wrong: str | None = None) -> str | None:
    """None when ``password`` is ``user``'s (the failure count is then reset in the session; the caller
    commits); else the message to show. ``user`` None: no such account, ``username`` is the name tried.
    Call before the request writes anything (a failure is counted in a transaction of its own)."""
    cfg, store = current_app.config, _store()
    user = user._get_current_object() if hasattr(user, "_get_current_object") else user
    address_key = f"addr:{request.remote_addr or ''}"
    count, left = store.get(address_key)
    if count >= cfg["LOGIN_ADDRESS_MAX_FAILURES"]:
        return _("登录失败次数过多，请 %(m)s 分钟后再试。", m=_minutes(left))
    name_key = "name:" + hashlib.sha256(username.encode()).hexdigest()
    now = utcnow()
    if user is not None and user.locked_until and user.locked_until > now:
        return _locked((user.locked_until - now).total_seconds())
    if user is None:
        count, left = store.get(name_key)
        if count >= cfg["LOGIN_MAX_FAILURES"]:
            return _locked(left)
    if _matches(user, password):
        if user.failed_logins or user.locked_until:
            user.failed_logins, user.locked_until = 0, None
        return None
    store.add(address_key, cfg["LOGIN_ADDRESS_WINDOW_MINUTES"] * 60)
    lock_seconds = cfg["LOGIN_LOCK_MINUTES"] * 60
    if user is not None:
        locked = _count_failure(user.id, now, lock_seconds)
    else:
        locked = store.add(name_key, _UNKNOWN_NAME_MEMORY) >= cfg["LOGIN_MAX_FAILURES"]
        if locked:
            store.expire(name_key, lock_seconds)
    return _locked(lock_seconds) if locked else (wrong or _("账号或密码不正确"))


def _locked(seconds: float) -> str:
    return _("登录失败次数过多，账号已锁定，请 %(m)s 分钟后再试。", m=_minutes(seconds))


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def _matches(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash:
        if not _dummy_hash:
            _dummy_hash.append(generate_password_hash("gentou-no-such-account"))
        check_password_hash(_dummy_hash[0], password)
        return False
    return check_password_hash(user.password_hash, password) and user.is_active


def _count_failure(user_id: int, now: dt.datetime, lock_seconds: int) -> bool:
    """One more failure for the account, atomically; at the limit it locks (and the count starts again)."""
    table = User.__table__
    with db.engine.begin() as conn:
        count = conn.execute(sa.update(table).where(table.c.id == user_id)
                             .values(failed_logins=table.c.failed_logins + 1)
                             .returning(table.c.failed_logins)).scalar_one()
        if count < current_app.config["LOGIN_MAX_FAILURES"]:
            return False
        conn.execute(sa.update(table).where(table.c.id == user_id).values(
            failed_logins=0, locked_until=now + dt.timedelta(seconds=lock_seconds)))
    return True


class _LocalCounts:
    """Counts that expire, for one process (no Redis configured)."""

    def __init__(self):
        self._lock, self._rows = threading.Lock(), {}

    def _live(self, key):
        row = self._rows.get(key)
        if row and row[1] <= time.monotonic():
            del self._rows[key]
            return None
        return row

    def get(self, key) -> tuple[int, float]:
        with self._lock:
            row = self._live(key)
            return (row[0], row[1] - time.monotonic()) if row else (0, 0.0)

    def add(self, key, ttl: int) -> int:
        with self._lock:
            if len(self._rows) > 100_000:
                now = time.monotonic()
                self._rows = {k: r for k, r in self._rows.items() if r[1] > now}
            row = self._live(key) or self._rows.setdefault(key, [0, time.monotonic() + ttl])
            row[0] += 1
            return row[0]

    def expire(self, key, ttl: int) -> None:
        with self._lock:
            if self._live(key):
                self._rows[key][1] = time.monotonic() + ttl

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


class _RedisCounts:
    """The same counts shared by every process through Redis; this process's counts while Redis fails."""

    def __init__(self, client, fallback: _LocalCounts):
        self._client, self._fallback = client, fallback

    def _key(self, key):
        return f"gentou:signin:{key}"

    def get(self, key):
        try:
            count, ttl = self._client.pipeline().get(self._key(key)).pttl(self._key(key)).execute()
        except redis.RedisError:
            log.warning("Redis unreachable: sign-in failures counted in this process")
            return self._fallback.get(key)
        return (int(count), max(ttl, 0) / 1000) if count is not None else (0, 0.0)

    def add(self, key, ttl: int) -> int:
        try:
            _, count = (self._client.pipeline().set(self._key(key), 0, ex=ttl, nx=True)
                        .incr(self._key(key)).execute())
        except redis.RedisError:
            return self._fallback.add(key, ttl)
        return int(count)

    def expire(self, key, ttl: int) -> None:
        try:
            self._client.expire(self._key(key), ttl)
        except redis.RedisError:
            self._fallback.expire(key, ttl)


def _store():
    app = current_app._get_current_object()
    local = app.extensions.setdefault("gentou_signin_failures", _LocalCounts())
    client = redis_connection()
    return _RedisCounts(client, local) if client is not None else local
