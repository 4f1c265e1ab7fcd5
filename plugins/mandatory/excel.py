"""强投名单 as Excel: export (core.spreadsheet, formula-safe) and import, every row checked, all or none."""
from __future__ import annotations

import datetime as dt
import io

from core.i18n import gettext as _
from openpyxl import load_workbook

from core import roles, spreadsheet
from plugins.mandatory.models import MIN_KINDS
from plugins.subscription.models import TIERS

HEADERS = ["公司", "含下属公司项目", "账号", "姓名", "岗位角色", "层级", "最低认购方式", "最低认购额", "起始日期",
           "结束日期", "备注"]
YES, NO = "是", "否"


def export(entries) -> bytes:
    from plugins.mandatory.services import minimum_text
    return spreadsheet.write("强投名单", HEADERS, ([
        e.company.name, YES if e.include_children else NO, e.user.username if e.user else "",
        e.user.name if e.user else "", str(roles.LABELS[e.role]) if e.role in roles.LABELS else "",
        str(TIERS.get(e.tier, e.tier)), str(MIN_KINDS.get(e.min_kind, e.min_kind)), minimum_text(e),
        e.valid_from.isoformat(), e.valid_to.isoformat() if e.valid_to else "", e.note] for e in entries),
        widths=(18, 10, 14, 10, 16, 10, 12, 14, 12, 12, 24))


def _text(value) -> str:
    """A cell as the text a user typed: dates as YYYY-MM-DD, numbers as Excel shows them."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.10f}".rstrip("0").rstrip(".")
    return spreadsheet.read_text(value).strip()


def parse(data: bytes, company_ids: dict[str, int]) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    """(row number, form-like values) of every row, and the problems found reading the cells themselves as
    (row number, "第N行：reason"), row numbers as in Excel, 0 for the file; the caller checks each row's
    values (services.read_entry)."""
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        lines = iter(list(sheet.iter_rows(values_only=True)))
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return [], [(0, _("文件不是有效的 Excel 工作簿（.xlsx）"))]
    header = [str(c or "").strip() for c in next(lines, [])]
    if header[:len(HEADERS)] != HEADERS:
        return [], [(0, _("表头应为：%(h)s（请使用导出的文件）", h="、".join(HEADERS)))]
    role_codes = {str(label): code for code, label in roles.LABELS.items() if code != roles.PARTNER}
    tier_codes = {str(label): code for code, label in TIERS.items()}
    kind_codes = {str(label): code for code, label in MIN_KINDS.items()}
    rows, problems = [], []
    for number, values in enumerate(lines, start=2):
        cells = [_text(v) for v in list(values)[:len(HEADERS)]] + [""] * (len(HEADERS) - len(values))
        if not any(cells):
            continue
        company, children, username, _name, role, tier, kind, minimum, start, end, note = cells
        wrong = [(_("公司"), company, company_ids), (_("岗位角色"), role, role_codes), (_("层级"), tier, tier_codes),
                 (_("最低认购方式"), kind, kind_codes), (_("含下属公司项目"), children, {YES: "1", NO: ""})]
        bad = [(label, text, choices) for label, text, choices in wrong if text not in choices and (text or label in (
            _("公司"), _("层级"), _("最低认购方式")))]
        if bad:
            label, text, choices = bad[0]
            problems.append((number, _("第%(n)s行：%(label)s“%(t)s”无效，应为：%(all)s", n=number, label=label,
                                       t=text[:40], all="、".join(list(choices)[:10]))))
            continue
        rows.append((number, {"company_id": str(company_ids[company]), "include_children": {YES: "1"}.get(children, ""),
                              "username": username, "role": role_codes.get(role, ""), "tier": tier_codes[tier],
                              "min_kind": kind_codes[kind], "minimum": minimum, "valid_from": start,
                              "valid_to": end, "note": note}))
    if not rows and not problems:
        problems.append((0, _("文件中没有强投名单")))
    return rows, problems
