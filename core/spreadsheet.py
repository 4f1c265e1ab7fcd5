"""Every Excel export goes through ``write``: text that Excel would run as a formula is neutralised.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
taken by Excel (or LibreOffice, or a CSV re-save) as a formula. ``safe_text`` prefixes such text
with an apostrophe and the cell is written as a string; ``read_text`` removes exactly that
prefix, so an exported sheet imports back to the same values.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_text(value) -> str:
    """The text to store in a cell: prefixed with ' when Excel could read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) or (text.startswith(QUOTE) and text[1:].startswith(FORMULA_STARTS + (QUOTE,))):
        return QUOTE + text
    return text


def read_text(value) -> str:
    """A cell's text as the user meant it: the neutralising apostrophe of ``safe_text`` removed."""
    text = "" if value is None else str(value)
    if text.startswith(QUOTE) and text[1:].startswith(FORMULA_STARTS + (QUOTE,)):
        return text[1:]
    return text


def write(title: str, headers: list[str], rows, widths=()) -> bytes:
    """An .xlsx of one sheet: a bold header row, then ``rows`` (every value written as text)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=number, column=column)
            cell.value = safe_text(value)
            cell.data_type = "s"  # never "f", whatever the text looks like
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
