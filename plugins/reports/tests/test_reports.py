"""Every report's totals against figures computed by hand from the fixture, their exports, isolation,
the optional exit stage and constant query counts."""
from contextlib import contextmanager
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from core.extensions import db
from plugins.reports.tests.helpers import add_partners, authorise, make_world, workbook
from tests.conftest import login, post


def money(text):
    return D(text.replace(",", ""))


def footer(page):
    import re
    foot = page[page.rfind("<tfoot>"):page.rfind("</tfoot>")]
    return [c.strip() for c in re.findall(r'<td class="money">(.*?)</td>', foot, re.S)]


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world()


def test_payment_summary_totals(app, world):
    hh = login(app.test_client(), world["hh"])
    page = hh.get("/reports/payments").get_data(as_text=True)
    # 资金峰值, 合伙投资额度, 合伙人数, 认购, 投资, 已缴, 未缴, 已缴清人数
    assert footer(page) == ["143,333,333.33", "1,396,633.33", "4", "218,333.34", "218,333.34", "213,333.33",
                            "5,000.01", "3"]
    rows = workbook(hh.get("/reports/payments?export=1"))
    assert rows[0][0] == "项目名称"
    body, total = rows[1:-1], rows[-1]
    assert total[0] == "合计"
    for index in (3, 5, 6, 7, 8, 9, 10, 11):
        assert sum(D(str(r[index])) for r in body) == D(str(total[index]))
    assert D(str(total[9])) == D("213333.33") and D(str(total[5])) == D("1396633.33")


def test_distribution_summary_totals(app, world):
    hh = login(app.test_client(), world["hh"])
    page = hh.get("/reports/distributions").get_data(as_text=True)
    assert "第1次利润分配" in page and "本金分配" in page
    # two approved batches of the first project; the second project's batch is not approved
    assert footer(page) == ["6", "193,333.33", "-1,567.90", "10.01", "33,333.34", "225,108.78"]
    rows = workbook(hh.get("/reports/distributions?export=1"))
    assert len(rows) == 4 and D(str(rows[-1][-1])) == D("225108.78")
    assert sum(D(str(r[-1])) for r in rows[1:-1]) == D("225108.78")


def test_partner_positions_and_exit(app, world):
    hh = login(app.test_client(), world["hh"])
    page = hh.get("/reports/partners").get_data(as_text=True)
    # 投资, 新合伙人承接 (none here), 已缴, 未缴, 本金, 利息, 其它, 利润, 分配合计, 退出打款
    assert footer(page) == ["218,333.34", "0.00", "213,333.33", "5,000.01", "193,333.33", "-1,567.90", "10.01",
                            "33,333.34", "225,108.78", "100.00"]
    assert "离职" in page and "在投" in page
    searched = hh.get("/reports/partners?q=" + world["bob"]).get_data(as_text=True)
    assert footer(searched)[-2] == "60,777.78"
    rows = report_file(hh, "/reports/partners")
    names = [r[0] for r in rows[1:-1]]
    assert "'=乙+1" in names  # neutralised: a name is never a formula
    exits = hh.get("/reports/exits").get_data(as_text=True)
    assert footer(exits) == ["33,333.33", "100.00"] and "2024-04-01" in exits
    rows = report_file(hh, "/reports/exits")
    assert rows[1][:2] == ["丙", world["carol"]] and rows[1][4] == "离职" and D(str(rows[-1][7])) == D("100.00")


def test_filters_and_dates(app, world):
    hh = login(app.test_client(), world["hh"])
    only_p2 = hh.get(f"/reports/payments?project_id={world['p2']}").get_data(as_text=True)
    assert footer(only_p2)[-3:] == ["20,000.00", "0.00", "1"]
    # payments up to 2020-12-31: alice's 补缴 of 2021 is left out
    dated = hh.get("/reports/payments?date_to=2020-12-31").get_data(as_text=True)
    assert footer(dated)[5] == "183,333.33"
    bad = hh.get("/reports/payments?date_to=2020-13-45&project_id=abc").get_data(as_text=True)
    assert "日期格式应为 YYYY-MM-DD，已忽略" in bad and "筛选条件无效，已忽略" in bad
    company = hh.get(f"/reports/distributions?company_id={world['city']}&date_from=2024-01-01").get_data(as_text=True)
    assert footer(company)[-1] == "33,333.34"


def test_sorting_and_paging(app, world):
    with app.app_context():
        add_partners(world, 60, "pg")
    hh = login(app.test_client(), world["hh"])
    first = hh.get("/reports/partners?sort=paid&desc=1").get_data(as_text=True)
    assert "第 1 / 2 页，共 64 条" in first and first.index("110,000.00") < first.index("1,000.00")
    second = hh.get("/reports/partners?sort=paid&desc=1&page=2").get_data(as_text=True)
    assert footer(first) == footer(second)  # totals over every row, whatever the page


def test_accountants_see_their_projects_only(app, world):
    kj = login(app.test_client(), world["kj"])
    assert footer(kj.get("/reports/payments").get_data(as_text=True))[-3:] == ["193,333.33", "5,000.01", "2"]
    assert f"{'RPT'}二期" not in kj.get("/reports/partners").get_data(as_text=True)
    assert kj.get(f"/reports/partners?project_id={world['p2']}").get_data(as_text=True).count("<tr>") <= 2
    outsider = login(app.test_client(), world["outsider"])
    assert "暂无数据" in outsider.get("/reports/payments").get_data(as_text=True)
    assert len(report_file(outsider, "/reports/partners")) == 2  # header and 合计 only
    partner = login(app.test_client(), world["alice"])
    assert partner.get("/reports/payments").status_code == 403
    assert post(partner, "/reports/tools/partners").status_code == 403
    assert login(app.test_client(), world["hh"]).get("/reports/tools").status_code == 403


def test_another_group_sees_nothing(app, world):
    with app.app_context():
        other = make_world("OTH")
    hh = login(app.test_client(), other["hh"])
    page = hh.get("/reports/partners").get_data(as_text=True)
    assert footer(page)[0] == "218,333.34" and "RPT二期" not in page  # its own figures only
    assert "RPT" not in hh.get("/reports/payments").get_data(as_text=True)


def test_exit_disabled_leaves_its_columns_out(app, world):
    with app.app_context():
        from core.modules import disable
        disable(world["group"], "exit")
        db.session.commit()
    hh = login(app.test_client(), world["hh"])
    page = hh.get("/reports/partners").get_data(as_text=True)
    assert page.count("退出打款金额") == 0 and len(footer(page)) == 8
    assert hh.get("/reports/exits").status_code == 404
    assert "退出员工合伙信息查询表" not in hh.get("/reports/").get_data(as_text=True)
    me = login(app.test_client(), world["carol"]).get("/reports/me").get_data(as_text=True)
    assert "退出打款金额" not in me


def report_file(client, url):
    """Export the report at ``url`` (filters and order in its query string) as a job (inline after the commit
    without Redis), then download the file from the link the report page shows."""
    import re
    code, _sep, query = url.removeprefix("/reports/").partition("?")
    assert post(client, f"/reports/{code}/export" + (f"?{query}" if query else "")).status_code == 302
    link = re.search(r'href="(/reports/exports/\d+\.xlsx)"', client.get(url).get_data(as_text=True)).group(1)
    return workbook(client.get(link))


def export_file(app, client, kind):
    """POST the export (run inline after the commit without Redis), then download it from 辅助工具."""
    import re
    assert post(client, f"/reports/tools/{kind}").status_code == 302
    page = client.get("/reports/tools").get_data(as_text=True)
    link = re.search(r'href="(/reports/exports/\d+\.xlsx)"', page).group(1)
    return link, workbook(client.get(link))


def test_admin_big_export(app, world):
    admin = login(app.test_client(), world["admin"])
    assert "导出事业合伙明细大表" in admin.get("/reports/tools").get_data(as_text=True)
    link, rows = export_file(app, admin, "partners")
    header = rows[0]
    assert header[:3] == ["姓名", "账号", "项目名称"] and "退出打款金额" in header
    assert len(rows) == 6
    paid = header.index("已缴金额")
    assert sum(D(str(r[paid])) for r in rows[1:-1]) == D(str(rows[-1][paid])) == D("213333.33")
    assert "已完成，共 4 行" in admin.get("/reports/tools").get_data(as_text=True)
    # only who asked may download it, in their group company
    with app.app_context():
        other = make_world("OTX")
        from core.tenancy import tenant
        from core.models import User
        from tests.factories import make_user
        from core import roles
        with tenant(world["group"]):
            make_user("rpt_admin2", [roles.ADMIN])
            db.session.commit()
    assert login(app.test_client(), "rpt_admin2").get(link).status_code == 404
    assert login(app.test_client(), other["admin"]).get(link).status_code == 404
    assert login(app.test_client(), world["hh"]).get(link).status_code == 404
    assert login(app.test_client(), world["alice"]).get(link).status_code == 403


def test_payments_and_kpi_exports(app, world):
    admin = login(app.test_client(), world["admin"])
    _link, rows = export_file(app, admin, "payments")
    assert rows[0][:4] == ["项目名称", "城市公司", "姓名", "账号"]
    assert len(rows) == 8  # six payments (one reversed, listed and marked), header and 合计
    assert "已冲销" in [r[-1] for r in rows] and D(str(rows[-1][6])) == D("213333.33")
    _link, rows = export_file(app, admin, "kpi")
    assert "净利润·立项" in rows[0] and not any("动态" in str(h) for h in rows[0])  # 披露 not enabled
    with app.app_context():
        from core.modules import enable
        from core.tenancy import tenant
        import datetime as dt
        from core.models.user import utcnow
        from plugins.disclosure.models import ProfitVersion
        enable(world["group"], "disclosure", actor="test")
        with tenant(world["group"]):
            db.session.add_all([ProfitVersion(project_id=world["p1"], number=1, as_of=dt.date(2024, 6, 30),
                                                  net_profit=D("1.00"), created_at=utcnow()),
                                ProfitVersion(project_id=world["p1"], number=2, as_of=dt.date(2024, 12, 31),
                                                  net_profit=D("7654321.09"), created_at=utcnow())])
            db.session.commit()
    _link, rows = export_file(app, admin, "kpi")
    header = rows[0]
    p1 = next(r for r in rows if r[0] == "RPT项目")
    assert D(str(p1[header.index("净利润·动态")])) == D("7654321.09") and p1[header.index("动态数据截至")] == "2024-12-31"


@contextmanager
def counted(app):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_query_counts_do_not_grow_with_partners(app, world):
    urls = ["/reports/payments", "/reports/distributions", "/reports/partners", "/reports/exits",
            "/reports/tracking", "/reports/realtime", "/reports/payments?export=1",
            "POST /reports/partners/export"]  # the job runs inline, in the request, without Redis
    with app.app_context():
        add_partners(world, 10, "few")
    hh = login(app.test_client(), world["hh"])

    def get(url):
        if url.startswith("POST "):
            return post(hh, url.removeprefix("POST ")).status_code == 302
        return hh.get(url).status_code == 200
    for url in urls:  # warm the per-process caches (enabled modules) first
        get(url)
    counts = []
    for url in urls:
        with counted(app) as statements:
            assert get(url)
        counts.append(len(statements))
    with app.app_context():
        add_partners(world, 990, "many")
    assert hh.get("/").status_code == 200  # the sign-in loads the user again once: users were added
    for url, before in zip(urls, counts):
        with counted(app) as statements:
            assert get(url)
        assert len(statements) == before, url


def test_realtime_summary_and_charts(app, world):
    hh = login(app.test_client(), world["hh"])
    page = hh.get("/reports/realtime").get_data(as_text=True)
    # 项目数, 合伙人数, 投资, 已缴, 本金, 利息, 其它, 利润, 分配合计, 退出打款
    assert footer(page) == ["2", "4", "218,333.34", "213,333.33", "193,333.33", "-1,567.90", "10.01", "33,333.34",
                            "225,108.78", "100.00"]
    assert page.count("<svg") == 2 and 'data-value="225108.78"' in page  # cumulative returned, and per company
    assert 'data-value="213333.33"' in page and "https://" not in page.split("<svg", 1)[1].split("</svg>")[0]
    rows = workbook(hh.get("/reports/realtime?export=1"))
    assert D(str(rows[-1][10])) == D("225108.78")


def test_work_tracking(app, world):
    hh = login(app.test_client(), world["hh"])
    page = hh.get("/reports/tracking").get_data(as_text=True)
    assert "事业合伙立项" in page and "待发起" in page and "离职退休流程" in page
    assert len(workbook(hh.get("/reports/tracking?export=1"))) > 2
    with app.app_context():
        from core.modules import disable
        disable(world["group"], "exit")
        db.session.commit()
    assert "离职退休流程" not in hh.get("/reports/tracking").get_data(as_text=True)


def _queued(app):
    """A flushed test Redis, and an app like ``app`` that hands its jobs to RQ there."""
    from tests.conftest import make_app as build
    from tests.rq_helpers import REDIS_URL, redis_client
    connection = redis_client()
    connection.flushdb()
    return connection, build(plugins=[m.package for m in app.extensions["gentou"].installed()], REDIS_URL=REDIS_URL,
                             REPORT_DIR=app.config["REPORT_DIR"])


def test_export_through_a_real_worker(app, world):
    """The export queued on Redis: the page polls 排队中, an RQ worker writes 1,012 rows with progress, then
    the file downloads with the same totals as the report page."""
    import re
    from core.worker import make_worker
    connection, queued = _queued(app)
    with app.app_context():
        add_partners(world, 1008, "rq")
    admin = login(queued.test_client(), world["admin"])
    assert post(admin, "/reports/tools/partners").status_code == 302
    page = admin.get("/reports/tools").get_data(as_text=True)
    progress = re.search(r'data-progress-url="([^"]+)"', page).group(1)
    assert admin.get(progress).get_json() == {"text": "排队中", "finished": False}
    assert login(queued.test_client(), world["hh"]).get(progress).status_code == 404  # not theirs
    assert login(queued.test_client(), world["alice"]).get(progress).status_code == 403
    make_worker(queued, connection).work(burst=True, with_scheduler=False)
    assert admin.get(progress).get_json() == {"text": "已完成，共 1012 行", "finished": True}
    link = re.search(r'href="(/reports/exports/\d+\.xlsx)"', admin.get("/reports/tools").get_data(as_text=True)).group(1)
    rows = workbook(admin.get(link))
    assert len(rows) == 1014
    paid = rows[0].index("已缴金额")
    report = login(app.test_client(), world["hh"]).get("/reports/partners").get_data(as_text=True)
    assert money(footer(report)[2]) == D(str(rows[-1][paid])) == sum(D(str(r[paid])) for r in rows[1:-1])
    connection.flushdb()


def test_a_report_of_partner_rows_exported_through_a_real_worker(app, world):
    """员工合伙信息查询表 has a row per partner and project: its export is a job too, with the page's search and
    order. Queued on Redis, the report page polls 排队中; an RQ worker writes it; the page then links the file:
    the page's rows in the page's order, and its totals. ``?export=1`` no longer builds a file in the request."""
    import re
    from core.worker import make_worker
    connection, queued = _queued(app)
    with app.app_context():
        add_partners(world, 1008, "rq")
    hh = login(queued.test_client(), world["hh"])
    url = "/reports/partners?q=rq&sort=name&desc=1"
    assert hh.get(url + "&export=1").mimetype == "text/html"
    response = post(hh, "/reports/partners/export?q=rq&sort=name&desc=1")
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    page = hh.get(url).get_data(as_text=True)
    assert "已开始导出员工合伙信息查询表，完成后可在下方下载" in page
    progress = re.search(r'data-progress-url="([^"]+)"', page).group(1)
    assert hh.get(progress).get_json() == {"text": "排队中", "finished": False}
    assert login(queued.test_client(), world["kj"]).get(progress).status_code == 404  # not theirs
    make_worker(queued, connection).work(burst=True, with_scheduler=False)
    assert hh.get(progress).get_json() == {"text": "已完成，共 1008 行", "finished": True}
    page = hh.get(url).get_data(as_text=True)
    link = re.search(r'href="(/reports/exports/\d+\.xlsx)"', page).group(1)
    response = hh.get(link)
    assert "filename*=UTF-8''%E5%91%98%E5%B7%A5" in response.headers["Content-Disposition"]  # 员工合伙信息查询表.xlsx
    rows = workbook(response)
    assert len(rows) == 1010 and rows[-1][0] == "合计"
    shown = re.findall(r"<tr><td[^>]*>([^<]*)</td>", page.split("table-bordered", 1)[1])[:50]
    assert [r[0] for r in rows[1:51]] == shown and len(shown) == 50  # the page's order
    assert [money(t) for t in footer(page)[:4]] == [D(str(rows[-1][rows[0].index(label)])) for label in
                                                  ("投资金额", "新合伙人承接", "已缴金额", "未缴金额")]
    assert login(queued.test_client(), world["kj"]).get(link).status_code == 404
    connection.flushdb()


def test_search_takes_wildcards_literally(app, world):
    hh = login(app.test_client(), world["hh"])
    assert "暂无数据" in hh.get("/reports/partners?q=%25").get_data(as_text=True)
    assert "暂无数据" in hh.get("/reports/partners?q=乙_1").get_data(as_text=True)  # "_" is no wildcard
    assert footer(hh.get("/reports/partners?q=%3D乙").get_data(as_text=True))[0] == "55,000.01"
