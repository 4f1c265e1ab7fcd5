"""合思/易快报's open API (the wire contract in ../shared/EXTERNAL_APIS.md): one client per app.

The token goes in the query string (``accessToken``) of every call; it lives 2 h, is shared by every
worker and refreshed early, and once more when a call answers HTTP 401. Pages and batches hold at
most 100. Errors carry the service's code and message (``EkuaibaoError``).
"""
from __future__ import annotations

import time

from core.i18n import gettext as _

from core.apiclient import ApiClient, ApiError

DEFAULT_BASE = "https://app.ekuaibao.com"
LIMIT = 100  # items per page and per batch


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

    def fetch_token(self) -> tuple[str, int]:
        data = self.json_of(self.http("POST", "/api/openapi/v1/auth/getAccessToken",
                                      json={"appKey": self.app_key, "appSecurity": self.app_security}))
        value = data.get("value") or {}
        if not value.get("accessToken"):
            raise self.error(data.get("errorCode"), str(data.get("errorMessage") or _("未取得 accessToken")))
        expires_in = int(int(value.get("expireTime") or 0) / 1000 - time.time()) if value.get("expireTime") else 7200
        return value["accessToken"], max(expires_in, 1)

    def call(self, method: str, path: str, params: dict | None = None, json=None) -> dict:
        def once(token):
            return self.json_of(self.http(method, path, params={**(params or {}), "accessToken": token}, json=json))
        return self.with_token(once)

    # The calls -------------------------------------------------------------------------------
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
