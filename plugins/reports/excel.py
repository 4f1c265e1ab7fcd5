"""Exports in openpyxl's write_only mode: rows go to a temporary file as they come, so 100,000 rows
never sit in memory. Text through core.spreadsheet.safe_text (formulas neutralised); money as numbers
with two decimals, exactly the figures of the page."""
from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.spreadsheet import safe_text

MONEY_FORMAT = "#,##0.00"


def _cell(sheet, value, kind):
    if kind in ("money", "percent") and value is not None:
        cell = WriteOnlyCell(sheet, value=Decimal(value))
        cell.number_format = MONEY_FORMAT if kind == "money" else "0.000"
        return cell
    if kind == "int" and value is not None:
        return WriteOnlyCell(sheet, value=int(value))
    if kind == "date" and isinstance(value, dt.date):
        return WriteOnlyCell(sheet, value=value.isoformat())
    return safe_text(value)  # a plain str: openpyxl takes only text beginning with "=" as a formula


def write_stream(title: str, columns, rows, totals: dict | None = None, total_label: str = "",
                 progress=None) -> str:
    """Write ``rows`` (dicts) to a temporary .xlsx; returns its path (the caller removes it).
    ``progress(n)`` is called every 5,000 rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(title)[:31])
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, row.get(c.key), c.kind) for c in columns])
        count += 1
        if progress and count % 5000 == 0:
            progress(count)
    if totals is not None:
        sheet.append([_cell(sheet, total_label if i == 0 else totals.get(c.key), c.kind if i else "text")
                      for i, c in enumerate(columns)])
    handle = tempfile.NamedTemporaryFile(prefix="gentou-report-", suffix=".xlsx", delete=False)
    handle.close()
    book.save(handle.name)
    return handle.name
