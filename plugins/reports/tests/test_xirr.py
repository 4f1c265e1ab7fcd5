"""XIRR against known values, and the cases where no rate exists."""
import datetime as dt
from decimal import Decimal as D

from plugins.reports.xirr import xirr


def test_excel_documentation_example():
    # Microsoft's XIRR example: =XIRR(values, dates) = 0.373362535 (37.34 %)
    flows = [(dt.date(2008, 1, 1), D("-10000")), (dt.date(2008, 3, 1), D("2750")), (dt.date(2008, 10, 30), D("4250")),
             (dt.date(2009, 2, 15), D("3250")), (dt.date(2009, 4, 1), D("2750"))]
    assert abs(xirr(flows) - D("0.373362535")) < D("1e-8")  # Excel stops within its own tolerance


def test_one_period_closed_form():
    # 366 days (2020 is a leap year): 1.1 ** (365 / 366) − 1
    rate = xirr([(dt.date(2020, 1, 1), D("-1000.00")), (dt.date(2021, 1, 1), D("1100.00"))])
    assert abs(rate - (D("1.1") ** (D(365) / D(366)) - 1)) < D("1e-15")


def test_loss_is_negative_and_order_free():
    flows = [(dt.date(2021, 1, 1), D("900.00")), (dt.date(2020, 1, 1), D("-1000.00"))]
    assert round(xirr(flows), 6) == round(D("0.9") ** (D(365) / D(366)) - 1, 6)


def test_no_rate_exists():
    assert xirr([]) is None
    assert xirr([(dt.date(2020, 1, 1), D("-1000.00"))]) is None                       # nothing came back yet
    assert xirr([(dt.date(2020, 1, 1), D("-1000.00")), (dt.date(2021, 1, 1), D("-5.00"))]) is None
    # out, in, out again: the NPV stays below zero at every rate
    assert xirr([(dt.date(2020, 1, 1), D("-100")), (dt.date(2020, 7, 1), D("100")),
                 (dt.date(2021, 1, 1), D("-100"))]) is None


def test_newton_failing_falls_back_to_bisection():
    # a huge return within days sends Newton from 10 % far off; bisection still finds the root
    flows = [(dt.date(2020, 1, 1), D("-1")), (dt.date(2020, 1, 31), D("1.5"))]
    rate = xirr(flows)
    assert rate is not None
    assert abs(D("-1") + D("1.5") / (1 + rate) ** (D(30) / D(365))) < D("1e-9")
