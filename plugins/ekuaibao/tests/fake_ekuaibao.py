"""A fake 合思/易快报 open API of the contract in ../shared/EXTERNAL_APIS.md, on 127.0.0.1 over HTTP.

As strict as the service: a bad appKey/appSecurity is HTTP 403; every call needs a live accessToken in
the query string (HTTP 401 otherwise; tokens can be made to expire); 刷新授权 (refreshToken) takes the
accessToken, its own refreshToken and powerCode 219904, only while that accessToken lives, and uses
them up (both change; the refreshed accessToken lives 32 days); otherwise it answers as the service
documents, errorCode 403 未授权 (sent here with HTTP 403); pages and batches over 100 are
refused; instances are upserted by code, their fields must be the entity's (``E_<entityId>_<field>``),
required fields present, dates ms-epoch strings and money "12.35" — a bad row is reported in
``errorMsg`` (HTTP 200) while the others are imported; a disabled business object is HTTP 403;
``disabled`` left out stores the instance disabled; more than ``rate_limit`` calls a second is HTTP 429.
"""
from __future__ import annotations

import itertools
import re
import time
import uuid

from tests.fake_service import FakeService

APP_KEY, APP_SECURITY = "ekb-app-key", "ekb-app-security-s3cret"
TOKEN_PATH, REFRESH_PATH = "/api/openapi/v1/auth/getAccessToken", "/api/openapi/v2/auth/refreshToken"
POWER_CODE = "219904"
UNAUTHORIZED = {"errorCode": 403, "errorMessage": "未授权", "errorDetails": None, "code": None, "data": None}
PLATFORM = "PLAT01"
PROJECT_ENTITY, PARTNER_ENTITY = "ENT_PRJ", "ENT_PTN"
MONEY = re.compile(r"^-?\d+\.\d{2}$")
DIGITS = re.compile(r"^\d{10,14}$")


def _fields(entity_id: str, spec) -> list[dict]:
    return [{"name": f"E_{entity_id}_{name}", "label": label, "type": kind, "optional": optional}
            for name, label, kind, optional in spec]


class FakeEkuaibao(FakeService):
    routes = {("POST", TOKEN_PATH): "get_token",
              ("POST", REFRESH_PATH): "refresh_token",
              ("GET", "/api/openapi/v2/datalink/getPlatform"): "get_platform",
              ("POST", "/api/openapi/v2.1/datalink/add"): "add",
              ("GET", "/api/openapi/v2.1/datalink"): "list_instances"}
    prefix_routes = {("GET", "/api/openapi/v2/datalink/entity/$"): "entity"}

    def __init__(self, token_ttl: float = 7200.0, refreshed_ttl: float = 32 * 86400.0):
        super().__init__()
        self.token_ttl, self.refreshed_ttl = token_ttl, refreshed_ttl
        self.tokens: dict[str, float] = {}      # token -> expiry (time.time())
        self.refresh_tokens: dict[str, str] = {}  # refreshToken -> the accessToken it renews ("": used)
        self.rate_limit = 50                    # calls a second, then HTTP 429
        self.arrivals: list[float] = []
        self.platforms = [{"id": PLATFORM, "name": "跟投系统", "type": "DATALINK", "active": True}]
        self.entities = {
            PROJECT_ENTITY: {"id": PROJECT_ENTITY, "platformId": PLATFORM, "name": "跟投项目", "type": "DATALINK",
                             "active": True, "fields": _fields(PROJECT_ENTITY, [
                                 ("name", "名称", "text", False), ("code", "编码", "text", False),
                                 ("landAcquiredOn", "拿地日期", "date", True),
                                 ("capitalPeak", "资金峰值", "money", True)])},
            PARTNER_ENTITY: {"id": PARTNER_ENTITY, "platformId": PLATFORM, "name": "合伙人", "type": "DATALINK",
                             "active": True, "fields": _fields(PARTNER_ENTITY, [
                                 ("name", "姓名", "text", False), ("code", "工号", "text", False),
                                 ("mobile", "手机号", "text", True)])},
        }
        self.instances: dict[str, dict[str, dict]] = {PROJECT_ENTITY: {}, PARTNER_ENTITY: {}}
        self._ids = itertools.count(1)

    # Helpers for tests -----------------------------------------------------------------------
    def expire_tokens(self) -> None:
        """Every accessToken expires (and so can no longer be refreshed)."""
        with self.lock:
            self.tokens = {t: 0.0 for t in self.tokens}

    def live_tokens(self) -> set[str]:
        with self.lock:
            return {t for t, until in self.tokens.items() if until > time.time()}

    def items_sent(self) -> int:
        return sum(len(b.get("dataLinks") or []) for b in self.bodies("/api/openapi/v2.1/datalink/add"))

    # The service -----------------------------------------------------------------------------
    def before(self, request):
        now = time.time()
        self.arrivals = [t for t in self.arrivals if t > now - 1.0] + [now]
        if len(self.arrivals) > self.rate_limit:
            return 429, {"errorCode": "429", "errorMessage": "请求过于频繁"}
        if request.path in (TOKEN_PATH, REFRESH_PATH):  # refreshToken checks its accessToken itself
            return None
        token = request.args.get("accessToken", "")
        if self.tokens.get(token, 0.0) <= now:
            return 401, {"errorCode": "401", "errorMessage": "accessToken无效或已过期"}
        return None

    def _issue(self, ttl: float) -> dict:
        token, refresh = uuid.uuid4().hex, uuid.uuid4().hex
        expiry = time.time() + ttl
        self.tokens[token] = expiry
        self.refresh_tokens[refresh] = token
        return {"value": {"accessToken": token, "refreshToken": refresh, "expireTime": int(expiry * 1000),
                          "corporationId": "CORP01"}}

    def get_token(self, request, body):
        body = body or {}
        if body.get("appKey") != APP_KEY or body.get("appSecurity") != APP_SECURITY:
            return 403, {"errorCode": "403", "errorMessage": "appKey或appSecurity错误"}
        return self._issue(self.token_ttl)

    def refresh_token(self, request, body):
        access, refresh = request.args.get("accessToken", ""), request.args.get("refreshToken", "")
        if (request.args.get("powerCode") != POWER_CODE or self.tokens.get(access, 0.0) <= time.time()
                or self.refresh_tokens.get(refresh) != access):
            return 403, UNAUTHORIZED
        self.refresh_tokens[refresh], self.tokens[access] = "", 0.0  # used up (still known to the tests)
        return self._issue(self.refreshed_ttl)

    def _page(self, request):
        try:
            start, count = int(request.args.get("start", 0)), int(request.args.get("count", 0))
        except ValueError:
            return None
        if start < 0 or not 1 <= count <= 100:
            return None
        return start, count

    def get_platform(self, request, body):
        page = self._page(request)
        if page is None:
            return 400, {"errorCode": "400", "errorMessage": "count 必须在 1-100 之间"}
        start, count = page
        return {"count": len(self.platforms), "items": self.platforms[start:start + count]}

    def entity(self, request, body):
        platform_id = request.path.rsplit("$", 1)[-1]
        if platform_id not in {p["id"] for p in self.platforms}:
            return 400, {"errorCode": "400", "errorMessage": "自建应用不存在"}
        return {"items": [e for e in self.entities.values() if e["platformId"] == platform_id]}

    def add(self, request, body):
        body = body or {}
        if request.args.get("editFlag") not in ("cover", "increment"):
            return 400, {"errorCode": "400", "errorMessage": "editFlag 只能是 cover 或 increment"}
        entity = self.entities.get(body.get("entityId"))
        if entity is None:
            return 400, {"errorCode": "400", "errorMessage": "业务对象不存在"}
        if not entity["active"]:
            return 403, {"errorCode": "403", "errorMessage": "业务对象已停用"}
        links = body.get("dataLinks")
        if not isinstance(links, list) or not 1 <= len(links) <= 100:
            return 400, {"errorCode": "400", "errorMessage": "dataLinks 数量必须在 1-100 之间"}
        fields = {f["name"]: f for f in entity["fields"]}
        prefix = f"E_{entity['id']}_"
        messages, ids = [], {}
        for number, link in enumerate(links, 1):
            data = link.get("data") or {}
            problem = next((f"未知字段 {k}" for k in data if k not in fields), None)
            problem = problem or next((f"{f['label']}不能为空" for k, f in fields.items()
                                       if not f["optional"] and not str(data.get(k, "")).strip()), None)
            for key, text in data.items():
                kind = fields.get(key, {}).get("type")
                if problem is None and kind == "money" and not MONEY.match(str(text)):
                    problem = f"{fields[key]['label']}格式错误：{text}"
                if problem is None and kind == "date" and not DIGITS.match(str(text)):
                    problem = f"{fields[key]['label']}不是毫秒时间戳：{text}"
            if problem:
                messages.append(f"第{number}条数据导入失败：{problem}")
                continue
            code = data[prefix + "code"]
            store = self.instances[entity["id"]]
            instance = store.get(code) or {"id": f"DL{next(self._ids):06d}", "code": code}
            instance.update(name=data[prefix + "name"], active=not link.get("disabled", True), form=dict(data))
            store[code] = instance
            ids[code] = instance["id"]
            messages.append(f"第{number}条数据导入成功")
        return {"value": {"errorMsg": messages, "dataLinkIds": ids, "success": True}}

    def list_instances(self, request, body):
        page = self._page(request)
        if page is None:
            return 400, {"errorCode": "400", "errorMessage": "count 必须在 1-100 之间"}
        store = self.instances.get(request.args.get("entityId", ""))
        if store is None:
            return 400, {"errorCode": "400", "errorMessage": "业务对象不存在"}
        start, count = page
        items = list(store.values())
        return {"count": len(items), "items": items[start:start + count]}
