"""Flask's signed-cookie session, without its per-request work that gives the same answer every time.

Flask builds a new signing serializer for every request and verifies and decodes the cookie each time
(base64, two HMACs, JSON), although a browser sends the very same cookie on request after request. Here the
serializer is built once per secret, and a cookie this process has verified is answered from memory, as long
as it is younger than the session's lifetime, exactly as verifying it again would answer.
"""
from __future__ import annotations

import threading
import time

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

KEPT = 4096  # cookies remembered per process; the oldest is dropped first
_IMMUTABLE = (str, int, float, bool, type(None))


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self):
        self._serializers: dict = {}
        self._opened: dict[str, tuple[dict, float]] = {}
        self._lock = threading.Lock()

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        found = self._serializers.get(keys)
        if found is None:
            found = self._serializers[keys] = super().get_signing_serializer(app)
        return found

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        cookie = request.cookies.get(self.get_cookie_name(app))
        max_age = app.permanent_session_lifetime.total_seconds()
        kept = self._opened.get(cookie) if cookie else None
        if kept is not None and time.time() - kept[1] <= max_age:
            return self.session_class(kept[0])
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        if not cookie:
            return self.session_class()
        try:
            data, signed_at = serializer.loads(cookie, max_age=int(max_age), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(v, _IMMUTABLE) for v in data.values()):  # a flash's list is changed in place
            with self._lock:
                if len(self._opened) >= KEPT:
                    self._opened.pop(next(iter(self._opened)))
                self._opened[cookie] = (dict(data), signed_at.timestamp())
        return self.session_class(data)
