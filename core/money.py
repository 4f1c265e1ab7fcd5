"""Money and percentages from text: Decimal, strict, with the manual's places."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _

CENT = Decimal("0.01")
_NUMBER = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


class AmountError(ValueError):
    """Text that is not an amount; the message is for the user."""


def parse_decimal(text: str, places: int, label: str = "") -> Decimal:
    """"1,234.50" -> Decimal("1234.50"); refuses "abc", "1.234" (for 2 places), "1,23"."""
    raw = (text or "").strip().replace("，", ",")
    if not _NUMBER.match(raw):
        raise AmountError(_("%(label)s不是有效的数字：%(text)s", label=label, text=text))
    fraction = raw.split(".")[1] if "." in raw else ""
    if len(fraction) > places:
        raise AmountError(_("%(label)s最多 %(n)s 位小数", label=label, n=places))
    try:
        return Decimal(raw.replace(",", "")).quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        raise AmountError(_("%(label)s不是有效的数字：%(text)s", label=label, text=text)) from None


def parse_money(text: str, label: str = "") -> Decimal:
    return parse_decimal(text, 2, label)


def parse_percent(text: str, label: str = "") -> Decimal:
    """"3.310" or "3.310%" -> Decimal("3.310") (percent points, three places)."""
    return parse_decimal((text or "").strip().rstrip("%"), 3, label)


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split ``total`` (cents) in proportion to ``weights`` by the largest-remainder rule."""
    cents = int((total / CENT).to_integral_value())
    weight_sum = sum(weights)
    if not weights or weight_sum == 0:
        return [Decimal("0.00")] * len(weights)
    exact = [Decimal(cents) * w / weight_sum for w in weights]
    floors = [int(e) for e in exact]
    remainder = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:remainder]:
        floors[i] += 1
    return [Decimal(c) * CENT for c in floors]
