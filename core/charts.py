"""Charts drawn on the server as inline SVG: line and bar charts of Decimal series.

No JavaScript and no outside host, so a page under the CSP of core/headers.py shows them as they are:
colours and sizes are SVG presentation attributes (never a ``style`` attribute), every text is escaped,
and each point carries its exact value (``data-value``, the Decimal as text) with a ``<title>`` the
browser shows on hover. The caller passes labels already translated; this module has no strings of its own.

    line_chart(["立项", "2024-06-30"], [("净利润", [Decimal("1200.00"), Decimal("1350.50")])])

A value of ``None`` is a gap: no point, and the line breaks there. Positions are computed in Decimal and
written with one decimal place; the scale's ticks are 1, 2 or 5 times a power of ten and include 0.
"""
from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Sequence

from markupsafe import Markup, escape

PALETTE = ("#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d")
Series = Sequence[tuple[str, Sequence[Decimal | None]]]
TENTH = Decimal("0.1")
RIGHT, TOP, BOTTOM = Decimal(16), Decimal(30), Decimal(40)
INSET = Decimal(28)        # the first and last x positions stay this far inside the plot, so their labels fit
CHAR = Decimal("6.5")      # the width of one character of an 11px tick label, roughly


def _number(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("charts take Decimal or int values, not float")
    return Decimal(value)


def _step(span: Decimal, ticks: int) -> Decimal:
    """A step of 1, 2 or 5 × 10^n with at most ``ticks`` intervals over ``span``."""
    raw = span / ticks
    power = Decimal(1).scaleb(raw.adjusted())
    for factor in (1, 2, 5, 10):
        if power * factor >= raw:
            return power * factor
    return power * 10


def _scale(values: list[Decimal], ticks: int = 4) -> tuple[Decimal, Decimal, list[Decimal]]:
    low, high = min(values + [Decimal(0)]), max(values + [Decimal(0)])
    if low == high:
        high = low + 1
    step = _step(high - low, ticks)
    low = (low / step).to_integral_value(ROUND_FLOOR) * step
    high = (high / step).to_integral_value(ROUND_CEILING) * step
    count = int((high - low) / step)
    return low, high, [low + step * i for i in range(count + 1)]


def _plain(value: Decimal) -> str:
    """A tick's text: thousands separated, no trailing zeros (1,000 / 2.5 / -500)."""
    text = f"{value.normalize():,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _fmt(value: Decimal) -> str:
    return str(value.quantize(TENTH))


class _Frame:
    """The plot area and the mapping of values to coordinates."""

    def __init__(self, labels, series, width, height):
        self.labels = [str(label) for label in labels]
        self.series = [(str(name), [_number(v) for v in values]) for name, values in series]
        for name, values in self.series:
            if len(values) != len(self.labels):
                raise ValueError(f"series {name!r} has {len(values)} values for {len(self.labels)} labels")
        self.width, self.height = Decimal(width), Decimal(height)
        known = [v for _, values in self.series for v in values if v is not None]
        self.low, self.high, self.ticks = _scale(known)
        self.left = Decimal(12) + CHAR * max(len(_plain(t)) for t in self.ticks)
        self.plot_w = self.width - self.left - RIGHT
        self.plot_h = self.height - TOP - BOTTOM

    def y(self, value: Decimal) -> Decimal:
        return TOP + self.plot_h - (value - self.low) / (self.high - self.low) * self.plot_h

    def axes(self, title: str, x_positions: list[Decimal]) -> list[str]:
        out = []
        if title:
            out.append(f'<text x="{_fmt(self.left)}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>')
        for tick in self.ticks:
            y = _fmt(self.y(tick))
            out.append(f'<line x1="{_fmt(self.left)}" x2="{_fmt(self.width - RIGHT)}" y1="{y}" y2="{y}" '
                       f'stroke="{"#adb5bd" if tick == 0 else "#e9ecef"}" stroke-width="1"/>')
            out.append(f'<text x="{_fmt(self.left - 6)}" y="{y}" font-size="11" text-anchor="end" '
                       f'dominant-baseline="middle" fill="#6c757d">{escape(_plain(tick))}</text>')
        baseline = _fmt(self.height - BOTTOM + 16)
        for label, x in zip(self.labels, x_positions):
            out.append(f'<text class="chart-label" x="{_fmt(x)}" y="{baseline}" font-size="11" '
                       f'text-anchor="middle" fill="#495057">{escape(label)}</text>')
        if len(self.series) > 1:
            x = self.left
            for index, (name, _values) in enumerate(self.series):
                colour = PALETTE[index % len(PALETTE)]
                legend_y = _fmt(self.height - 8)
                out.append(f'<rect x="{_fmt(x)}" y="{_fmt(self.height - 16)}" width="10" height="10" fill="{colour}"/>')
                out.append(f'<text x="{_fmt(x + 14)}" y="{legend_y}" font-size="11">{escape(name)}</text>')
                x += 24 + 12 * len(name)
        return out

    def svg(self, title: str, body: list[str], kind: str) -> Markup:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
                f'viewBox="0 0 {self.width} {self.height}" width="{self.width}" height="{self.height}" '
                f'aria-label="{escape(title)}" font-family="sans-serif">')
        caption = f"<title>{escape(title)}</title>" if title else ""
        return Markup(head + caption + "".join(body) + "</svg>")


def _point(cx: Decimal, cy: Decimal, colour: str, series: str, label: str, value: Decimal) -> str:
    return (f'<circle class="chart-point" cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="3.5" fill="{colour}" '
            f'data-series="{escape(series)}" data-label="{escape(label)}" data-value="{escape(str(value))}">'
            f'<title>{escape(series)} · {escape(label)}: {escape(f"{value:,}")}</title></circle>')


def line_chart(labels: Sequence[str], series: Series, title: str = "", width: int = 480,
               height: int = 220) -> Markup:
    """One line per series over ``labels`` (e.g. dates); each known value a point."""
    frame = _Frame(labels, series, width, height)
    count = len(frame.labels)
    gap = (frame.plot_w - 2 * INSET) / (count - 1) if count > 1 else Decimal(0)
    xs = [frame.left + INSET + gap * i if count > 1 else frame.left + frame.plot_w / 2 for i in range(count)]
    body = frame.axes(title, xs)
    for index, (name, values) in enumerate(frame.series):
        colour = PALETTE[index % len(PALETTE)]
        segment: list[str] = []
        segments = []
        for x, value in zip(xs, values):
            if value is None:
                segments.append(segment)
                segment = []
            else:
                segment.append(f"{_fmt(x)},{_fmt(frame.y(value))}")
        segments.append(segment)
        for part in segments:
            if len(part) > 1:
                body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(part)}"/>')
        body.extend(_point(x, frame.y(v), colour, name, label, v)
                    for x, v, label in zip(xs, values, frame.labels) if v is not None)
    return frame.svg(title, body, "line")


def bar_chart(labels: Sequence[str], series: Series, title: str = "", width: int = 480,
              height: int = 220) -> Markup:
    """Grouped bars: for each label one bar per series, from 0 up (or down for a negative value)."""
    frame = _Frame(labels, series, width, height)
    count = max(len(frame.labels), 1)
    slot = frame.plot_w / count
    bars = max(len(frame.series), 1)
    bar_w = slot * Decimal("0.7") / bars
    xs = [frame.left + slot * i + slot / 2 for i in range(count)]
    body = frame.axes(title, xs)
    zero = frame.y(Decimal(0))
    for index, (name, values) in enumerate(frame.series):
        colour = PALETTE[index % len(PALETTE)]
        for i, (value, label) in enumerate(zip(values, frame.labels)):
            if value is None:
                continue
            x = frame.left + slot * i + slot * Decimal("0.15") + bar_w * index
            top = min(frame.y(value), zero)
            body.append(f'<rect class="chart-bar" x="{_fmt(x)}" y="{_fmt(top)}" width="{_fmt(bar_w)}" '
                        f'height="{_fmt(abs(zero - frame.y(value)))}" fill="{colour}" data-series="{escape(name)}" '
                        f'data-label="{escape(label)}" data-value="{escape(str(value))}">'
                        f'<title>{escape(name)} · {escape(label)}: {escape(f"{value:,}")}</title></rect>')
    return frame.svg(title, body, "bar")
