"""合思/易快报's open API (the wire contract in ../shared/EXTERNAL_APIS.md): one client per app.

The token goes in the query string (``accessToken``) of every call; it is shared by every worker and
renewed early, and once more when a call answers HTTP 401. Renewing is the refresh call (刷新授权) with
the refreshToken that came with the accessToken, which 合思 accepts only while that accessToken still
lives (both then change: the old pair is used up); once it has expired, or the refresh is refused, a new
getAccessToken. Pages and batches hold at most 100. Errors carry the service's code and message
(``EkuaibaoError``); no token or secret is ever logged or put in an error.
"""
from __future__ import annotations

import logging
import threading
import time

from core.i18n import gettext as _
from redis.exceptions import RedisError

from core import redact
from core.apiclient import ApiClient, ApiError

log = logging.getLogger("gentou.ekuaibao")
DEFAULT_BASE = "https://app.ekuaibao.com"
TOKEN_PATH = "/api/openapi/v1/auth/getAccessToken"
REFRESH_PATH = "/api/openapi/v2/auth/refreshToken"
POWER_CODE = "219904"
PAIR_MARGIN = 30  # seconds: a refresh is not tried on an accessToken that expires sooner than this
LIMIT = 100  # items per page and per batch

# KEYS[1]: the pair's key; ARGV[1]: an accessToken the service refused. Another worker's newer pair stays.
_FORGET = """
local pair = redis.call('GET', KEYS[1])
if pair and string.sub(pair, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '\\n' then return redis.call('DEL', KEYS[1]) end
return 0
"""
_local_pairs: dict[str, tuple[str, str, float]] = {}  # without Redis: key -> (accessToken, refreshToken, until)
_pairs_lock = threading.Lock()


class EkuaibaoError(ApiError):
    service = "合思"

    @property
    def reason(self) -> str:
        if self.status == 403:
            return _("合思拒绝访问（appKey/appSecurity 不正确，或业务对象已停用）：%(detail)s",
                     detail=self.message or "403")
        if self.status == 401:
            return _("合思 accessToken 无效 (401)")
        return super().reason


class Client(ApiClient):
    service = "ekuaibao"
    error = EkuaibaoError
    expired_statuses = frozenset({401})

    def __init__(self, base_url: str, app_key: str, app_security: str, **kwargs):
        super().__init__(base_url or DEFAULT_BASE, app_key, app_security, **kwargs)
        self.app_key, self.app_security = app_key, app_security

    def code_of(self, data: dict) -> tuple[object, str]:
        code = data.get("errorCode", data.get("code"))
        return code, str(data.get("errorMessage") or data.get("message") or data.get("msg") or "")

    # The token -------------------------------------------------------------------------------
    def fetch_token(self) -> tuple[str, int]:
        """getAccessToken with appKey/appSecurity (also what 测试连接 checks)."""
        return self._taken(self.json_of(self.http("POST", TOKEN_PATH, json={"appKey": self.app_key,
                                                                            "appSecurity": self.app_security})))

    def token(self, stale: str | None = None) -> str:
        return self.shared_token(self._renew, stale)

    def _renew(self) -> str:
        """Under the refresh lock: refresh the last pair while its accessToken lives, else getAccessToken.
        A refresh that failed on the way (timeout, 5xx, 429) is raised: the job comes back later, and
        if it did take effect the pair is used up and that refresh is refused."""
        pair = self._pair()
        if pair is None:
            return self.new_token()
        access, refresh = pair
        params = {"accessToken": access, "refreshToken": refresh, "powerCode": POWER_CODE}
        try:
            token, expires_in = self._taken(self.json_of(self.http("POST", REFRESH_PATH, params=params)))
        except EkuaibaoError as exc:
            if exc.retryable:
                raise
            log.info("合思 refreshToken refused (%s): a new accessToken instead", exc.code or exc.status)
            self._forget_pair(access)
            return self.new_token()
        self._store(token, expires_in)
        return token

    def _taken(self, data: dict) -> tuple[str, int]:
        """(accessToken, seconds it lives) of a token answer; both tokens become secrets to scrub and the
        pair is kept for the next refresh."""
        value = data.get("value") or {}
        if not value.get("accessToken"):
            raise self.error(data.get("errorCode"), str(data.get("errorMessage") or _("未取得 accessToken")))
        token, refresh = str(value["accessToken"]), str(value.get("refreshToken") or "")
        redact.remember(token)
        redact.remember(refresh)
        expires_in = int(int(value.get("expireTime") or 0) / 1000 - time.time()) if value.get("expireTime") else 7200
        expires_in = max(expires_in, 1)
        self._keep_pair(token, refresh, expires_in)
        return token, expires_in

    def _drop(self, token: str) -> None:
        super()._drop(token)
        self._forget_pair(token)  # the service refused it: refreshing it would be refused too

    # The refresh pair: shared like the token, kept while its accessToken lives ---------------------
    @property
    def pair_key(self) -> str:
        return self.cache_key + ":refresh"

    def _keep_pair(self, access: str, refresh: str, expires_in: int) -> None:
        life = expires_in - PAIR_MARGIN
        if not refresh or life < 1:
            self._forget_pair()
            return
        if self.redis is None:
            with _pairs_lock:
                _local_pairs[self.pair_key] = (access, refresh, time.monotonic() + life)
            return
        try:
            self.redis.set(self.pair_key, f"{access}\n{refresh}", ex=life)
        except RedisError as exc:
            log.warning("token cache unreachable: %s", exc)

    def _pair(self) -> tuple[str, str] | None:
        if self.redis is None:
            access, refresh, until = _local_pairs.get(self.pair_key, ("", "", 0.0))
            return (access, refresh) if until > time.monotonic() else None
        try:
            value = self.redis.get(self.pair_key)
        except RedisError as exc:
            log.warning("token cache unreachable: %s", exc)
            return None
        access, _sep, refresh = (value or b"").decode().partition("\n")
        return (access, refresh) if access and refresh else None

    def _forget_pair(self, access: str | None = None) -> None:
        """Forget the pair (only if it is ``access``'s, when given: another worker's newer one stays)."""
        if self.redis is None:
            with _pairs_lock:
                if access is None or _local_pairs.get(self.pair_key, ("",))[0] == access:
                    _local_pairs.pop(self.pair_key, None)
            return
        try:
            if access is None:
                self.redis.delete(self.pair_key)
            else:
                self.redis.eval(_FORGET, 1, self.pair_key, access)
        except RedisError as exc:
            log.warning("token cache unreachable: %s", exc)

    # The calls -------------------------------------------------------------------------------
    def call(self, method: str, path: str, params: dict | None = None, json=None) -> dict:
        def once(token):
            return self.json_of(self.http(method, path, params={**(params or {}), "accessToken": token}, json=json))
        return self.with_token(once)

    def platforms(self) -> list[dict]:
        """The self-built apps (自建应用): [{"id", "name", "type", "active"}], every page."""
        items, start = [], 0
        while True:
            data = self.call("GET", "/api/openapi/v2/datalink/getPlatform", {"start": start, "count": LIMIT})
            page = data.get("items") or []
            items += page
            start += len(page)
            if not page or start >= int(data.get("count") or 0):
                return items

    def entities(self, platform_id: str) -> list[dict]:
        """The business objects of an app, each with its ``fields`` ([{"name": "E_<id>_<field>", "label", ...}])."""
        return self.call("GET", f"/api/openapi/v2/datalink/entity/${platform_id}").get("items") or []

    def add(self, entity_id: str, data_links: list[dict]) -> dict:
        """Upsert ≤ 100 instances by code (editFlag=cover): ``{"errorMsg": [...], "dataLinkIds": {code: id}}``."""
        if len(data_links) > LIMIT:
            raise ValueError(f"at most {LIMIT} instances a call")
        body = {"entityId": entity_id, "importPart": False, "dataLinks": data_links}
        return self.call("POST", "/api/openapi/v2.1/datalink/add", {"editFlag": "cover"}, body).get("value") or {}

    def instances(self, entity_id: str):
        """Every instance of a business object: {"id", "code", "name", "active", "form"}, page by page."""
        start = 0
        while True:
            data = self.call("GET", "/api/openapi/v2.1/datalink", {"entityId": entity_id, "start": start,
                                                                   "count": LIMIT})
            page = data.get("items") or []
            yield from page
            start += len(page)
            if not page or start >= int(data.get("count") or 0):
                return


def forget_pairs() -> None:
    """Drop this process's refresh pairs (tests)."""
    with _pairs_lock:
        _local_pairs.clear()
