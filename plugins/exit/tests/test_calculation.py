"""离职退休测算: 离职 and 退休 with awkward dates (a leap day, a year holding 29 February) and 配资, shown line by
line, saved, and made again from its saved inputs to the cent; the settings as the admin reads them."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.tenancy import tenant
from plugins.exit import rules
from plugins.exit.models import ExitCalculation
from plugins.exit.tests.helpers import calculate, exit_world, page
from tests.conftest import login, post


@pytest.fixture
def world(app):
    with app.app_context():
        return exit_world()


def _saved(app, world, calculation_id) -> ExitCalculation:
    with app.app_context(), tenant(world["group"]):
        found = db.session.scalar(sa.select(ExitCalculation).where(ExitCalculation.id == calculation_id))
        db.session.expunge(found)
        return found


def test_resign_from_a_leap_day_with_financing(app, client, world):
    login(client, world["kj"])
    calculation_id, messages = calculate(client, world, "shiwei", "resign", "2025-02-28")
    assert calculation_id, messages
    saved = _saved(app, world, calculation_id)
    # 2024-02-29 to 2025-02-28: 365 days, one year at 3 % (the default 离职 rule); 配资 40 %, 6 % a year.
    assert [(x["label"], x["amount"]) for x in saved.lines] == [
        ("事业合伙本金", "746428.00"), ("持有期收益", "22392.84"), ("扣减配资", "-298571.20"), ("扣减配资利息", "-17914.27")]
    assert saved.total == Decimal("452335.37")
    assert "365 天" in saved.lines[1]["source"] and "2024-02-29 至 2025-02-28" in saved.lines[1]["source"]
    html = client.get(page(world)).get_data(as_text=True)
    assert "452,335.37" in html and "扣减配资利息" in html and "认购明细·配资" in html


def test_retire_over_a_leap_year_on_the_disclosed_profit(app, client, world):
    login(client, world["kj"])
    calculation_id, messages = calculate(client, world, "jintao", "retire", "2024-03-01", net_profit="12,345,678.91")
    assert calculation_id, messages
    saved = _saved(app, world, calculation_id)
    # 退休 default: a share of the profit = profit × investment ÷ peak; 配资 interest over 366 days.
    assert [(x["label"], x["amount"]) for x in saved.lines] == [
        ("事业合伙本金", "288940.00"), ("净利润分成", "35671.60"), ("扣减配资", "-115576.00"), ("扣减配资利息", "-6953.56")]
    assert saved.total == Decimal("202082.04")
    assert "366 天" in saved.lines[3]["source"]


def test_the_calculation_is_reproducible_from_its_saved_inputs(app, client, world):
    login(client, world["kj"])
    ids = [calculate(client, world, "shiwei", "resign", "2024-12-31")[0],
           calculate(client, world, "jintao", "retire", "2025-06-30", net_profit="1000000.00")[0]]
    for calculation_id in ids:
        saved = _saved(app, world, calculation_id)
        with app.test_request_context():
            lines, total = rules.compute(saved.inputs)
        assert [x["amount"] for x in lines] == [x["amount"] for x in saved.lines]
        assert total == saved.total == sum(Decimal(x["amount"]) for x in saved.lines)


def test_rules_follow_the_settings_and_bad_input_is_refused(app, client, world):
    from core.settings import save
    with app.app_context(), tenant(world["group"]):
        save(world["group"], "exit", {"resign_basis": "interest", "resign_rate": "4.500"})
        db.session.commit()
    login(client, world["kj"])
    calculation_id, _ = calculate(client, world, "liuqiao", "resign", "2025-01-15")
    saved = _saved(app, world, calculation_id)
    assert saved.lines[1]["amount"] == "13037.92"  # 288,940.00 × 4.5 % × 366 ÷ 365: 2024-01-15 to 2025-01-15 holds 29 February
    assert calculate(client, world, "liuqiao", "resign", "2023-12-31")[1] == ["退出日期 2023-12-31 早于缴款日期 2024-01-15"]
    assert calculate(client, world, "liuqiao", "resign", "31/12/2025")[1] == ["退出日期不是有效的日期（YYYY-MM-DD）"]
    assert calculate(client, world, "liuqiao", "retire", "2025-01-15", keep="1")[1] == [
        "按模块设置，只有退休合伙人可选择保留份额"]
    assert post(client, page(world) + "/calculate", {"subscription": "", "kind": "x", "exit_on": ""}).status_code == 302
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count(ExitCalculation.id))) == 1


def test_the_settings_page_documents_the_rules_and_lists_the_companies(app, client, world):
    login(client, "aaa_admin")
    html = client.get("/admin/modules/exit/settings").get_data(as_text=True)
    for text in ("平台公司", "离职退出计算方式", "退休退出计算方式", "离职年利率（%）", "退休合伙人可保留份额至项目结束",
                 "持有期收益 = 本金 × 年利率 × 持有天数 ÷ 365", "置业集团", "AAA城市公司"):
        assert text in html, text
    response = post(client, "/admin/modules/exit/settings", {"platform_company": "abc", "resign_rate": "3.000"})
    assert response.status_code in (200, 302)
    from core.settings import get
    with app.app_context(), tenant(world["group"]):
        assert get(world["group"], "exit", "platform_company") == str(world["platform"])
