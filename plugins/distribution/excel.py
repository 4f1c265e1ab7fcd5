"""A batch as Excel: 导出模板 (every partner's current figures) and 导入 (all rows or none)."""
from __future__ import annotations

import io
from decimal import Decimal

from core.i18n import gettext as _
from openpyxl import load_workbook

from core import spreadsheet
from core.money import AmountError, parse_money

HEADERS = ["账号", "姓名", "事业合伙本金(A)", "资金利息(B)", "其它(C)", "利润(F)"]
FIGURES = ("principal", "interest", "other", "profit")


def export(batch_label: str, rows) -> bytes:
    return spreadsheet.write(batch_label[:31], HEADERS, ([r.account, r.name, f"{r.principal:.2f}",
                                                          f"{r.interest:.2f}", f"{r.other:.2f}", f"{r.profit:.2f}"]
                                                         for r in rows), widths=(16, 12, 16, 14, 12, 14))


def _amount(value, label: str) -> Decimal:
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, float):  # Excel stores numbers as floats: take the text Excel shows
        value = f"{value:.10f}".rstrip("0").rstrip(".")
    return parse_money(spreadsheet.read_text(value).strip(), label, signed=True)


def parse(data: bytes, known: dict[str, int]) -> tuple[dict[int, dict], list[str]]:
    """{subscription id: figures} of an uploaded sheet (``known``: 账号 -> subscription id of the batch),
    and every problem as "第N行：reason" (row numbers as in Excel)."""
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        lines = iter(list(sheet.iter_rows(values_only=True)))
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return {}, [_("文件不是有效的 Excel 工作簿（.xlsx）")]
    header = [str(c or "").strip() for c in next(lines, [])]
    if header[:len(HEADERS)] != HEADERS:
        return {}, [_("表头应为：%(h)s（请使用导出的模板）", h="、".join(HEADERS))]
    found, problems = {}, []
    for number, values in enumerate(lines, start=2):
        values = list(values) + [None] * (len(HEADERS) - len(values))
        if all(v in (None, "") for v in values[:len(HEADERS)]):
            continue
        try:
            username = spreadsheet.read_text(values[0]).strip()
            if username not in known:
                raise ValueError(_("账号“%(u)s”不在本批次的合伙名单中", u=username))
            if known[username] in found:
                raise ValueError(_("账号“%(u)s”重复", u=username))
            figures = {f: _amount(v, h) for f, v, h in zip(FIGURES, values[2:6], HEADERS[2:6])}
            if figures["principal"] < 0 or figures["profit"] < 0:
                raise ValueError(_("事业合伙本金和利润不能为负数"))
            figures["interest"] = -abs(figures["interest"])
            found[known[username]] = figures
        except (ValueError, AmountError) as exc:
            problems.append(_("第%(n)s行：%(reason)s", n=number, reason=str(exc)))
    if not found and not problems:
        problems.append(_("文件中没有合伙人"))
    return found, problems


CALCULATION = ["序号", "姓名", "层级", "事业合伙本金(A)", "资金利息(B)", "其它(C)", "本金分配 不含其它(D=A-B)",
               "本金分配 含其它(E=D+C)", "利润(F)", "分配合计(E+F)"]


def calculation(batch_label: str, rows, tier_labels: dict) -> bytes:
    """分配测算表: every partner's figures and the totals (each the sum of the rounded rows)."""
    fields = ("principal", "interest", "other", "net", "with_other", "profit")
    lines = [[i, r.name, str(tier_labels.get(r.tier, r.tier)), *(f"{getattr(r, f):.2f}" for f in fields),
              f"{r.with_other + r.profit:.2f}"] for i, r in enumerate(rows, start=1)]
    totals = [sum((getattr(r, f) for r in rows), Decimal("0.00")) for f in fields]
    lines.append(["", "合计", "", *(f"{t:.2f}" for t in totals), f"{totals[4] + totals[5]:.2f}"])
    return spreadsheet.write(batch_label[:31], CALCULATION, lines, widths=(6, 12, 10, 16, 14, 12, 20, 20, 14, 16))
