"""Money and percentages from text: Decimal, strict, with the manual's places."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from core.i18n import gettext as _

CENT = Decimal("0.01")
_NUMBER = re.compile(r"^-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?$")


class ExactNumeric(sa.types.TypeDecorator):
    """NUMERIC(precision, scale) that gives back exactly the Decimal it was given, on every database.

    PostgreSQL keeps NUMERIC exactly. SQLite would keep it as a float (9999999999999999.99 comes back
    as 10000000000000000), so there the column holds the value scaled to an integer (cents for money),
    which SQLite stores, compares and sums exactly; the declared column type stays NUMERIC(p, s).
    """

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int):
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision, self.scale = precision, scale

    @property
    def integer_digits(self) -> int:
        return self.precision - self.scale

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_ScaledInteger(self.precision, self.scale))
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "sqlite":
            return value
        return int(Decimal(value).scaleb(self.scale).to_integral_value(ROUND_HALF_UP))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name != "sqlite":
            return Decimal(value)
        return Decimal(int(value)).scaleb(-self.scale)


class _ScaledInteger(sa.Numeric):
    """SQLite's side of ExactNumeric: declared NUMERIC(p, s), values passed through as integers."""

    def bind_processor(self, dialect):
        return None

    def result_processor(self, dialect, coltype):
        return None


MONEY = ExactNumeric(18, 2)      # amounts: at most 16 integer digits, 2 places
PERCENT = ExactNumeric(7, 3)     # percent points: 3.310 = 3.310 %


class AmountError(ValueError):
    """Text that is not an amount; the message is for the user."""


def parse_decimal(text: str, places: int, label: str = "", digits: int = MONEY.integer_digits,
                  signed: bool = False) -> Decimal:
    """"1,234.50" -> Decimal("1234.50"); refuses "abc", "1.234" (for 2 places), "1,23", more than
    ``digits`` integer digits (what the column holds) and, unless ``signed``, a negative number."""
    raw = (text or "").strip().replace("，", ",")
    if not _NUMBER.match(raw):
        raise AmountError(_("%(label)s不是有效的数字：%(text)s", label=label, text=text))
    fraction = raw.split(".")[1] if "." in raw else ""
    if len(fraction) > places:
        raise AmountError(_("%(label)s最多 %(n)s 位小数", label=label, n=places))
    try:
        value = Decimal(raw.replace(",", "")).quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        raise AmountError(_("%(label)s不是有效的数字：%(text)s", label=label, text=text)) from None
    if value.is_zero():
        value = value.copy_abs()  # "-0" is 0.00, not a negative zero shown back as "-0.00"
    if value < 0 and not signed:
        raise AmountError(_("%(label)s不能为负数", label=label))
    largest = Decimal(10) ** digits - Decimal(1).scaleb(-places)
    if abs(value) > largest:
        raise AmountError(_("%(label)s不能大于 %(max)s", label=label, max=f"{largest:,}"))
    return value


def parse_column(text: str, column, label: str = "", signed: bool = False) -> Decimal:
    """Parse for a model column of type ExactNumeric: its places and integer digits are the limits."""
    kind = column.property.columns[0].type if hasattr(column, "property") else column.type
    return parse_decimal(text, kind.scale, label, kind.integer_digits, signed)


def parse_money(text: str, label: str = "", signed: bool = False) -> Decimal:
    return parse_decimal(text, MONEY.scale, label, MONEY.integer_digits, signed)


def parse_percent(text: str, label: str = "") -> Decimal:
    """"3.310" or "3.310%" -> Decimal("3.310") (percent points, three places)."""
    return parse_decimal((text or "").strip().rstrip("%"), PERCENT.scale, label, PERCENT.integer_digits)


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


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_GROUP_UNITS = ("", "万", "亿", "万亿")


def _four_digits(n: int) -> str:
    out, zero = "", False
    for position in (3, 2, 1, 0):
        digit = n // 10 ** position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + _SMALL_UNITS[position]
    return out


def to_chinese_upper(amount: Decimal) -> str:
    """大写金额 as on Chinese financial documents: 288940.00 -> 贰拾捌万捌仟玖佰肆拾元整."""
    amount = round_cents(Decimal(amount))
    sign = "负" if amount < 0 else ""
    cents = int(abs(amount) * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    groups = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    out, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(out)
            continue
        if out and (pending_zero or group < 1000):
            out += "零"
        out += _four_digits(group) + _GROUP_UNITS[index]
        pending_zero = False
    if out:
        out += "元"
    if jiao == 0 and fen == 0:
        return sign + (out or "零元") + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    if fen:
        out += ("零" if out and not jiao else "") + _DIGITS[fen] + "分"
    return sign + out
