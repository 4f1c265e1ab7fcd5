"""The manual's section 3.1: a principal batch and a first profit batch entered by hand (导入), the table as printed."""
import re

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import AuditLog
from core.tenancy import tenant
from plugins.distribution.tests.helpers import (batch_url, cells, flashes, make_world, new_batch, page_url, sheet,
                                                upload)
from plugins.distribution.tests.manual_table import ROWS
from tests.conftest import login, post


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world(partners=[(f"p{i:02d}", name, "city", a.replace(",", ""), None)
                                    for i, (name, _m, a, *_rest) in enumerate(ROWS)])


def unlock_and_import(hh, kj, world, batch_id, rows):
    assert post(hh, batch_url(world, batch_id, "unlock"), {"by_hand": "1"}).status_code == 302
    response = upload(kj, batch_url(world, batch_id, "import"), sheet(rows), follow_redirects=True)
    assert response.status_code == 200
    assert any("已导入 34 行" in f for f in flashes(response.get_data(as_text=True)))
    assert post(hh, batch_url(world, batch_id, "unlock"), {"by_hand": "0"}).status_code == 302


def test_the_manuals_table_through_import(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    principal, profit = new_batch(app, world, kj, "principal"), new_batch(app, world, kj, "profit")
    unlock_and_import(hh, kj, world, principal,
                      [(f"p{i:02d}", name, a, b, "", "") for i, (name, _m, a, b, *_r) in enumerate(ROWS)])
    unlock_and_import(hh, kj, world, profit,
                      [(f"p{i:02d}", name, "", "", "", f or "0") for i, (name, _m, _a, _b, _d, f, _t) in enumerate(ROWS)])
    page = kj.get(page_url(world)).get_data(as_text=True)
    assert cells(page) == ["8,570,917.00", "-1,119,979.05", "", "7,450,937.95", "7,450,937.95", "131,980.42",
                           "7,582,918.37"]
    body = page[page.find("<tbody>"):page.find("</tbody>")]
    printed = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    assert len(printed) == 34
    for (name, _m, a, b, d, f, total), html in zip(ROWS, printed):
        values = [c.strip() for c in re.findall(r'<td class="money">(.*?)</td>', html, re.S)]
        assert name in html
        assert values == [a, b, "", d, d, f, total], name
    with app.app_context(), tenant(world["group"]):
        actions = db.session.execute(sa.select(AuditLog.action, AuditLog.record_table)
                                     .where(AuditLog.record_table.like("distribution_%")).order_by(AuditLog.id)).all()
    assert [a for a, _t in actions].count("distribution:unlock") == 2
    assert [a for a, _t in actions].count("distribution:lock") == 2
    # each import: one audit entry holding every partner's before and after
    assert [a for a, t in actions if t == "distribution_line"] == ["update", "update"]
