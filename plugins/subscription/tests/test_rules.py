"""The stage's rules: cent-exact pro rata, the Excel import, tenancy on every route, query counts."""
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from core import roles
from core.extensions import db
from core.money import split
from core.tenancy import tenant
from plugins.subscription.models import Subscription
from plugins.subscription.services import allocate
from tests.conftest import login, post
from tests.factories import make_tenant, make_user
from tests.test_demo_and_queries import QueryCounter

D = Decimal


def test_pro_rata_with_a_pot_that_does_not_divide_evenly():
    for subscribed, pot in [([D("1000.00")] * 3, D("1000.00")),
                            ([D("20000.00"), D("15000.00"), D("10000.01")], D("33100.00")),
                            ([D("0.01"), D("0.01"), D("0.01")], D("0.02")),
                            ([D("333333.33"), D("333333.33"), D("333333.34")], D("777777.77"))]:
        shares = allocate(subscribed, pot)
        assert sum(shares) == pot, (subscribed, pot)
        assert all(s <= sub for s, sub in zip(shares, subscribed))
        assert all(s == s.quantize(D("0.01")) for s in shares)
    assert allocate([D("1000.00")] * 3, D("1000.00")) == [D("333.34"), D("333.33"), D("333.33")]
    assert allocate([D("10.00"), D("20.00")], D("100.00")) == [D("10.00"), D("20.00")]  # under the pot: as subscribed
    assert split(D("0.00"), [D("1"), D("2")]) == [D("0.00"), D("0.00")]


@pytest.fixture
def world(app):
    with app.app_context():
        a = make_tenant("AAA", modules=["subscription"])
        b = make_tenant("BBB", modules=["subscription"])
        with tenant(a.group.id):
            for name in ("shiwei", "jintao"):
                make_user(name, [roles.PARTNER])
            db.session.commit()
        return {"group": a.group.id, "project": a.project.id, "kj": a.accountant.username, "b_kj": b.accountant.username,
                "b_project": b.project.id, "b_group": b.group.id, "b_admin": b.admin.username}


def workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["账号", "姓名", "层级", "认购下限", "认购上限", "截至日期"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, world, data: bytes):
    return post(client, f"/subscription/projects/{world['project']}/partners/import",
                {"file": (io.BytesIO(data), "合伙名单.xlsx")}, content_type="multipart/form-data")


def count(app, world):
    with app.app_context(), tenant(world["group"]):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Subscription))


def test_excel_import_reports_every_bad_row_and_imports_nothing(app, world):
    kj = login(app.test_client(), world["kj"])
    bad = workbook([["shiwei", "史伟", "置业集团", 10000, 100000, dt.date(2030, 1, 31)],
                    ["nobody", "无名", "城市公司", "5,000", "50,000", "2030-01-31"],
                    ["jintao", "金涛", "总部", 10000, 20000, "2030-01-31"],
                    ["jintao", "金涛", "城市公司", 30000, 20000, "2030-01-31"],
                    ["jintao", "金涛", "城市公司", "abc", 20000, "2030-01-31"],
                    ["jintao", "金涛", "城市公司", 10000, 20000, "明天"]])
    response = upload(kj, world, bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "未导入任何数据" in page
    problems = re.findall(r"<li>(第\d+行：.*?)</li>", page)
    assert [p.split("：")[0] for p in problems] == ["第3行", "第4行", "第5行", "第6行", "第7行"]
    assert "没有账号为 nobody 的合伙人" in problems[0] and "层级“总部”无效" in problems[1]
    assert "认购下限须不小于 0 且不大于认购上限" in problems[2] and "不是有效的数字" in problems[3]
    assert "截至日期“明天”不是有效的日期" in problems[4]
    assert count(app, world) == 0
    good = workbook([["shiwei", "史伟", "置业集团", 10000, 100000, dt.date(2030, 1, 31)],
                     ["jintao", "金涛", "城市公司", "5,000.50", "50,000", "2030-01-31"]])
    assert upload(kj, world, good).status_code == 302
    assert count(app, world) == 2
    # The exported template holds the list and imports back unchanged (test_partner_list_excel.py).
    exported = kj.get(f"/subscription/projects/{world['project']}/partners/template.xlsx")
    sheet = load_workbook(io.BytesIO(exported.data)).active
    assert [c.value for c in sheet[3]] == ["jintao", "jintao", "城市公司", "5000.50", "50000.00", "2030-01-31"]
    assert upload(kj, world, exported.data).status_code == 302
    assert "不是有效的 Excel" in upload(kj, world, b"not a workbook").get_data(as_text=True)
    assert count(app, world) == 2


def test_every_route_of_the_stage_is_404_for_another_group(app, world):
    kj = login(app.test_client(), world["kj"])
    post(kj, f"/subscription/projects/{world['project']}/partners", {
        "username": "shiwei", "tier": "city", "min_amount": "1", "max_amount": "2", "deadline": "2030-01-01"})
    with app.app_context(), tenant(world["group"]):
        subscription = db.session.scalar(sa.select(Subscription))
        from core import outbox
        batch = outbox.notify(world["group"], [subscription.user_id], "t", project_id=world["project"])
        db.session.commit()
        ids = {"project_id": world["project"], "subscription_id": subscription.id, "notice_batch_id": batch.id,
               "token": subscription.token, "payment_id": 1, "user_id": subscription.user_id}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("subscription.") and r.arguments]
    assert len(rules) >= 15
    b_client = login(app.test_client(), world["b_kj"])
    for rule in rules:
        path = rule.build(ids, append_unknown=False)[1]
        if "GET" in rule.methods:
            assert b_client.get(path).status_code == 404, path
        if "POST" in rule.methods:
            assert post(b_client, path, {"amount": "1", "investment": "1"}).status_code == 404, path
    assert count(app, world) == 1


def test_subscription_detail_issues_the_same_queries_for_10_and_1000_partners(app, world):
    with app.app_context():
        for group_id, project_id, n in ((world["group"], world["project"], 10),
                                        (world["b_group"], world["b_project"], 1000)):
            with tenant(group_id):
                from tests.factories import _HASH
                from core.models import User
                users = [User(username=f"qc{group_id}_{i}", name=f"合伙人{i}", password_hash=_HASH) for i in range(n)]
                db.session.add_all(users)
                db.session.flush()
                db.session.add_all([Subscription(project_id=project_id, user_id=u.id, tier=("realestate", "city")[i % 2],
                                                 min_amount=D("1"), max_amount=D("9"), deadline=dt.date(2030, 1, 1),
                                                 subscribed_amount=D("5"), investment=D("5"), token=f"t{group_id}-{i}")
                                    for i, u in enumerate(users)])
                db.session.commit()
        engine = db.engine
    counts = []
    for username, project_id in ((world["kj"], world["project"]), (world["b_kj"], world["b_project"])):
        client = login(app.test_client(), username)
        for page in ("subscriptions", "payments", "partners"):
            client.get(f"/subscription/projects/{project_id}/{page}")
        with QueryCounter(engine) as counter:
            for page in ("subscriptions", "payments", "partners"):
                assert client.get(f"/subscription/projects/{project_id}/{page}").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_the_partner_s_subscriptions_cost_the_same_queries_for_1_and_6_projects(app, world):
    """One query says which projects are approved (确认投资金额 shown), not one per project."""
    from core.models import Project, User
    from core.processes.models import ProcessInstance
    with app.app_context(), tenant(world["group"]):
        city = db.session.get(Project, world["project"]).company_id
        projects = [Project(code=f"AAA-M{i}", name=f"多项目{i}", company_id=city) for i in range(5)]
        db.session.add_all(projects)
        db.session.flush()
        partners = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(["shiwei", "jintao"])))}
        rows = [("shiwei", world["project"])] + [("jintao", p.id) for p in [db.session.get(Project, world["project"])] + projects]
        db.session.add_all(Subscription(project_id=project_id, user_id=partners[who].id, tier="city", min_amount=D("1"),
                                        max_amount=D("9"), deadline=dt.date(2030, 1, 1), subscribed_amount=D("5"),
                                        investment=D("4.00"), token=f"m{who}{project_id}") for who, project_id in rows)
        started = dt.datetime(2026, 1, 1)
        db.session.add_all(ProcessInstance(project_id=p.id, kind="coinvest_initiation", state=state,
                                           initiator_id=partners["jintao"].id, started_at=started)
                           for p, state in zip(projects, ("approved", "rejected", "approved", "reset", "running")))
        db.session.commit()
        engine = db.engine
    counts = {}
    for who in ("shiwei", "jintao"):
        client = login(app.test_client(), who)
        client.get("/subscription/me")
        with QueryCounter(engine) as counter:
            page = client.get("/subscription/me").get_data(as_text=True)
        counts[who] = counter.count
    assert counts["shiwei"] == counts["jintao"], counts
    assert page.count("确认投资金额") == 2 and page.count("多项目") == 5


def test_demo_adds_the_stage_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["gentou", "demo"]).exit_code == 0
    with app.app_context():
        first = db.session.scalar(sa.select(sa.func.count()).select_from(Subscription))
    assert runner.invoke(args=["gentou", "demo"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == first == 5
    page = login(app.test_client(), "shiwei", "gentou-demo-2026").get("/subscription/me").get_data(as_text=True)
    assert "泰安-锦艺誉峯" in page and "746,428.00" in page
