"""A fake CRM V2 (the Fxiaoke protocol of ../shared/EXTERNAL_APIS.md), a WSGI app served on 127.0.0.1.

As strict as the service: every call a JSON POST answered HTTP 200 with ``errorCode`` ≠ 0,
``errorMessage`` and ``errorDescription`` on error; the token endpoint at most 10 calls a minute
and never two at once (``violations`` records a breach, and the call is refused with 14001);
100 calls per 20 s per data endpoint (14001); tokens that expire (20016); the operator's
openUserId required on every data call; PaymentObj checked field by field (the account and the
order must exist: 320002500, amounts with at most two places, times in ms); queries with the
documented operators only, ``limit`` ≤ 1000 (≤ 100 for custom objects), ``offset`` a multiple of
``limit`` and ≤ 10000 (10013). It records every call and can be told to fail the next calls of
a path (an HTTP status or a JSON answer) or to answer late although the call took effect.
"""
from __future__ import annotations

import itertools
import re
import time
import uuid
from decimal import Decimal, InvalidOperation

from werkzeug.wrappers import Request

from tests.fake_service import FakeService

APP_ID, APP_SECRET, PERMANENT_CODE = "FSAID_fake01", "fake-app-secret-0123", "fake-permanent-code-4567"
CORP_ID = "FSCID_fake01"
OPERATOR_MOBILE, OPERATOR_ID = "13800000001", "FSUID_OPERATOR01"
ACCOUNT_ID, ORDER_ID = "acc0000000000000000000000000001", "ord0000000000000000000000000001"

TOKEN_PATH = "/cgi/corpAccessToken/get/V2"
OPERATORS = {"EQ", "N", "GT", "GTE", "LT", "LTE", "LIKE", "NLIKE", "IS", "ISN", "IN", "NIN", "BETWEEN", "NBETWEEN",
             "STARTWITH", "ENDWITH", "EXISTS", "NEXISTS", "CONTAINS"}
PAYMENT_FIELDS = {"dataObjectApiName", "_id", "record_type", "account_id", "payment_amount", "payment_time",
                  "payment_term", "notification_time", "owner", "attachment", "remark", "object_describe_id",
                  "version", "life_status", "name"}
DETAIL_FIELDS = {"_id", "order_id", "payment_amount", "attachment", "remark", "record_type",
                 "object_describe_api_name", "version"}
AMOUNT = re.compile(r"^-?\d{1,16}(\.\d{1,2})?$")


def error(code: int, message: str, description: str = "") -> dict:
    return {"errorCode": code, "errorMessage": message, "errorDescription": description or message}


class FakeCRM(FakeService):
    routes = {("POST", TOKEN_PATH): "_token", ("POST", "/cgi/user/getByMobile"): "_by_mobile",
              ("POST", "/cgi/crm/v2/data/create"): "_create", ("POST", "/cgi/crm/v2/data/update"): "_update",
              ("POST", "/cgi/crm/v2/data/get"): "_get", ("POST", "/cgi/crm/v2/data/query"): "_query"}

    def __init__(self, token_ttl: int = 7200):
        super().__init__()
        self.token_ttl = token_ttl
        self.tokens: dict[str, float] = {}                    # token -> expiry
        self.token_times: list[float] = []                    # arrivals at the token endpoint
        self.token_busy = 0                                   # token calls in flight (answer not yet sent)
        self.token_limit = (10, 60.0)
        self.endpoint_limit = (100, 20.0)
        self.endpoint_times: dict[str, list[float]] = {}
        self.violations: list[str] = []
        self.users = {OPERATOR_MOBILE: {"openUserId": OPERATOR_ID, "name": "操作员"}}
        self.accounts = {ACCOUNT_ID}
        self.orders = {ORDER_ID}
        self.objects: dict[str, dict] = {}                    # dataId -> PaymentObj
        self._ids = itertools.count(1)

    def __call__(self, environ, start_response):
        """Counts the token calls in flight, until their (perhaps late) answer has gone."""
        if environ.get("PATH_INFO") != TOKEN_PATH:
            return super().__call__(environ, start_response)
        with self.lock:
            environ["fake.token_in_flight"] = self.token_busy  # calls that came before this one, still open
            self.token_busy += 1
        try:
            return super().__call__(environ, start_response)
        finally:
            with self.lock:
                self.token_busy -= 1

    def before(self, request: Request):
        """Every call a JSON POST; each data endpoint at most 100 calls per 20 s."""
        if request.method != "POST" or request.mimetype != "application/json":
            return 405, {"message": "method not allowed"}
        if request.path == TOKEN_PATH:
            return None
        now = time.time()
        limit, period = self.endpoint_limit
        times = [t for t in self.endpoint_times.get(request.path, []) if t > now - period]
        self.endpoint_times[request.path] = times
        if len(times) >= limit:
            return error(14001, "calls too frequent", "调用频率超限")
        times.append(now)
        return None

    # Test helpers ----------------------------------------------------------------------------
    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = {token: 0.0 for token in self.tokens}

    def add_payment(self, **fields) -> str:
        """A PaymentObj entered in the CRM by someone else."""
        data_id = self._new_id()
        self.objects[data_id] = {"_id": data_id, "dataObjectApiName": "PaymentObj", "account_id": ACCOUNT_ID,
                                 "owner": [OPERATOR_ID], "life_status": "normal", "is_deleted": False,
                                 "name": f"20261128-{len(self.objects) + 1:06d}", "remark": "",
                                 "create_time": int(time.time() * 1000), **fields}
        return data_id

    def payments(self) -> list[dict]:
        return list(self.objects.values())

    def _new_id(self) -> str:
        return f"{next(self._ids):08x}{uuid.uuid4().hex[:16]}"

    # The token -------------------------------------------------------------------------------
    def _token(self, request, body) -> dict:
        now = time.time()
        limit, period = self.token_limit
        self.token_times = [t for t in self.token_times if t > now - period]
        self.token_times.append(now)
        if request.environ.get("fake.token_in_flight", 0) > 0:
            self.violations.append("token: called while another call was in flight")
            return error(14001, "calls too frequent", "调用频率超限")
        if len(self.token_times) > limit:
            self.violations.append(f"token: more than {limit} calls in {period:.0f}s")
            return error(14001, "calls too frequent", "调用频率超限")
        body = body if isinstance(body, dict) else {}
        missing = [k for k in ("appId", "appSecret", "permanentCode") if not body.get(k)]
        if missing:
            return error(10006, f"the parameter {missing[0]} is missing or illegal", "缺少参数 或参数 不合法")
        if (body["appId"], body["appSecret"], body["permanentCode"]) != (APP_ID, APP_SECRET, PERMANENT_CODE):
            return error(20001, "appId, appSecret or permanentCode error", "应用凭证错误")
        token = uuid.uuid4().hex
        self.tokens[token] = time.time() + self.token_ttl
        return {"errorCode": 0, "errorMessage": "success", "corpAccessToken": token, "corpId": CORP_ID,
                "expiresIn": self.token_ttl}

    def _authorised(self, path: str, body) -> dict | None:
        if not isinstance(body, dict):
            return error(10006, "the request body is not a JSON object", "缺少参数 或参数 不合法")
        token = body.get("corpAccessToken")
        if not token:
            return error(10006, "the parameter corpAccessToken is missing or illegal", "缺少参数 或参数 不合法")
        if self.tokens.get(token, 0.0) <= time.time():
            return error(20016, "corpAccessToken error", "corpAccessToken 不存在或已过期")
        if body.get("corpId") != CORP_ID:
            return error(10006, "the parameter corpId is missing or illegal", "缺少参数 或参数 不合法")
        if path != "/cgi/user/getByMobile":
            if body.get("currentOpenUserId") not in {u["openUserId"] for u in self.users.values()}:
                return error(10006, "the parameter currentOpenUserId is missing or illegal", "缺少参数 或参数 不合法")
            if not isinstance(body.get("data"), dict):
                return error(10006, "the parameter data is missing or illegal", "缺少参数 或参数 不合法")
        return None

    # The calls -------------------------------------------------------------------------------
    def _by_mobile(self, request, body) -> dict:
        refused = self._authorised("/cgi/user/getByMobile", body)
        if refused:
            return refused
        mobile = str(body.get("mobile") or "")
        if not mobile:
            return error(10006, "the parameter mobile is missing or illegal", "缺少参数 或参数 不合法")
        user = self.users.get(mobile)
        return {"errorCode": 0, "errorMessage": "success", "empList": [user] if user else []}

    def _check_payment(self, obj: dict, details: dict | None, creating: bool) -> dict | None:
        unknown = sorted(set(obj) - PAYMENT_FIELDS)
        if unknown:
            return error(320001400, f"字段 {unknown[0]} 不存在")
        if creating:
            for field in ("account_id", "payment_amount", "payment_time", "owner"):
                if obj.get(field) in (None, "", []):
                    return error(320001400, f"{field} 为必填字段")
        if "account_id" in obj and obj["account_id"] not in self.accounts:
            return error(320002500, "客户名称关联关系不存在")
        if "payment_amount" in obj and not AMOUNT.match(str(obj["payment_amount"])):
            return error(320001400, "回款金额格式不正确")
        for field in ("payment_time", "notification_time"):
            if field in obj and not (isinstance(obj[field], int) and obj[field] > 10 ** 11):
                return error(320001400, f"{field} 应为毫秒时间戳")
        if "owner" in obj and (not isinstance(obj["owner"], list) or not set(obj["owner"]) <=
                               {u["openUserId"] for u in self.users.values()}):
            return error(320001400, "负责人不存在")
        if "remark" in obj and len(str(obj["remark"])) > 2000:
            return error(320001400, "备注超长")
        if details is None:
            return None
        if not isinstance(details, dict) or set(details) - {"OrderPaymentObj"}:
            return error(320001400, "明细对象不存在")
        rows = details.get("OrderPaymentObj") or []
        total = Decimal(0)
        for row in rows:
            if set(row) - DETAIL_FIELDS:
                return error(320001400, f"明细字段 {sorted(set(row) - DETAIL_FIELDS)[0]} 不存在")
            if row.get("order_id") not in self.orders:
                return error(320002500, "销售订单关联关系不存在")
            if not AMOUNT.match(str(row.get("payment_amount", ""))):
                return error(320001400, "明细回款金额格式不正确")
            total += Decimal(str(row["payment_amount"]))
        amount = obj.get("payment_amount")
        if rows and amount is not None and total != Decimal(str(amount)):
            return error(320001400, "明细回款金额合计与回款金额不一致")
        return None

    def _create(self, request, body) -> dict:
        refused = self._authorised("/cgi/crm/v2/data/create", body)
        if refused:
            return refused
        data = body["data"]
        obj = data.get("object_data")
        if not isinstance(obj, dict) or obj.get("dataObjectApiName") != "PaymentObj":
            return error(320001400, "dataObjectApiName 不支持")
        if "_id" in obj:
            return error(320001400, "新建数据不能指定 _id")
        problem = self._check_payment(obj, data.get("details"), creating=True)
        if problem:
            return problem
        data_id = self._new_id()
        self.objects[data_id] = {**obj, "_id": data_id, "life_status": "normal", "is_deleted": False,
                                 "name": f"20261128-{len(self.objects) + 1:06d}", "create_time": int(time.time() * 1000),
                                 "details": data.get("details") or {}}
        return {"dataId": data_id, "errorCode": 0, "errorMessage": "OK", "errorDescription": "success"}

    def _update(self, request, body) -> dict:
        refused = self._authorised("/cgi/crm/v2/data/update", body)
        if refused:
            return refused
        data = body["data"]
        obj = data.get("object_data")
        if not isinstance(obj, dict) or obj.get("dataObjectApiName") != "PaymentObj":
            return error(320001400, "dataObjectApiName 不支持")
        current = self.objects.get(str(obj.get("_id") or ""))
        if current is None:
            return error(320001404, "数据不存在或已被删除")
        problem = self._check_payment(obj, data.get("details"), creating=False)
        if problem:
            return problem
        current.update(obj)
        if data.get("details") is not None:
            current["details"] = data["details"]
        current["last_modified_time"] = int(time.time() * 1000)
        return {"errorCode": 0, "errorMessage": "success"}

    def _get(self, request, body) -> dict:
        refused = self._authorised("/cgi/crm/v2/data/get", body)
        if refused:
            return refused
        data = body["data"]
        if data.get("dataObjectApiName") != "PaymentObj":
            return error(320001400, "dataObjectApiName 不支持")
        obj = self.objects.get(str(data.get("objectDataId") or ""))
        if obj is None:
            return error(320001404, "数据不存在或已被删除")
        return {"errorCode": 0, "errorMessage": "OK", "errorDescription": "success", "data": obj}

    def _query(self, request, body) -> dict:
        refused = self._authorised("/cgi/crm/v2/data/query", body)
        if refused:
            return refused
        data = body["data"]
        if data.get("dataObjectApiName") != "PaymentObj":
            return error(320001400, "dataObjectApiName 不支持")
        info = data.get("search_query_info")
        if not isinstance(info, dict):
            return error(10006, "the parameter search_query_info is missing or illegal", "缺少参数 或参数 不合法")
        limit, offset = info.get("limit", 20), info.get("offset", 0)
        if not isinstance(limit, int) or not isinstance(offset, int) or not 1 <= limit <= 1000 or offset < 0:
            return error(10006, "the parameter limit or offset is illegal", "缺少参数 或参数 不合法")
        if offset % limit or offset > 10000:
            return error(10013, "offset must be a multiple of limit and at most 10000", "分页参数不合法")
        rows = [o for o in self.objects.values() if not o.get("is_deleted")]
        for f in info.get("filters") or []:
            if not isinstance(f, dict) or f.get("operator") not in OPERATORS or not isinstance(
                    f.get("field_values"), list) or f.get("field_name") not in PAYMENT_FIELDS | {"create_time"}:
                return error(10006, "the parameter filters is illegal", "缺少参数 或参数 不合法")
            rows = [o for o in rows if _matches(o, f["field_name"], f["operator"], f["field_values"])]
        for order in reversed(info.get("orders") or []):
            rows.sort(key=lambda o: _sortable(o.get(order.get("fieldName"))), reverse=not order.get("isAsc", True))
        page = rows[offset:offset + limit]
        projection = info.get("fieldProjection")
        if projection:
            page = [{k: v for k, v in o.items() if k in projection} for o in page]
        else:
            page = [{k: v for k, v in o.items() if k != "details"} for o in page]
        return {"errorCode": 0, "errorMessage": "OK", "errorDescription": "success",
                "data": {"total": len(rows), "offset": offset, "limit": limit, "dataList": page}}


def _sortable(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return (0, value, "")
    try:
        return (0, Decimal(str(value)), "")
    except (InvalidOperation, ValueError):
        return (1, Decimal(0), str(value))


def _matches(obj: dict, field: str, op: str, values: list) -> bool:
    value = obj.get(field)
    if op in ("EXISTS", "NEXISTS"):
        return (value not in (None, "", [])) == (op == "EXISTS")
    if op in ("IS", "ISN"):
        return (value in (None, "", [])) == (op == "IS")
    texts = [str(v) for v in values]
    text = "" if value is None else str(value)
    if op == "CONTAINS":
        return isinstance(value, list) and bool(set(map(str, value)) & set(texts))
    if op in ("IN", "NIN"):
        return (text in texts) == (op == "IN")
    if op in ("LIKE", "NLIKE"):
        return any(t in text for t in texts) == (op == "LIKE")
    if op == "STARTWITH":
        return any(text.startswith(t) for t in texts)
    if op == "ENDWITH":
        return any(text.endswith(t) for t in texts)
    if not values:
        return False
    left, right = _sortable(value), _sortable(values[0])
    if op in ("BETWEEN", "NBETWEEN"):
        inside = len(values) == 2 and right <= left <= _sortable(values[1])
        return inside == (op == "BETWEEN")
    return {"EQ": left == right, "N": left != right, "GT": left > right, "GTE": left >= right,
            "LT": left < right, "LTE": left <= right}[op]
