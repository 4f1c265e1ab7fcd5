"""立项 → 认购 → 缴款 through the web, as each role would do it."""
import datetime as dt
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core import roles
from core.extensions import db
from core.models import AuditLog, InboxMessage, Notice
from core.processes.models import ProcessInstance
from core.tenancy import tenant
from plugins.subscription.events import PaymentConfirmed, SubscriptionConfirmed
from plugins.subscription.models import Payment, Subscription
from tests.conftest import form_version, login, post, save
from tests.factories import make_tenant, make_user
from tests.sample_plugins.event_recorder.hooks import EVENTS

TODAY = dt.date.today()


@pytest.fixture
def world(app):
    with app.app_context():
        t = make_tenant("AAA", modules=["subscription", "event_recorder"])
        with tenant(t.group.id):
            partners = {name: make_user(name, [roles.PARTNER], name=label) for name, label in
                        (("shiwei", "史伟"), ("jintao", "金涛"), ("wanglei", "王磊"), ("liuqiao", "刘乔"))}
            db.session.commit()
        return {"group": t.group.id, "project": t.project.id, "kj": t.accountant.username, "hh": t.business_admin.username,
                "admin": t.admin.username,
                "partners": {k: v.id for k, v in partners.items()}}


def url(world, page):
    return f"/subscription/projects/{world['project']}/{page}"


def flashes(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'role="alert">(.*?)<button', page, re.S)]


def rows(app, world):
    with app.app_context(), tenant(world["group"]):
        return {s.user.username: s for s in db.session.scalars(sa.select(Subscription)
                                                              .options(sa.orm.joinedload(Subscription.user)))}


def set_up_plan(app, world, kj, peak="1,000,000.00", ratios=None):
    ratios = ratios or {"realestate": "3.310", "city": "0.600"}
    data = {"capital_peak": peak, "financing_ratio": "40.000", "financing_rate": "6.000", "payee_name": "泰安项目公司",
            "payee_bank": "建设银行泰安分行", "payee_account": "3705 0166 0001", "payment_deadline": "2030-01-31",
            **{f"ratio-{t}": "0" for t in ("holding", "realestate", "city", "other")},
            **{f"ratio-{t}": v for t, v in ratios.items()}}
    response = save(kj, url(world, "peak"), data)
    assert response.status_code == 302, flashes(response.get_data(as_text=True))


def add_partner(kj, world, username, tier, low="10,000", high="100,000", deadline=None):
    return post(kj, url(world, "partners"), {"username": username, "tier": tier, "min_amount": low, "max_amount": high,
                                             "deadline": (deadline or TODAY + dt.timedelta(days=7)).isoformat()})


def subscribe(app, world, username, amount):
    client = login(app.test_client(), username)
    token = rows(app, world)[username].token
    return save(client, f"/subscription/me/{token}", {"amount": amount}, page="/subscription/me",
                follow_redirects=True).get_data(as_text=True)


def approve_process(app, world, kj, hh, code):
    response = post(kj, f"/processes/projects/{world['project']}/start/{code}", {"description": "请审批"},
                    content_type="multipart/form-data")
    assert response.status_code == 302, flashes(kj.get(f"/processes/projects/{world['project']}").get_data(as_text=True))
    with app.app_context(), tenant(world["group"]):
        process_id = db.session.scalar(sa.select(ProcessInstance.id).where(ProcessInstance.kind == code))
    post(hh, f"/processes/{process_id}/decide", {"decision": "approve", "comment": "同意"})


def open_project(app, world) -> int:
    """项目开通 as the admin does it: a new open project, and the accountant authorised on it."""
    admin = login(app.test_client(), world["admin"])
    with app.app_context(), tenant(world["group"]):
        from core.models import Company, User
        city_id = db.session.scalar(sa.select(Company.id).where(Company.kind == "city"))
        kj_id = db.session.scalar(sa.select(User.id).where(User.username == world["kj"]))
    assert post(admin, "/admin/projects/new", {"code": "TA-JYYF", "name": "泰安-锦艺誉峯", "company_id": str(city_id),
                                               "land_acquired_on": "2019-03-21", "batch_id": "0", "is_open": "y",
                                               "operator": "lead", "acquisition_method": "招拍挂"}).status_code == 302
    with app.app_context(), tenant(world["group"]):
        from core.models import Project
        project_id = db.session.scalar(sa.select(Project.id).where(Project.code == "TA-JYYF"))
    assert save(admin, f"/admin/authorisations/{project_id}", {roles.CITY_ACCOUNTANT: [str(kj_id)]}).status_code == 302
    return project_id


def test_whole_flow_from_initiation_to_payment(app, world):
    world["project"] = open_project(app, world)
    kj = login(app.test_client(), world["kj"])
    hh = login(app.test_client(), world["hh"])
    # 立项: 基础信息, 股权合作 (must add up to 100 %), 关键节点, 资金峰值 and the tiers' ratios.
    assert save(kj, url(world, "initiation"), {"project_company": "泰安锦艺置业有限公司", "total_investment": "1,200,000,000",
                                               "initiated_on": "2019-03-21", "development_months": "36",
                                               "sales_revenue": "1,500,000,000.00", "net_profit": "120,000,000",
                                               "net_margin": "8.000", "irr": "15.500", "payback_months": "18"}
                ).status_code == 302
    page = post(kj, url(world, "shareholders"), {"rows": "2", "name-0": "锦艺置业", "ours-0": "1", "stake-0": "51",
                                                 "name-1": "合作方甲", "ours-1": "0", "stake-1": "40"}).get_data(as_text=True)
    assert "持股比例合计须为 100%，现为 91.000%" in page
    assert save(kj, url(world, "shareholders"), {"rows": "2", "name-0": "锦艺置业", "ours-0": "1", "stake-0": "51",
                                                 "name-1": "合作方甲", "ours-1": "0", "stake-1": "49"}).status_code == 302
    assert save(kj, url(world, "milestones"), {"rows": "1", "name-0": "开盘", "planned-0": "2019-09-01"}).status_code == 302
    set_up_plan(app, world, kj)
    peak_page = kj.get(url(world, "peak")).get_data(as_text=True)
    assert "33,100.00" in peak_page and "6,000.00" in peak_page and "39,100.00" in peak_page and "3.910%" in peak_page
    approve_process(app, world, kj, hh, "capital_peak")
    # 合伙名单 and 认购通知 (test message first).
    for username in ("shiwei", "jintao", "wanglei"):
        assert add_partner(kj, world, username, "realestate").status_code == 302
    assert add_partner(kj, world, "liuqiao", "city", low="5,500", high="6,000").status_code == 302
    post(kj, url(world, "partners/notify"), {"test": "1"})
    post(kj, url(world, "partners/notify"), {"test": "0"})
    with app.app_context(), tenant(world["group"]):
        titles = db.session.scalars(sa.select(InboxMessage.title)).all()
    assert titles.count("认购通知：泰安-锦艺誉峯") == 4 and titles.count("【测试】认购通知：泰安-锦艺誉峯") == 1
    # Partners subscribe in the personal centre.
    for username, amount in (("shiwei", "20,000"), ("jintao", "15,000"), ("wanglei", "10,000.01")):
        assert "已提交认购" in subscribe(app, world, username, amount)
    assert "认购金额须在 5,500.00 至 6,000.00 之间" in subscribe(app, world, "liuqiao", "5,000.00")
    assert "已提交认购 6,000.00 元" in subscribe(app, world, "liuqiao", "6,000")
    # 测算: the realestate tier (45,000.01) exceeds its pot (33,100.00) and is scaled back cent-exact.
    post(kj, url(world, "subscriptions/propose"))
    got = rows(app, world)
    realestate = [got[u].investment for u in ("shiwei", "jintao", "wanglei")]
    assert sum(realestate) == Decimal("33100.00")
    assert realestate == [Decimal("14711.11"), Decimal("11033.33"), Decimal("7355.56")]
    assert got["liuqiao"].investment == Decimal("6000.00")
    with app.app_context(), tenant(world["group"]):
        [proposed] = db.session.scalars(sa.select(AuditLog).where(AuditLog.record_table == "subscription_subscription",
                                                                  AuditLog.summary.like("%测算"))).all()
    assert sorted(v["investment"] for v in proposed.after.values()) == ["11033.33", "14711.11", "6000.00", "7355.56"]
    assert all(v == {"investment": None} for v in proposed.before.values()) and proposed.actor == world["kj"]
    # An edit outside the bounds, or beyond the pot, is refused; one within both is kept.
    page = post(kj, url(world, f"subscriptions/{got['jintao'].id}"), {"investment": "9,000"},
                follow_redirects=True).get_data(as_text=True)
    assert "投资金额 9,000.00 超出认购上下限" in page
    page = post(kj, url(world, f"subscriptions/{got['jintao'].id}"), {"investment": "12,000"},
                follow_redirects=True).get_data(as_text=True)
    assert "置业集团合计 34,066.67 超过该层级额度 33,100.00" in page
    save(kj, url(world, f"subscriptions/{got['jintao'].id}"), {"investment": "11,000"}, page=url(world, "subscriptions"))
    assert rows(app, world)["jintao"].investment == Decimal("11000.00")
    # 计算投资明细, then 送审; the figures lock.
    post(kj, url(world, "subscriptions/detail"))
    got = rows(app, world)
    assert (got["shiwei"].financed, got["shiwei"].self_funded) == (Decimal("5884.44"), Decimal("8826.67"))
    assert got["shiwei"].share == Decimal("1.471111")
    post(kj, url(world, "subscriptions/submit"))
    page = post(kj, url(world, f"subscriptions/{got['jintao'].id}"), {"investment": "11,500"},
                follow_redirects=True).get_data(as_text=True)
    assert "需业务管理员解锁后才能修改" in page, flashes(page)
    assert "认购方案已送审，不能再修改认购" in subscribe(app, world, "shiwei", "21,000")
    assert rows(app, world)["shiwei"].subscribed_amount == Decimal("20000.00")
    # The business admin reviews; then 事业合伙立项 runs and confirms every investment.
    queue = hh.get("/reviews/").get_data(as_text=True)
    assert "泰安-锦艺誉峯 事业合伙方案" in queue
    review_id = int(re.search(r"/reviews/(\d+)/decide", queue).group(1))
    post(hh, f"/reviews/{review_id}/decide", {"decision": "pass", "comment": "同意"})
    approve_process(app, world, kj, hh, "coinvest_initiation")
    confirmed = [e for e in EVENTS if isinstance(e, SubscriptionConfirmed)]
    assert sorted(e.investment for e in confirmed) == ["11000.00", "14711.11", "6000.00", "7355.56"]
    # 缴款: notice, a partial payment, a full one, an overpayment; 催缴 goes only to who still owes.
    post(kj, url(world, "payments/notify"), {"kind": "notice", "test": "0"})
    got = rows(app, world)
    post(kj, url(world, f"payments/{got['shiwei'].id}"), {"paid_on": TODAY.isoformat(), "amount": "10,000"})
    post(kj, url(world, f"payments/{got['shiwei'].id}"), {"paid_on": TODAY.isoformat(), "amount": "4,711.11"})
    post(kj, url(world, f"payments/{got['jintao'].id}"), {"paid_on": TODAY.isoformat(), "amount": "5,000"})
    post(kj, url(world, f"payments/{got['liuqiao'].id}"), {"paid_on": TODAY.isoformat(), "amount": "6,000.01"})
    page = kj.get(url(world, "payments")).get_data(as_text=True)
    for text in ("已缴清", "部分缴款", "多缴", "未缴款", "39,066.67", "25,711.12", "2 / 4"):
        assert text in page, text
    post(kj, url(world, "payments/notify"), {"kind": "reminder", "test": "0"})
    with app.app_context(), tenant(world["group"]):
        reminded = db.session.scalars(sa.select(Notice.recipient_id).where(Notice.title == "催缴通知：泰安-锦艺誉峯")).all()
        paid_total = db.session.scalar(sa.select(sa.func.sum(Payment.amount)))
        audited = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                                    .where(AuditLog.record_table == "subscription_payment"))
    assert sorted(reminded) == sorted([world["partners"]["jintao"], world["partners"]["wanglei"]])
    assert paid_total == Decimal("25711.12") and audited == 4
    assert [e.paid_total for e in EVENTS if isinstance(e, PaymentConfirmed)] == ["10000.00", "14711.11", "5000.00",
                                                                                "6000.01"]
    # The partner sees their confirmed investment, what they owe and what they paid.
    me = login(app.test_client(), "jintao").get("/subscription/me").get_data(as_text=True)
    assert "11,000.00" in me and "5,000.00" in me and "6,000.00" in me and "部分缴款" in me


def test_deadline_and_bounds_refusals_save_nothing(app, world):
    kj = login(app.test_client(), world["kj"])
    set_up_plan(app, world, kj)
    add_partner(kj, world, "shiwei", "realestate", deadline=TODAY - dt.timedelta(days=1))
    add_partner(kj, world, "jintao", "realestate")
    assert "认购已截止" in subscribe(app, world, "shiwei", "20,000")
    assert "认购金额须在 10,000.00 至 100,000.00 之间" in subscribe(app, world, "jintao", "100,000.01")
    assert "不是有效的数字" in subscribe(app, world, "jintao", "二万")
    assert "最多 2 位小数" in subscribe(app, world, "jintao", "20000.001")
    got = rows(app, world)
    assert got["shiwei"].subscribed_amount is None and got["jintao"].subscribed_amount is None
    assert "已提交认购" in subscribe(app, world, "jintao", "100,000")
    assert "已提交认购 50,000.00" in subscribe(app, world, "jintao", "50000")  # may change until the deadline
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)
                                 .where(Subscription.user_id == world["partners"]["jintao"])) == 1


def test_partner_list_bad_input(app, world):
    kj = login(app.test_client(), world["kj"])
    page = add_partner(kj, world, "nobody", "realestate").get_data(as_text=True)
    assert "没有账号为 nobody 的合伙人" in page
    page = add_partner(kj, world, world["hh"], "realestate").get_data(as_text=True)
    assert f"没有账号为 {world['hh']} 的合伙人" in page  # staff are not partners
    page = add_partner(kj, world, "shiwei", "realestate", low="50,000", high="10,000").get_data(as_text=True)
    assert "认购上限不能小于认购下限" in page
    add_partner(kj, world, "shiwei", "realestate")
    assert "史伟 已在合伙名单中" in add_partner(kj, world, "shiwei", "city").get_data(as_text=True)
    assert len(rows(app, world)) == 1


def test_partner_sees_only_their_own(app, world):
    kj = login(app.test_client(), world["kj"])
    set_up_plan(app, world, kj)
    add_partner(kj, world, "shiwei", "realestate")
    token = rows(app, world)["shiwei"].token
    other = login(app.test_client(), "jintao")
    assert "泰安" not in other.get("/subscription/me").get_data(as_text=True)
    assert "您暂未被列入任何项目的合伙名单" in other.get("/subscription/me").get_data(as_text=True)
    assert post(other, f"/subscription/me/{token}", {"amount": "20000"}).status_code == 404
    assert other.get(url(world, "subscriptions")).status_code == 403
    assert rows(app, world)["shiwei"].subscribed_amount is None
