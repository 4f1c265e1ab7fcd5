"""The 明道云 client against the fake over HTTP: the app, worksheets, paging and errors."""
import pytest

from plugins.mingdao.client import Client, MingdaoError, worksheets
from plugins.mingdao.tests import fake_mingdao as F


def test_the_app_lists_its_worksheets_in_every_section(app, fake):
    with app.app_context():
        client = Client(fake.url, F.APP_KEY, F.SIGN)
        data = client.app()
        sheets = [(path, item["id"]) for path, item in worksheets(data)]
        assert sheets == [("跟投", F.PROJECTS), ("跟投", F.PAYMENTS), ("跟投", F.PAYOUTS), ("跟投 / 通讯录", F.OTHER)]  # the page left out
        assert [c["controlId"] for c in client.worksheet(F.PROJECTS)["controls"]][:2] == ["p_code", "p_name"]
    # The app's static credentials go with every call; there is no token to fetch or expire.
    assert fake.queries("/v1/open/app/get") == [{"appKey": F.APP_KEY, "sign": F.SIGN}]
    assert fake.bodies("/v2/open/worksheet/getWorksheetInfo")[0]["sign"] == F.SIGN


def test_rows_are_read_in_pages_of_at_most_1000(app, fake):
    fake.rows[F.PROJECTS] = {f"r{n}": {"rowid": f"r{n}", "p_code": f"C{n}"} for n in range(2300)}
    with app.app_context():
        rows = list(Client(fake.url, F.APP_KEY, F.SIGN).rows(F.PROJECTS))
    assert len(rows) == 2300
    assert [(b["pageSize"], b["pageIndex"]) for b in fake.bodies("/v2/open/worksheet/getFilterRows")] == [
        (1000, 1), (1000, 2), (1000, 3)]


def test_errors_carry_the_services_code_and_message_and_are_classified(app, fake):
    with app.app_context():
        with pytest.raises(MingdaoError) as bad:
            Client(fake.url, F.APP_KEY, "wrong-sign").app()
        assert bad.value.code == 10102 and bad.value.permanent and not bad.value.about_row
        assert "sign" in bad.value.reason and "wrong-sign" not in bad.value.reason
        with pytest.raises(MingdaoError) as row:
            Client(fake.url, F.APP_KEY, F.SIGN).add_row(F.PROJECTS, [{"controlId": "nope", "value": "x"}])
        assert row.value.code == 10002 and row.value.about_row and "控件不存在" in row.value.reason
        fake.fail_next("/v1/open/app/get", {"success": False, "error_code": 99999, "error_msg": "系统繁忙"})
        with pytest.raises(MingdaoError) as busy:
            Client(fake.url, F.APP_KEY, F.SIGN).app()
        assert busy.value.retryable
        fake.answer_late("/v1/open/app/get", 4.0)
        with pytest.raises(MingdaoError) as late:
            Client(fake.url, F.APP_KEY, F.SIGN, timeout=(1, 0.5)).app()
        assert late.value.timeout and late.value.retryable
        fake.rate_limit = 0
        with pytest.raises(MingdaoError) as limited:
            Client(fake.url, F.APP_KEY, F.SIGN).app()
        assert limited.value.status == 429 and limited.value.retryable
