"""A fake 明道云 (HAP) open API of the contract in ../shared/EXTERNAL_APIS.md, on 127.0.0.1 over HTTP.

As strict as the service: every answer is HTTP 200 with ``success``/``error_code`` (1 is success);
a wrong appKey or sign is 10102, a missing one 10101, a missing worksheetId, rowId, controls or page
10001, an unknown worksheet or row 10007; a control
that is not the worksheet's, an empty required control, a number or date that is not one is 10002
(that row is not written); a page is 1–1000 rows (pageIndex from 1); more than ``rate_limit`` calls
a second is HTTP 429; ``error_next`` makes the next answers 99999 (its "busy").
"""
from __future__ import annotations

import itertools
import re
import time

from tests.fake_service import FakeService

APP_KEY, SIGN = "md-app-key-01", "md-sign-s3cret-0123456789"
APP_ID = "b55d6ceb-b69a-44f0-a011-000000000001"
PROJECTS, PAYMENTS, PAYOUTS, OTHER = "ws_projects01", "ws_payments01", "ws_payouts01", "ws_contacts01"
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TEXT, MONEY, DAY = 2, 8, 15  # control types


def _controls(prefix: str, spec) -> list[dict]:
    return [{"controlId": f"{prefix}_{name}", "controlName": label, "type": kind, "required": required, "alias": name}
            for name, label, kind, required in spec]


class FakeMingdao(FakeService):
    routes = {("GET", "/v1/open/app/get"): "app_get",
              ("POST", "/v2/open/worksheet/getWorksheetInfo"): "worksheet_info",
              ("POST", "/v2/open/worksheet/getFilterRows"): "get_filter_rows",
              ("POST", "/v2/open/worksheet/addRow"): "add_row",
              ("POST", "/v2/open/worksheet/editRow"): "edit_row"}

    def __init__(self):
        super().__init__()
        self.rate_limit = 50
        self.arrivals: list[float] = []
        self.sheets = {
            PROJECTS: {"name": "跟投项目", "controls": _controls("p", [
                ("code", "项目编码", TEXT, True), ("name", "项目名称", TEXT, True), ("company", "城市公司", TEXT, False),
                ("land", "拿地日期", DAY, False), ("peak", "资金峰值", MONEY, False)])},
            PAYMENTS: {"name": "缴款记录", "controls": _controls("m", [
                ("code", "缴款编号", TEXT, True), ("project", "项目", TEXT, False), ("partner", "合伙人", TEXT, True),
                ("account", "账号", TEXT, False), ("kind", "类型", TEXT, False), ("amount", "金额", MONEY, True),
                ("paid_on", "缴款日期", DAY, True), ("state", "状态", TEXT, False)])},
            PAYOUTS: {"name": "分配记录", "controls": _controls("d", [
                ("code", "分配编号", TEXT, True), ("project", "项目", TEXT, True), ("partner", "合伙人", TEXT, True),
                ("account", "账号", TEXT, False), ("batch", "分配批次", TEXT, True), ("amount", "分配金额", MONEY, True),
                ("paid_on", "分配日期", DAY, True)])},
            OTHER: {"name": "联系人", "controls": _controls("c", [("name", "姓名", TEXT, True)])},
        }
        self.rows: dict[str, dict[str, dict]] = {s: {} for s in self.sheets}
        self._ids = itertools.count(1)

    def written(self) -> int:
        return self.count("/v2/open/worksheet/addRow") + self.count("/v2/open/worksheet/editRow")

    # The service -----------------------------------------------------------------------------
    @staticmethod
    def fail(code: int, message: str) -> dict:
        return {"success": False, "error_code": code, "error_msg": message}

    def before(self, request):
        now = time.time()
        self.arrivals = [t for t in self.arrivals if t > now - 1.0] + [now]
        if len(self.arrivals) > self.rate_limit:
            return 429, {"success": False, "error_code": 429, "error_msg": "请求过于频繁"}
        source = request.args if request.method == "GET" else (request.get_json(silent=True) or {})
        if not source.get("appKey") or not source.get("sign"):
            return self.fail(10101, "缺少 appKey 或 sign")
        if source.get("appKey") != APP_KEY or source.get("sign") != SIGN:
            return self.fail(10102, "签名不合法")
        return None

    def app_get(self, request, body):
        item = lambda sid: {"id": sid, "name": self.sheets[sid]["name"], "type": 0, "status": 1, "alias": ""}  # noqa: E731
        return {"success": True, "error_code": 1, "data": {
            "projectId": "28447959-cf7f-4ae9-0000-000000000001", "appId": APP_ID, "name": "跟投台账",
            "sections": [{"sectionId": "s1", "name": "跟投", "items": [item(PROJECTS), item(PAYMENTS), item(PAYOUTS),
                                                                      {"id": "page1", "name": "看板", "type": 1}],
                          "childSections": [{"sectionId": "s2", "name": "通讯录", "items": [item(OTHER)],
                                             "childSections": []}]}]}}

    def _sheet(self, body):
        sheet = self.sheets.get((body or {}).get("worksheetId"))
        return sheet

    def _missing(self, body, *keys):
        absent = [key for key in keys if (body or {}).get(key) in (None, "")]
        return self.fail(10001, f"缺少参数：{', '.join(absent)}") if absent else None

    def worksheet_info(self, request, body):
        sheet = self._sheet(body)
        if sheet is None:
            return self.fail(10007, "工作表不存在")
        return {"success": True, "error_code": 1, "data": {"worksheetId": body["worksheetId"], "name": sheet["name"],
                                                            "controls": sheet["controls"]}}

    def get_filter_rows(self, request, body):
        missing = self._missing(body, "worksheetId", "pageSize", "pageIndex")
        if missing:
            return missing
        sheet = self._sheet(body)
        if sheet is None:
            return self.fail(10007, "工作表不存在")
        size, index = body.get("pageSize"), body.get("pageIndex")
        if not isinstance(size, int) or not 1 <= size <= 1000 or not isinstance(index, int) or index < 1:
            return self.fail(10002, "pageSize 须在 1-1000 之间，pageIndex 从 1 开始")
        rows = list(self.rows[body["worksheetId"]].values())
        for flt in body.get("filters") or []:
            if flt.get("filterType") != 2 or flt.get("controlId") not in {c["controlId"] for c in sheet["controls"]}:
                return self.fail(10002, "筛选条件不合法")
            rows = [r for r in rows if str(r.get(flt["controlId"], "")) == str(flt.get("value"))]
        return {"success": True, "error_code": 1,
                "data": {"rows": rows[(index - 1) * size:index * size], "total": len(rows)}}

    def _check(self, sheet, controls, adding: bool):
        known = {c["controlId"]: c for c in sheet["controls"]}
        if not isinstance(controls, list):
            return "controls 必须是数组"
        given = {}
        for item in controls:
            control = known.get(item.get("controlId"))
            if control is None:
                return f"控件不存在：{item.get('controlId')}"
            value = "" if item.get("value") is None else str(item.get("value"))
            if value and control["type"] == MONEY and not NUMBER.match(value):
                return f"{control['controlName']}不是数值：{value}"
            if value and control["type"] == DAY and not DATE.match(value):
                return f"{control['controlName']}不是日期：{value}"
            given[control["controlId"]] = value
        for control in known.values():
            if control["required"] and (adding or control["controlId"] in given) and not given.get(control["controlId"]):
                return f"{control['controlName']}为必填"
        return given

    def add_row(self, request, body):
        missing = self._missing(body, "worksheetId", "controls")
        if missing:
            return missing
        sheet = self._sheet(body)
        if sheet is None:
            return self.fail(10007, "工作表不存在")
        given = self._check(sheet, body.get("controls"), adding=True)
        if isinstance(given, str):
            return self.fail(10002, given)
        row_id = f"row-{next(self._ids):05d}"
        self.rows[body["worksheetId"]][row_id] = {"rowid": row_id, **given}
        return {"success": True, "error_code": 1, "data": row_id}

    def edit_row(self, request, body):
        missing = self._missing(body, "worksheetId", "rowId", "controls")
        if missing:
            return missing
        sheet = self._sheet(body)
        if sheet is None:
            return self.fail(10007, "工作表不存在")
        row = self.rows[body["worksheetId"]].get(body.get("rowId"))
        if row is None:
            return self.fail(10007, "记录不存在")
        given = self._check(sheet, body.get("controls"), adding=False)
        if isinstance(given, str):
            return self.fail(10002, given)
        row.update(given)
        return {"success": True, "error_code": 1, "data": True}
