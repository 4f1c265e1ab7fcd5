"""XIRR of dated cash flows, in Decimal: the annual rate r with Σ amountᵢ / (1 + r)^(daysᵢ / 365) = 0.

Newton's method from 10 %; when it leaves (-1, ∞) or does not settle, bisection on a bracket where the
sum changes sign. ``None`` when no rate exists (every flow of one sign, or no sign change on the
bracket): the caller shows "不可计算", never 0 %.

    xirr([(date(2008, 1, 1), Decimal("-10000")), (date(2008, 3, 1), Decimal("2750")), ...])
    # Decimal('0.3733625335...') as Excel's XIRR example
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext
from typing import Sequence

TOLERANCE = Decimal("1e-12")
LOW, HIGH = Decimal("-0.999999"), Decimal("1000")
YEAR = Decimal(365)


def _npv(rate: Decimal, flows) -> Decimal:
    base = 1 + rate
    return sum((amount / base ** years for years, amount in flows), Decimal(0))


def _slope(rate: Decimal, flows) -> Decimal:
    base = 1 + rate
    return sum((-years * amount / base ** (years + 1) for years, amount in flows), Decimal(0))


def xirr(cash_flows: Sequence[tuple[dt.date, Decimal]], guess: Decimal = Decimal("0.1")) -> Decimal | None:
    """The annual rate as a fraction (0.1 = 10 %), or ``None`` when none exists."""
    flows = [(day, Decimal(amount)) for day, amount in cash_flows if amount]
    if not any(a > 0 for _, a in flows) or not any(a < 0 for _, a in flows):
        return None
    start = min(day for day, _ in flows)
    with localcontext() as ctx:
        ctx.prec = 34
        timed = [(Decimal((day - start).days) / YEAR, amount) for day, amount in flows]
        rate = Decimal(guess)
        for _ in range(100):
            value, slope = _npv(rate, timed), _slope(rate, timed)
            if slope == 0:
                break
            step = value / slope
            rate -= step
            if rate <= -1 or rate > HIGH:
                break
            if abs(step) < TOLERANCE:
                return +rate if abs(_npv(rate, timed)) < Decimal("1e-6") else _bisect(timed)
        return _bisect(timed)


def _bisect(timed) -> Decimal | None:
    low, high = LOW, HIGH
    f_low, f_high = _npv(low, timed), _npv(high, timed)
    if f_low == 0:
        return low
    if f_low * f_high > 0:
        # the NPV may cross zero twice (several sign changes): look for a bracket on a grid
        grid = [Decimal(x) / 100 for x in range(-99, 100)] + [Decimal(x) for x in (2, 5, 10, 100, 1000)]
        values = [(r, _npv(r, timed)) for r in grid]
        for (r0, v0), (r1, v1) in zip(values, values[1:]):
            if v0 == 0:
                return r0
            if v0 * v1 < 0:
                low, high, f_low = r0, r1, v0
                break
        else:
            return None
    for _ in range(200):
        middle = (low + high) / 2
        value = _npv(middle, timed)
        if value == 0 or (high - low) < TOLERANCE:
            return middle
        if (value < 0) == (f_low < 0):
            low, f_low = middle, value
        else:
            high = middle
    return (low + high) / 2
