"""core.charts: server-drawn SVG from Decimal series, every text escaped, nothing a strict CSP blocks.
(The pages that use it test it in place too: plugins/disclosure/tests/test_flow.py.)"""
import re
from decimal import Decimal

import pytest

from core.charts import bar_chart, line_chart


def test_line_chart_points_gaps_and_escaping():
    svg = str(line_chart(["立项", "<b>2024</b>", "2025"], [("净利润 & <x>", [Decimal("1200.50"), None, Decimal("-300")])],
                         title='"标题"<script>'))
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "<script" not in svg and "<b>" not in svg and "&lt;b&gt;2024&lt;/b&gt;" in svg
    assert "&lt;script&gt;" in svg and "&amp; &lt;x&gt;" in svg
    assert re.findall(r'data-value="([^"]+)"', svg) == ["1200.50", "-300"]  # the gap has no point
    assert "<polyline" not in svg  # a gap breaks the line: no two neighbouring points
    assert "style=" not in svg and "javascript" not in svg.lower()
    ticks = re.findall(r'text-anchor="end"[^>]*>([^<]+)<', svg)
    assert "0" in ticks and ticks[0].startswith("-")  # the scale takes in 0 and the negative value


def test_bar_chart_bars_from_zero_and_two_series():
    svg = str(bar_chart(["一期", "二期"], [("计划", [Decimal(5), Decimal(-3)]), ("实际", [Decimal(4), None])]))
    assert re.findall(r'class="chart-bar"[^>]*data-value="([^"]+)"', svg) == ["5", "-3", "4"]
    assert svg.count("<rect") == 3 + 2  # the bars, and the legend's two swatches


def test_floats_and_mismatched_series_are_refused():
    with pytest.raises(TypeError):
        line_chart(["a"], [("x", [1.5])])
    with pytest.raises(ValueError):
        line_chart(["a", "b"], [("x", [Decimal(1)])])
