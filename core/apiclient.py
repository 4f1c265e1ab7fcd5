"""The common base of a client of an outside service's HTTP API (ekuaibao, CRM, mingdao ...).

``ApiClient`` holds a ``requests.Session``, calls with (connect, read) timeouts, and turns every
failure into one ``ApiError`` carrying the service's own code and message — never the URL (it may
carry a token or a key) nor a secret. A subclass says how to fetch a token (``fetch_token``) and
which of the service's codes mean "the token expired"; ``with_token`` then uses the cached token,
refreshes it early (``REFRESH_EARLY`` seconds before it expires) and once more when the service
calls it expired, and retries the call once. The token is shared by every worker through Redis
when there is one (one refresh at a time per app), else by this process.

``ApiError.retryable`` separates what is worth trying again later (unreachable, a timeout, 5xx,
429, the service's rate-limit codes) from what is permanent (bad credentials, a bad value, 4xx);
``backoff(attempt)`` is the wait before a sync job's next attempt.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time

import requests
from core.i18n import gettext as _
from redis.exceptions import RedisError

from core import redact

log = logging.getLogger("gentou.apiclient")
TIMEOUT = (3.05, 15.0)         # seconds: connect, read
REFRESH_EARLY = 300            # seconds before the token expires
BACKOFF = (30.0, 120.0, 600.0, 1800.0, 3600.0)  # seconds before attempts 2, 3, ... of a sync job

# KEYS[1]: the token's cache key; ARGV[1]: the refused token. Another worker's fresh token stays.
_DROP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_local_tokens: dict[str, tuple[str, float]] = {}
_local_lock = threading.Lock()


def backoff(attempt: int, steps=BACKOFF) -> float | None:
    """Seconds to wait after failed attempt ``attempt`` (1-based); None: no attempt is left."""
    return steps[attempt - 1] if 1 <= attempt <= len(steps) else None


class ApiError(Exception):
    """The service refused a call (``code``: its own code) or could not be reached (``code`` None).

    ``status``: the HTTP status when it was not 200; ``retry_after``: seconds it asked us to wait.
    The text never holds the URL or a secret.
    """

    service = ""

    def __init__(self, code=None, message: str = "", status: int | None = None, *, timeout: bool = False,
                 rate_limited: bool = False, expired: bool = False, retry_after: float | None = None,
                 service: str = ""):
        self.code, self.message, self.status = code, message, status
        self.timeout, self.rate_limited, self.expired = timeout, rate_limited, expired
        self.retry_after = retry_after
        if service:
            self.service = service
        super().__init__(f"{message} ({code})" if code is not None else (message or f"HTTP {status}"))

    @property
    def retryable(self) -> bool:
        """Worth trying again later: unreachable, timed out, a 5xx or 429, or asked to slow down."""
        if self.timeout or self.rate_limited:
            return True
        if self.status is not None:
            return self.status >= 500 or self.status == 429
        return self.code is None

    @property
    def permanent(self) -> bool:
        return not self.retryable

    @property
    def reason(self) -> str:
        """What went wrong, in plain words for the admin (the service's code and message)."""
        who = self.service or _("外部系统")
        if self.timeout:
            return _("%(service)s接口超时", service=who)
        if self.code is None and self.status is None:
            return _("无法连接%(service)s：%(detail)s", service=who, detail=self.message)
        if self.code is None:
            return _("%(service)s返回 HTTP %(status)s：%(detail)s", service=who, status=self.status,
                     detail=self.message or "-")
        return f"{who}: {self.message} ({self.code})"


class CachedToken:
    """A token shared by every worker: in Redis (``self.redis``) under ``self.cache_key``, else in this
    process; stored until ``REFRESH_EARLY`` seconds before it expires; one refresh at a time per app."""

    cache_key: str
    redis = None

    def _cached(self) -> str | None:
        if self.redis is not None:
            try:
                value = self.redis.get(self.cache_key)
            except RedisError as exc:
                log.warning("token cache unreachable: %s", exc)
                return None
            return value.decode() if value else None
        token, until = _local_tokens.get(self.cache_key, ("", 0.0))
        return token if token and until > time.monotonic() else None

    def _store(self, token: str, expires_in: int) -> None:
        ttl = max(1, expires_in - REFRESH_EARLY if expires_in > 2 * REFRESH_EARLY else expires_in // 2)
        if self.redis is None:
            _local_tokens[self.cache_key] = (token, time.monotonic() + ttl)
            return
        try:
            self.redis.set(self.cache_key, token, ex=ttl)
        except RedisError as exc:
            log.warning("token cache unreachable: %s", exc)

    def _drop(self, token: str) -> None:
        """Forget a token the service refused, here and in Redis (unless another worker replaced it)."""
        if self.redis is None:
            with contextlib.suppress(KeyError):
                if _local_tokens[self.cache_key][0] == token:
                    del _local_tokens[self.cache_key]
            return
        try:
            self.redis.eval(_DROP, 1, self.cache_key, token)
        except RedisError as exc:
            log.warning("token cache unreachable: %s", exc)

    @contextlib.contextmanager
    def _refreshing(self):
        """One refresh at a time per app: across workers with Redis, in this process without."""
        if self.redis is None:
            with _local_lock:
                yield
            return
        lock = self.redis.lock(self.cache_key + ":lock", timeout=30, blocking_timeout=30)
        try:
            held = lock.acquire()
        except RedisError:
            held = False
        try:
            yield
        finally:
            if held:
                with contextlib.suppress(RedisError):
                    lock.release()

    def shared_token(self, fetch, stale: str | None = None) -> str:
        """The cached token, else ``fetch()`` (which stores it) under the refresh lock; ``stale``: the one
        the service just refused, replaced unless another worker did already."""
        token = self._cached()
        if token and token != stale:
            return token
        with self._refreshing():
            token = self._cached()
            if token and token != stale:
                return token
            return fetch()


class ApiClient(CachedToken):
    """One app's client; a subclass sets ``service``, ``error`` and ``expired_codes`` and writes
    ``fetch_token`` (returning ``(token, seconds it lives)``) and its calls."""

    service = "api"
    error = ApiError
    expired_codes: frozenset = frozenset()
    expired_statuses: frozenset = frozenset()   # HTTP statuses that mean "the token expired" (e.g. 401)
    MAX_PACE = 10.0  # seconds a call waits at most for a slot of ``rate`` before it goes anyway

    def __init__(self, base_url: str, *credentials: str, redis=None, timeout=TIMEOUT, session=None, rate=None):
        self.base_url = (base_url or "").rstrip("/")
        self.redis, self.timeout = redis, timeout
        self.rate = rate  # (calls, seconds): this app's calls are paced to stay under the service's limit
        self.session = session or requests.Session()
        # Per app and host; a changed secret or host takes effect at once instead of when the token expires.
        digest = hashlib.sha256("\n".join((self.base_url, *credentials)).encode()).hexdigest()[:16]
        self.cache_key = f"gentou:{self.service}:token:{digest}"

    # HTTP ------------------------------------------------------------------------------------
    def http(self, method: str, path: str, *, params: dict | None = None, json=None) -> requests.Response:
        """One HTTP call; unreachable or timed out → ``error`` (the URL, and so any key in it, never shown)."""
        if self.rate:
            self._pace()
        try:
            return self.session.request(method, self.base_url + path, params=params, json=json, timeout=self.timeout)
        except requests.Timeout:
            raise self.error(None, "", timeout=True) from None
        except requests.RequestException as exc:  # its text carries the URL, and the URL a secret
            raise self.error(None, type(exc).__name__) from None

    def _pace(self) -> None:
        """Wait for a slot of ``rate`` (shared by every worker through Redis), at most ``MAX_PACE`` seconds."""
        from core import ratelimit
        limit, period = self.rate
        deadline = time.monotonic() + self.MAX_PACE
        while True:
            try:
                with ratelimit.hold(self.cache_key + ":rate", limit, period, self.redis) as wait:
                    if not wait:
                        return
            except RedisError as exc:
                log.warning("rate window unreachable: %s", exc)
                return
            if time.monotonic() + wait > deadline:
                return
            time.sleep(wait)

    def json_of(self, response: requests.Response) -> dict:
        """The answer's JSON; a non-200 answer (whose JSON may still carry the service's code) → ``error``."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code != 200:
            code, message = self.code_of(data) if isinstance(data, dict) else (None, "")
            retry_after = None
            with contextlib.suppress(TypeError, ValueError):
                retry_after = float(response.headers.get("Retry-After"))
            raise self.error(code, message or response.reason or "", status=response.status_code,
                             rate_limited=response.status_code == 429, retry_after=retry_after)
        if not isinstance(data, dict):
            raise self.error(None, _("应答不是 JSON"), status=response.status_code)
        return data

    def code_of(self, data: dict) -> tuple[object, str]:
        """(the service's error code, its message) of an error answer; subclasses know the field names."""
        return data.get("code"), str(data.get("message") or "")

    # The token -------------------------------------------------------------------------------
    def fetch_token(self) -> tuple[str, int]:
        raise NotImplementedError

    def new_token(self) -> str:
        """Fetch a token now (the 测试连接 button) and cache it."""
        token, expires_in = self.fetch_token()
        redact.remember(token)  # a credential too: scrubbed from every log line (urllib3 logs query strings)
        self._store(token, expires_in)
        return token

    def token(self, stale: str | None = None) -> str:
        """The shared token; ``stale``: the one the service just refused, replaced unless another worker did."""
        return self.shared_token(self.new_token, stale)

    def with_token(self, call):
        """``call(token)``; when the service says the token expired, refresh once and call once more."""
        token = self.token()
        try:
            return call(token)
        except ApiError as exc:
            if not (exc.expired or exc.code in self.expired_codes or exc.status in self.expired_statuses):
                raise
            log.info("%s token refused (%s): refreshing once", self.service, exc.code)
            self._drop(token)
        return call(self.token(stale=token))


def forget_tokens() -> None:
    """Drop this process's cached tokens (tests)."""
    _local_tokens.clear()
