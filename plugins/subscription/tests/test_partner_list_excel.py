"""合伙名单 as Excel: the exported template imports back (rows updated, added or left alone), and
no text is ever written as a live formula."""
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core import roles
from core.extensions import db
from core.tenancy import tenant
from plugins.subscription.models import Subscription
from plugins.subscription.tests.test_flow import flashes
from tests.conftest import login, post
from tests.factories import make_tenant, make_user

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "'=1", "'plain"]


@pytest.fixture
def world(app):
    with app.app_context():
        t = make_tenant("AAA", modules=["subscription"])
        with tenant(t.group.id):
            make_user("shiwei", [roles.PARTNER], name="史伟")
            make_user("jintao", [roles.PARTNER], name="金涛")
            make_user("=cmd", [roles.PARTNER], name=HOSTILE[0])  # an account name that looks like a formula
            for i, name in enumerate(HOSTILE[1:]):
                make_user(f"hostile{i}", [roles.PARTNER], name=name)
            db.session.commit()
        return {"group": t.group.id, "project": t.project.id, "kj": t.accountant.username}


def page(world, tail):
    return f"/subscription/projects/{world['project']}/partners{tail}"


def add(kj, world, username, tier="city", low="1,000", high="9,000", deadline="2030-01-31"):
    response = post(kj, page(world, ""), {"username": username, "tier": tier, "min_amount": low, "max_amount": high,
                                         "deadline": deadline})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))


def upload(kj, world, data: bytes):
    return post(kj, page(world, "/import"), {"file": (io.BytesIO(data), "合伙名单.xlsx")},
                content_type="multipart/form-data", follow_redirects=True)


def exported_and_edited(kj, world, *edits) -> bytes:
    """The exported template with ``edits`` made as a user would in Excel: (row, column, value), or a row to append."""
    book = load_workbook(io.BytesIO(kj.get(page(world, "/template.xlsx")).data))
    for edit in edits:
        if len(edit) == 3:
            book.active.cell(row=edit[0], column=edit[1]).value = edit[2]
        else:
            book.active.append(edit)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def listed(app, world) -> dict:
    with app.app_context(), tenant(world["group"]):
        return {s.user.username: (s.tier, s.min_amount, s.max_amount, s.deadline, s.version)
                for s in db.session.scalars(sa.select(Subscription).options(sa.orm.joinedload(Subscription.user)))}


def test_export_add_a_row_change_a_row_import(app, world):
    kj = login(app.test_client(), world["kj"])
    add(kj, world, "shiwei")
    add(kj, world, "=cmd")
    before = listed(app, world)
    data = exported_and_edited(kj, world, ["jintao", "金涛", "置业集团", "2,000", "20,000", "2030-02-28"],
                               (2, 5, "12,000.00"))  # a new row; shiwei's upper bound
    result = upload(kj, world, data)
    assert "已导入：新增 1 名，更新 1 名，1 名未变" in flashes(result.get_data(as_text=True))
    after = listed(app, world)
    assert after["shiwei"][:4] == ("city", Decimal("1000.00"), Decimal("12000.00"), dt.date(2030, 1, 31))
    assert after["jintao"][:4] == ("realestate", Decimal("2000.00"), Decimal("20000.00"), dt.date(2030, 2, 28))
    assert after["=cmd"] == before["=cmd"]  # unchanged: not even its version moved
    # The same file again: nothing to do, nothing refused.
    again = upload(kj, world, data)
    assert "已导入：新增 0 名，更新 0 名，3 名未变" in flashes(again.get_data(as_text=True))
    assert listed(app, world) == after


def test_a_bad_row_among_updates_changes_nothing(app, world):
    kj = login(app.test_client(), world["kj"])
    add(kj, world, "shiwei")
    add(kj, world, "jintao")
    before = listed(app, world)
    data = exported_and_edited(kj, world, (2, 5, "50,000.00"), (3, 4, "abc"),  # a good update, a bad row
                               ["shiwei", "史伟", "城市公司", "1,000", "9,000", "2030-01-31"])  # listed twice
    response = post(kj, page(world, "/import"), {"file": (io.BytesIO(data), "x.xlsx")},
                    content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "第3行：" in text and "不是有效的数字" in text
    assert "第4行：史伟 在文件中重复出现" in text
    assert listed(app, world) == before


def test_an_update_that_leaves_a_subscription_outside_its_bounds_is_refused(app, world):
    kj = login(app.test_client(), world["kj"])
    add(kj, world, "shiwei")
    with app.app_context(), tenant(world["group"]):
        row = db.session.scalar(sa.select(Subscription))
        row.subscribed_amount = Decimal("8000.00")
        db.session.commit()
    text = upload(kj, world, exported_and_edited(kj, world, (2, 5, "5,000.00"))).get_data(as_text=True)
    assert "第2行：史伟 已认购 8,000.00 元，不在新的认购上下限内" in text
    assert listed(app, world)["shiwei"][2] == Decimal("9000.00")


def test_no_exported_cell_is_a_formula_and_the_text_comes_back_exactly(app, world):
    kj = login(app.test_client(), world["kj"])
    add(kj, world, "=cmd")
    for i in range(len(HOSTILE) - 1):
        add(kj, world, f"hostile{i}")
    data = kj.get(page(world, "/template.xlsx")).data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type == "s" for c in cells)
    assert not any(str(c.value).startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert "'" + HOSTILE[0] in names and "''=1" in names and "'plain" in names
    assert sheet.cell(row=2, column=1).value == "'=cmd"
    # Imported back, the neutralised account name finds its partner: nothing changes.
    result = upload(kj, world, data).get_data(as_text=True)
    assert f"已导入：新增 0 名，更新 0 名，{len(HOSTILE)} 名未变" in flashes(result)
