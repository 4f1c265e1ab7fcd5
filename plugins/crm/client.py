"""CRM V2 (the Fxiaoke protocol, ../shared/EXTERNAL_APIS.md): one client per app, on ``core.apiclient``.

Every call is a JSON POST answered HTTP 200 with ``errorCode`` (0 = ok). The corpAccessToken (and the
corpId that comes with it) is shared by every worker; it is fetched at most 10 times a minute and never
by two callers at once (a Redis lock and a sliding window shared by the workers), refreshed before it
expires and once more on 20016, after which the call is retried once.
"""
from __future__ import annotations

import hashlib
import logging
import threading

from core.i18n import gettext as _
from redis.exceptions import RedisError

from core import ratelimit
from core.apiclient import TIMEOUT, ApiClient, ApiError

log = logging.getLogger("gentou.crm")
DEFAULT_BASE = "https://open.fxiaoke.com"
TOKEN_PATH = "/cgi/corpAccessToken/get/V2"
EXPIRED = frozenset({20016})
RATE_LIMITED = frozenset({14001, 30004})     # 100 calls per 20 s per endpoint
DAILY_QUOTA = 30002
TOKEN_CALLS = (10, 60.0)                     # token calls per minute, shared by every worker
ENDPOINT_WINDOW = 20.0
PAGE = 100                                   # rows per query call: safe for preset and custom objects
MAX_OFFSET = 10000
OPERATORS = ("EQ", "N", "GT", "GTE", "LT", "LTE", "LIKE", "NLIKE", "IS", "ISN", "IN", "NIN", "BETWEEN", "NBETWEEN",
             "STARTWITH", "ENDWITH", "EXISTS", "NEXISTS", "CONTAINS")
_operators: dict[str, str] = {}
_operators_lock = threading.Lock()


class CrmError(ApiError):
    """The CRM answered ``errorCode`` ≠ 0, or could not be reached (``code`` None)."""

    service = "CRM"

    @property
    def reason(self) -> str:
        if self.code is None and self.rate_limited:
            return self.message
        if self.code == 20001:
            return _("CRM 的 appId、appSecret 或永久授权码不正确 (%(code)s)", code=self.code)
        if self.code in EXPIRED:
            return _("CRM 的 corpAccessToken 无效或已过期 (%(code)s)", code=self.code)
        if self.code in RATE_LIMITED:
            return _("CRM 接口调用太频繁，稍后重试 (%(code)s)", code=self.code)
        if self.code == DAILY_QUOTA:
            return _("超过 CRM 每日调用上限 (%(code)s)", code=self.code)
        if self.code == 10013:
            return _("CRM 分页参数不正确：offset 须为 limit 的整数倍且不超过 10000 (%(code)s)", code=self.code)
        return super().reason


class Client(ApiClient):
    service = "crm"
    error = CrmError
    expired_codes = EXPIRED
    endpoint_limit = (100, ENDPOINT_WINDOW)   # data calls per endpoint, shared by every worker

    def __init__(self, base_url: str, app_id: str, app_secret: str, permanent_code: str, redis=None,
                 timeout=TIMEOUT, session=None):
        super().__init__(base_url or DEFAULT_BASE, app_id, app_secret, permanent_code, redis=redis, timeout=timeout,
                         session=session)
        self.app_id, self.app_secret, self.permanent_code = app_id, app_secret, permanent_code

    # Answers ---------------------------------------------------------------------------------
    def code_of(self, data: dict) -> tuple[object, str]:
        return data.get("errorCode"), str(data.get("errorMessage") or data.get("errorDescription") or "")

    def post(self, path: str, body: dict) -> dict:
        """One call; ``errorCode`` ≠ 0 → CrmError with the service's code and message."""
        data = self.json_of(self.http("POST", path, json=body))
        code, message = self.code_of(data)
        if code in (0, "0", None):
            return data
        try:
            code = int(code)
        except (TypeError, ValueError):
            raise self.error(None, f"errorCode {code!r}") from None
        retry_after = 3600.0 if code == DAILY_QUOTA else ENDPOINT_WINDOW if code in RATE_LIMITED else None
        raise self.error(code, message, expired=code in EXPIRED, rate_limited=retry_after is not None,
                         retry_after=retry_after)

    # The token -------------------------------------------------------------------------------
    def fetch_token(self) -> tuple[str, int]:
        """A new corpAccessToken, at most ``TOKEN_CALLS`` a minute for this app across workers; over it,
        a rate-limited CrmError saying when to come back (nobody waits). The cached value is
        ``token␤corpId``: the two come and go together."""
        limit, period = TOKEN_CALLS
        with ratelimit.hold(f"crm:token:{self.cache_key}", limit, period, self.redis) as wait:
            if wait:
                raise self.error(None, _("CRM 令牌获取超过每分钟 %(limit)s 次", limit=limit), rate_limited=True,
                                 retry_after=wait)
            data = self.post(TOKEN_PATH, {"appId": self.app_id, "appSecret": self.app_secret,
                                          "permanentCode": self.permanent_code})
        if not data.get("corpAccessToken") or not data.get("corpId"):
            raise self.error(None, _("CRM 的令牌应答缺少 corpAccessToken 或 corpId"))
        return f"{data['corpAccessToken']}\n{data['corpId']}", int(data.get("expiresIn") or 7200)

    def fresh_token(self) -> str:
        """测试连接: a new token now, under the same lock as every refresh (never two at once)."""
        with self._refreshing():
            return self.new_token()

    def corp_id(self) -> str:
        return self.token().partition("\n")[2]

    # The calls -------------------------------------------------------------------------------
    def call(self, path: str, body: dict) -> dict:
        """``body`` with the token and corpId at the top level; 20016 refreshes once and retries once."""
        def attempt(token: str) -> dict:
            access, _sep, corp = token.partition("\n")
            return self.post(path, {"corpAccessToken": access, "corpId": corp, **body})
        return self.with_token(attempt)

    def open_user_id(self, mobile: str) -> str | None:
        """The operator's openUserId (getByMobile), cached a day; None when the CRM has nobody with ``mobile``."""
        key = f"{self.cache_key}:user:{hashlib.sha256(mobile.encode()).hexdigest()[:16]}"
        cached = self._cached_value(key)
        if cached:
            return cached
        people = self.call("/cgi/user/getByMobile", {"mobile": mobile}).get("empList") or []
        user_id = str(people[0].get("openUserId") or "") if people else ""
        if user_id:
            self._cache_value(key, user_id)
        return user_id or None

    def _cached_value(self, key: str) -> str | None:
        if self.redis is None:
            with _operators_lock:
                return _operators.get(key)
        try:
            value = self.redis.get(key)
        except RedisError:
            return None
        return value.decode() if value else None

    def _cache_value(self, key: str, value: str) -> None:
        if self.redis is None:
            with _operators_lock:
                _operators[key] = value
            return
        try:
            self.redis.set(key, value, ex=86400)
        except RedisError as exc:
            log.warning("CRM cache unreachable: %s", exc)

    def data(self, operation: str, operator: str, data: dict) -> dict:
        """``/cgi/crm/v2/data/<operation>`` (``/cgi/crm/custom/v2/…`` for a custom ``…__c`` object)."""
        api_name = (data.get("object_data") or data).get("dataObjectApiName", "")
        path = ("/cgi/crm/custom/v2/data/" if api_name.endswith("__c") else "/cgi/crm/v2/data/") + operation
        limit, period = self.endpoint_limit
        with ratelimit.hold(f"crm:{path}:{self.cache_key}", limit, period, self.redis) as wait:
            if wait:  # over the CRM's limit: come back when a slot frees, nothing was sent
                raise self.error(None, _("CRM 接口调用太频繁，稍后重试"), rate_limited=True, retry_after=wait)
            return self.call(path, {"currentOpenUserId": operator, "data": data})

    def create(self, operator: str, object_data: dict, details: dict | None = None) -> str:
        data = {"object_data": object_data, **({"details": details} if details else {})}
        return str(self.data("create", operator, data)["dataId"])

    def update(self, operator: str, object_data: dict, details: dict | None = None) -> None:
        self.data("update", operator, {"object_data": object_data, **({"details": details} if details else {})})

    def get(self, operator: str, api_name: str, data_id: str) -> dict:
        return self.data("get", operator, {"dataObjectApiName": api_name, "objectDataId": data_id}).get("data") or {}

    def query(self, operator: str, api_name: str, filters: list[dict], limit: int = PAGE, offset: int = 0,
              orders: list[dict] | None = None, fields: list[str] | None = None) -> dict:
        """One page: ``{"total", "offset", "limit", "dataList"}``; limit ≤ 100 and offset a multiple of it
        and ≤ 10000 (checked here, so a bad page is never sent)."""
        if not 1 <= limit <= PAGE or offset % limit or not 0 <= offset <= MAX_OFFSET:
            raise ValueError(f"limit {limit} / offset {offset} outside the CRM's paging rules")
        bad = [f["operator"] for f in filters if f["operator"] not in OPERATORS]
        if bad:
            raise ValueError(f"unknown operator {bad[0]}")
        info = {"limit": limit, "offset": offset, "filters": filters,
                "orders": orders or [{"fieldName": "create_time", "isAsc": True}]}
        if fields:
            info["fieldProjection"] = fields
        return self.data("query", operator, {"dataObjectApiName": api_name, "search_query_info": info}).get(
            "data") or {}


def forget_operators() -> None:
    """Drop this process's cached openUserIds (tests)."""
    with _operators_lock:
        _operators.clear()
