"""Reading the stage's forms: every field checked, errors keyed by field, nothing saved on error."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.i18n import gettext as _

from core.forms import parse_integer, text_problem
from core.money import AmountError, parse_column, parse_money, parse_percent

MAX_ROWS = 200  # rows of one repeated form (股东, 关键节点)


class FormReader:
    """Collects typed values and per-field messages from a submitted form."""

    def __init__(self, form):
        self.form, self.errors = form, {}

    def text(self, name: str, label: str, column, required: bool = False) -> str:
        """Text for ``column`` (``Model.attr``), as long as the column holds at most."""
        value = (self.form.get(name) or "").strip()
        problem = _("请填写%(label)s", label=label) if required and not value else text_problem(label, value, column)
        if problem:
            self.errors[name] = problem
        return value

    def _number(self, name, label, parse, required):
        raw = (self.form.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[name] = _("请填写%(label)s", label=label)
            return None
        try:
            return parse(raw, label)
        except AmountError as exc:
            self.errors[name] = str(exc)
            return None

    def money(self, name: str, label: str, required: bool = False, minimum: Decimal | None = Decimal("0")):
        value = self._number(name, label, lambda raw, lab: parse_money(raw, lab, signed=minimum is None), required)
        if value is not None and minimum is not None and value < minimum:
            self.errors[name] = _("%(label)s不能小于 %(min)s", label=label, min=minimum)
        return value

    def percent(self, name: str, label: str, required: bool = False):
        value = self._number(name, label, parse_percent, required)
        if value is not None and not Decimal("0") <= value <= Decimal("100"):
            self.errors[name] = _("%(label)s须在 0 至 100 之间", label=label)
        return value

    def decimal(self, name: str, label: str, column):
        """A number not below 0 with the places and integer digits of ``column`` (e.g. an area)."""
        return self._number(name, label, lambda raw, lab: parse_column(raw, column, lab), False)

    def integer(self, name: str, label: str, maximum: int = 2_147_483_647):
        raw = (self.form.get(name) or "").strip()
        if not raw:
            return None
        try:
            return parse_integer(raw, label, maximum)
        except AmountError as exc:
            self.errors[name] = str(exc)
            return None

    def rows(self) -> int:
        """How many rows a repeated form posted (its hidden ``rows``), at most MAX_ROWS."""
        return self.integer("rows", _("行数"), MAX_ROWS) or 0

    def date(self, name: str, label: str, required: bool = False):
        raw = (self.form.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[name] = _("请填写%(label)s", label=label)
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.errors[name] = _("%(label)s不是有效的日期（YYYY-MM-DD）", label=label)
            return None
