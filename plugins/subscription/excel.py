"""合伙名单 as Excel: the exported template (导出模板) and its import (导入), all rows or none."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal

from core.i18n import gettext as _
from openpyxl import load_workbook

from core import spreadsheet
from core.forms import max_length
from core.models import User
from core.money import AmountError, parse_money

HEADERS = ["账号", "姓名", "层级", "认购下限", "认购上限", "截至日期"]


@dataclasses.dataclass
class ImportRow:
    row: int
    username: str
    tier: str
    min_amount: Decimal
    max_amount: Decimal
    deadline: dt.date


def export_template(rows, tier_labels: dict[str, str]) -> bytes:
    """The template with the current list: one row per partner (账号, 姓名, 层级, 下限, 上限, 截至日期)."""
    return spreadsheet.write("合伙名单", HEADERS, ([s.user.username, s.user.name, str(tier_labels[s.tier]),
                                                  f"{s.min_amount:.2f}", f"{s.max_amount:.2f}", s.deadline.isoformat()]
                                                 for s in rows), widths=(16, 12, 10, 14, 14, 12))


def _money(value, label: str) -> Decimal:
    if isinstance(value, (int, Decimal)):
        return parse_money(str(value), label)
    if isinstance(value, float):  # Excel stores numbers as floats: take the text Excel shows
        return parse_money(f"{value:.10f}".rstrip("0").rstrip("."), label)
    return parse_money(str(value or ""), label)


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value or "").strip())


def parse(data: bytes, tier_by_label: dict[str, str]) -> tuple[list[ImportRow], list[str]]:
    """Rows of an uploaded template, and every problem as "第N行：reason" (row numbers as in Excel)."""
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        lines = iter(list(sheet.iter_rows(values_only=True)))  # a truncated file fails here, not later
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return [], [_("文件不是有效的 Excel 工作簿（.xlsx）")]
    rows, problems = [], []
    header = [str(c or "").strip() for c in next(lines, [])]
    if header[:len(HEADERS)] != HEADERS:
        return [], [_("表头应为：%(h)s（请使用导出的模板）", h="、".join(HEADERS))]
    for number, values in enumerate(lines, start=2):
        values = list(values) + [None] * (len(HEADERS) - len(values))
        if all(v in (None, "") for v in values[:len(HEADERS)]):
            continue
        username, _name, tier_label, low, high, deadline = values[:6]
        try:
            username = spreadsheet.read_text(username).strip()
            if not username:
                raise ValueError(_("账号为空"))
            if len(username) > max_length(User.username):
                raise ValueError(_("%(label)s最多 %(n)s 个字", label=_("账号"), n=max_length(User.username)))
            tier = tier_by_label.get(spreadsheet.read_text(tier_label).strip())
            if tier is None:
                raise ValueError(_("层级“%(t)s”无效，应为：%(all)s", t=tier_label or "", all="、".join(tier_by_label)))
            min_amount, max_amount = _money(low, _("认购下限")), _money(high, _("认购上限"))
            if min_amount < 0 or max_amount < min_amount:
                raise ValueError(_("认购下限须不小于 0 且不大于认购上限"))
            try:
                when = _date(deadline)
            except ValueError:
                raise ValueError(_("截至日期“%(d)s”不是有效的日期", d=deadline or "")) from None
            rows.append(ImportRow(number, username, tier, min_amount, max_amount, when))
        except (ValueError, AmountError) as exc:
            problems.append(_("第%(n)s行：%(reason)s", n=number, reason=str(exc)))
    if not rows and not problems:
        problems.append(_("文件中没有合伙人"))
    return rows, problems
