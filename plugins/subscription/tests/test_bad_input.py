"""Bad input to the stage's forms and import: a clear Chinese message, 200/400, nothing saved; money exact."""
import io
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from core.extensions import db
from core.tenancy import tenant
from plugins.subscription.models import Initiation, Milestone, Shareholder, Subscription
from plugins.subscription.tests.test_flow import add_partner, flashes, rows, set_up_plan, subscribe, url, world  # noqa: F401
from tests.conftest import login, post, save

LARGEST = "9,999,999,999,999,999.99"
TOO_LARGE = "99999999999999999999"


def plan(app, world):
    with app.app_context(), tenant(world["group"]):
        return db.session.scalar(sa.select(Initiation).where(Initiation.project_id == world["project"]))


def stored(app, world, field):
    """A figure of the project's 立项 as saved (None when the 立项 itself was never saved)."""
    found = plan(app, world)
    return getattr(found, field) if found else None


def count(app, world, model):
    with app.app_context(), tenant(world["group"]):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("field, value, message", [
    ("total_investment", TOO_LARGE, f"总投资不能大于 {LARGEST}"),
    ("total_investment", "-1", "总投资不能为负数"),
    ("land_area", "-5", "占地面积（㎡）不能为负数"),
    ("building_area", "1000000000000", "总建筑面积（㎡）不能大于 999,999,999,999.99"),
    ("development_months", "²", "开发周期（月）须为整数"),
    ("payback_months", "99999999999", "现金回正周期（月）不能大于 2147483647"),
    ("project_company", "项" * 121, "项目公司最多 120 个字"),
])
def test_initiation_refuses_what_its_columns_cannot_hold(app, world, field, value, message):
    kj = login(app.test_client(), world["kj"])
    response = save(kj, url(world, "initiation"), {"project_company": "泰安锦艺置业", field: value})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert not stored(app, world, "project_company")


def test_forms_render_the_column_length_as_maxlength(app, world):
    kj = login(app.test_client(), world["kj"])
    page = kj.get(url(world, "initiation")).get_data(as_text=True)
    assert 'name="project_company" maxlength="120"' in page and 'name="initiation_note" maxlength="500"' in page
    page = kj.get(url(world, "peak")).get_data(as_text=True)
    assert 'name="payee_name" maxlength="120"' in page and 'name="payee_account" maxlength="60"' in page
    assert 'name="name-0" maxlength="120"' in kj.get(url(world, "milestones")).get_data(as_text=True)
    assert 'name="name-0" maxlength="120"' in kj.get(url(world, "shareholders")).get_data(as_text=True)
    assert 'name="username" maxlength="60"' in kj.get(url(world, "partners")).get_data(as_text=True)


@pytest.mark.parametrize("changes, message", [
    ({"capital_peak": TOO_LARGE}, f"资金峰值不能大于 {LARGEST}"),
    ({"capital_peak": "-100"}, "资金峰值不能为负数"),
    ({"payee_name": "户" * 121}, "收款户名最多 120 个字"),
    ({"payee_account": "6" * 61}, "收款账号最多 60 个字"),
])
def test_peak_refuses_what_its_columns_cannot_hold(app, world, changes, message):
    kj = login(app.test_client(), world["kj"])
    data = {"capital_peak": "1,000,000", "payee_name": "泰安项目公司", "payee_account": "3705", **changes}
    response = save(kj, url(world, "peak"), data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert stored(app, world, "capital_peak") is None


@pytest.mark.parametrize("page, model, data, message", [
    ("shareholders", Shareholder, {"rows": "1", "name-0": "股" * 121, "stake-0": "100"}, "股东名称最多 120 个字"),
    ("shareholders", Shareholder, {"rows": "²", "name-0": "锦艺置业", "stake-0": "100"}, "行数须为整数"),
    ("milestones", Milestone, {"rows": "1", "name-0": "节" * 121}, "节点最多 120 个字"),
    ("milestones", Milestone, {"rows": "1", "name-0": "<b>开盘</b>"}, "节点中不能有&lt;、&gt;符号"),
    ("milestones", Milestone, {"rows": "²", "name-0": "开盘"}, "行数须为整数"),
    ("milestones", Milestone, {"rows": "100000000", "name-0": "开盘"}, "行数不能大于 200"),
])
def test_repeated_forms_show_every_refusal(app, world, page, model, data, message):
    kj = login(app.test_client(), world["kj"])
    response = save(kj, url(world, page), data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert count(app, world, model) == 0


def test_a_refused_milestone_keeps_what_was_typed(app, world):
    kj = login(app.test_client(), world["kj"])
    page = save(kj, url(world, "milestones"), {"rows": "2", "name-0": "开盘", "planned-0": "2030-01-31",
                                               "name-1": "竣工<备案>"}).get_data(as_text=True)
    assert 'value="开盘"' in page and 'value="2030-01-31"' in page and 'value="竣工&lt;备案&gt;"' in page
    assert "is-invalid" in page


def test_partner_bounds_beyond_the_column_are_refused(app, world):
    kj = login(app.test_client(), world["kj"])
    response = add_partner(kj, world, "shiwei", "realestate", low="1", high=TOO_LARGE)
    assert response.status_code == 200 and f"认购上限不能大于 {LARGEST}" in response.get_data(as_text=True)
    response = add_partner(kj, world, "shiwei", "realestate", low="-1", high="10")
    assert response.status_code == 200 and "认购下限不能为负数" in response.get_data(as_text=True)
    response = add_partner(kj, world, "s" * 61, "realestate")
    assert response.status_code == 200 and "账号最多 60 个字" in response.get_data(as_text=True)
    assert count(app, world, Subscription) == 0


def test_the_largest_amount_and_one_cent_round_trip_exactly(app, world):
    """Through the forms, the partner's 认购, 测算 and 计算投资明细 (the bulk writers) and back."""
    kj = login(app.test_client(), world["kj"])
    set_up_plan(app, world, kj, peak=LARGEST, ratios={"city": "100.000"})
    assert save(kj, url(world, "initiation"), {"total_investment": "0.01", "land_area": "999,999,999,999.99"}
                ).status_code == 302
    add_partner(kj, world, "shiwei", "city", low="0.01", high=LARGEST)
    add_partner(kj, world, "jintao", "city", low="0.01", high=LARGEST)
    assert "已提交认购" in subscribe(app, world, "shiwei", "9,999,999,999,999,999.98")
    assert "已提交认购" in subscribe(app, world, "jintao", "0.01")
    post(kj, url(world, "subscriptions/propose"))
    post(kj, url(world, "subscriptions/detail"))
    stored = plan(app, world)
    assert stored.capital_peak == Decimal("9999999999999999.99") and stored.total_investment == Decimal("0.01")
    assert stored.land_area == Decimal("999999999999.99")
    got = rows(app, world)
    assert got["shiwei"].subscribed_amount == got["shiwei"].investment == Decimal("9999999999999999.98")
    assert got["jintao"].subscribed_amount == got["jintao"].investment == Decimal("0.01")
    assert got["shiwei"].self_funded + got["shiwei"].financed == Decimal("9999999999999999.98")
    assert got["jintao"].self_funded == Decimal("0.01") and got["jintao"].financed == Decimal("0.00")
    page = kj.get(url(world, "subscriptions")).get_data(as_text=True)
    assert "9,999,999,999,999,999.98" in page and LARGEST in page  # the partner and the tier's total
    with app.app_context(), tenant(world["group"]):
        total = db.session.scalar(sa.select(sa.func.sum(Subscription.investment)))
    assert total == Decimal("9999999999999999.99")


def workbook(*rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["账号", "姓名", "层级", "认购下限", "认购上限", "截至日期"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def truncated(data: bytes) -> bytes:
    """The workbook with its sheet cut in half: it opens, and fails when its rows are read."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item, content[:len(content) // 2] if item.filename.startswith("xl/worksheets/") else content)
    return out.getvalue()


def upload(kj, world, data: bytes):
    return post(kj, url(world, "partners/import"), {"file": (io.BytesIO(data), "合伙名单.xlsx")},
                content_type="multipart/form-data")


@pytest.mark.parametrize("data, message", [
    (truncated(workbook(("shiwei", "史伟", "置业集团", "10000", "20000", "2030-01-31"))),
     "文件不是有效的 Excel 工作簿（.xlsx）"),
    (workbook(("shiwei", "史伟", "置业集团", "10000", TOO_LARGE, "2030-01-31")), f"第2行：认购上限不能大于 {LARGEST}"),
    (workbook(("shiwei", "史伟", "置业集团", 10000, 1e20, "2030-01-31")), f"第2行：认购上限不能大于 {LARGEST}"),
    (workbook(("shiwei", "史伟", "置业集团", "-1", "10", "2030-01-31")), "第2行：认购下限不能为负数"),
    (workbook(("s" * 61, "史伟", "置业集团", "1", "10", "2030-01-31")), "第2行：账号最多 60 个字"),
])
def test_the_import_refuses_a_broken_file_and_amounts_beyond_the_column(app, world, data, message):
    kj = login(app.test_client(), world["kj"])
    response = upload(kj, world, data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(app, world, Subscription) == 0


def test_changing_the_peak_after_the_plan_passed_review_gets_the_lock_message(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    set_up_plan(app, world, kj)
    add_partner(kj, world, "shiwei", "realestate")
    subscribe(app, world, "shiwei", "20,000")
    post(kj, url(world, "subscriptions/propose"))
    post(kj, url(world, "subscriptions/detail"))
    post(kj, url(world, "subscriptions/submit"))
    queue = hh.get("/reviews/").get_data(as_text=True)
    review_id = queue.split("/reviews/")[1].split("/")[0]
    post(hh, f"/reviews/{review_id}/decide", {"decision": "pass", "comment": "同意"})
    response = save(kj, url(world, "peak"), {"capital_peak": "2,000,000", "ratio-realestate": "3.310",
                                             "ratio-city": "0.600"}, headers={"Referer": "http://localhost" + url(world, "peak")},
                    follow_redirects=True)
    assert response.status_code == 200
    assert "需业务管理员解锁后才能修改" in " ".join(flashes(response.get_data(as_text=True)))
    assert plan(app, world).capital_peak == Decimal("1000000.00")


def test_a_crafted_selection_of_partners_is_ignored(app, world):
    kj = login(app.test_client(), world["kj"])
    add_partner(kj, world, "shiwei", "realestate")
    response = post(kj, url(world, "partners/notify"), {"selected": ["²", "99999999999999999999"], "test": "1"})
    assert response.status_code == 302
