"""明道云 (HAP)'s open API (the wire contract in ../shared/EXTERNAL_APIS.md): one client per app.

The app-level credentials (appKey and sign, copied from the app) are static: there is no token to
cache. Answers are HTTP 200 with ``success`` and ``error_code`` (1: success); a failure carries
``error_code`` and ``error_msg`` (``MingdaoError``). Row pages hold at most 1000.
"""
from __future__ import annotations

from core.apiclient import ApiClient, ApiError
from core.i18n import gettext as _

DEFAULT_BASE = "https://api.mingdao.com"
PAGE = 1000
WORKSHEET = 0          # an app item of type 0 is a worksheet
ROW_ERRORS = {10001, 10002, 10007}   # missing parameter, bad value, not found: that row only
APP_ERRORS = {10005, 10101, 10102}   # no permission, token missing, bad sign: no call of the app can succeed
BUSY = {99999}
EQUALS, TEXT = 2, 2    # getFilterRows: filterType "is", dataType text


class MingdaoError(ApiError):
    service = "明道云"

    @property
    def retryable(self) -> bool:
        return self.code in BUSY or super().retryable

    @property
    def about_row(self) -> bool:
        return self.code in ROW_ERRORS

    @property
    def reason(self) -> str:
        if self.code == 10102:
            return _("明道云 appKey 或 sign 不正确 (10102)")
        if self.code == 10005:
            return _("明道云应用无权限 (10005)")
        return super().reason


class Client(ApiClient):
    service = "mingdao"
    error = MingdaoError

    def __init__(self, base_url: str, app_key: str, sign: str, **kwargs):
        super().__init__(base_url or DEFAULT_BASE, app_key, sign, **kwargs)
        self.app_key, self.sign = app_key, sign

    def code_of(self, data: dict) -> tuple[object, str]:
        return data.get("error_code"), str(data.get("error_msg") or "")

    def call(self, method: str, path: str, body: dict | None = None):
        if method == "GET":
            response = self.http("GET", path, params={"appKey": self.app_key, "sign": self.sign})
        else:
            response = self.http("POST", path, json={"appKey": self.app_key, "sign": self.sign, **(body or {})})
        data = self.json_of(response)
        if not data.get("success"):
            code, message = self.code_of(data)
            raise self.error(int(code) if str(code or "").lstrip("-").isdigit() else code, message)
        return data.get("data")

    # The calls -------------------------------------------------------------------------------
    def app(self) -> dict:
        """The app: {"name", "sections": [{"sectionId", "name", "items": [{"id", "name", "type"}], "childSections"}]}."""
        return self.call("GET", "/v1/open/app/get") or {}

    def worksheet(self, worksheet_id: str) -> dict:
        """A worksheet's controls (fields): {"worksheetId", "name", "controls": [{"controlId", "controlName", "type"}]}."""
        return self.call("POST", "/v2/open/worksheet/getWorksheetInfo", {"worksheetId": worksheet_id}) or {}

    def rows(self, worksheet_id: str, filters: list | None = None, page_size: int = PAGE):
        """Every row matching ``filters``, page by page (pageIndex from 1, ≤ 1000 a page)."""
        index = 1
        while True:
            data = self.call("POST", "/v2/open/worksheet/getFilterRows", {
                "worksheetId": worksheet_id, "pageSize": page_size, "pageIndex": index, "filters": filters or []}) or {}
            page = data.get("rows") or []
            yield from page
            if not page or index * page_size >= int(data.get("total") or 0):
                return
            index += 1

    def find(self, worksheet_id: str, control_id: str, value: str) -> str | None:
        """The id of a row whose control ``control_id`` is ``value`` (Gentou's key), if there is one."""
        flt = [{"controlId": control_id, "dataType": TEXT, "spliceType": 1, "filterType": EQUALS, "value": value}]
        for row in self.rows(worksheet_id, flt, page_size=10):
            return str(row.get("rowid") or row.get("rowId"))
        return None

    def add_row(self, worksheet_id: str, controls: list[dict]) -> str:
        return str(self.call("POST", "/v2/open/worksheet/addRow", {"worksheetId": worksheet_id, "controls": controls,
                                                                   "triggerWorkflow": True}))

    def edit_row(self, worksheet_id: str, row_id: str, controls: list[dict]) -> None:
        self.call("POST", "/v2/open/worksheet/editRow", {"worksheetId": worksheet_id, "rowId": row_id,
                                                         "controls": controls, "triggerWorkflow": True})


def worksheets(app: dict) -> list[tuple[str, dict]]:
    """[(section path, item)] of the app's worksheets (type 0), child sections included."""
    found = []

    def walk(sections, path):
        for section in sections or []:
            name = " / ".join(p for p in (path, section.get("name", "")) if p)
            found.extend((name, item) for item in section.get("items") or [] if item.get("type") == WORKSHEET)
            walk(section.get("childSections"), name)
    walk(app.get("sections"), "")
    return found
