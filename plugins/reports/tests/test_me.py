"""个人中心/我的投资: the partner's own position, XIRR per project and overall, and nobody else's."""
import datetime as dt
import re
from decimal import Decimal as D

import pytest

from plugins.reports.tests.helpers import make_world
from plugins.reports.xirr import xirr
from tests.conftest import login


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world()


def test_my_investment(app, world):
    page = login(app.test_client(), world["alice"]).get("/reports/me").get_data(as_text=True)
    assert "我的投资" in page and "RPT项目" in page and "RPT二期" in page
    # project 1: paid 100,000 + 10,000, got back 108,775.45 and 22,222.22
    expected = xirr([(dt.date(2020, 1, 10), D("-100000.00")), (dt.date(2021, 1, 10), D("-10000.00")),
                     (dt.date(2023, 1, 10), D("108775.45")), (dt.date(2024, 1, 10), D("22222.22"))])
    assert f"{expected * 100:.2f}%" in page
    # project 2: nothing came back yet -> 不可计算, never 0 %
    row = re.search(r"<td>RPT二期</td>(.*?)</tr>", page, re.S).group(1)
    assert "不可计算" in row and "0.00%" not in row
    foot = page[page.rfind("<tfoot>"):]
    assert "130,000.00" in foot and "130,997.67" in foot and "1,234.56" in foot
    assert "<svg" in page and "chart-bar" in page  # the cash flows, drawn on the server
    assert "=乙+1" not in page and "丙" not in page  # nobody else's rows


def test_exit_payout_in_the_position(app, world):
    page = login(app.test_client(), world["carol"]).get("/reports/me").get_data(as_text=True)
    assert "100.00" in page[page.rfind("<tfoot>"):]


def test_only_partners(app, world):
    assert login(app.test_client(), world["hh"]).get("/reports/me").status_code == 403
    assert app.test_client().get("/reports/me").status_code in (302, 401)
