"""The approver knows there is work, and so does everyone else: notices on 送审 and 发起 and on their
decision, each role's 待办 on the home page, a process refused while its figure is missing, and a
缴款通知 sent again only to who has not paid in full."""
import datetime as dt
import re

import sqlalchemy as sa

from core.extensions import db
from core.models import InboxMessage, Notice, NoticeBatch
from core.processes.models import ProcessInstance
from core.tenancy import tenant
from plugins.subscription.tests.test_flow import (add_partner, approve_process, flashes, rows, set_up_plan, subscribe,
                                                  url, world)  # noqa: F401  (world is a fixture)
from tests.conftest import login, post

TODAY = dt.date.today()


def inbox(app, world, username) -> list[tuple[str, str]]:
    with app.app_context(), tenant(world["group"]):
        from core.models import User
        user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
        return [(m.title, m.link) for m in db.session.scalars(
            sa.select(InboxMessage).where(InboxMessage.recipient_id == user_id).order_by(InboxMessage.id))]


def todo(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return page[page.index('id="todo"'):]


def plan_ready_for_review(app, world, kj, hh):
    """资金峰值 approved, two partners subscribed, 测算 and 计算投资明细 done."""
    set_up_plan(app, world, kj)
    approve_process(app, world, kj, hh, "capital_peak")
    add_partner(kj, world, "shiwei", "realestate")
    add_partner(kj, world, "jintao", "realestate")
    subscribe(app, world, "shiwei", "20,000")
    subscribe(app, world, "jintao", "10,000")
    post(kj, url(world, "subscriptions/propose"))
    post(kj, url(world, "subscriptions/detail"))


def review_id_of(hh) -> int:
    return int(re.search(r"/reviews/(\d+)/decide", hh.get("/reviews/").get_data(as_text=True)).group(1))


def test_a_process_whose_figure_is_missing_cannot_start(app, world):
    kj = login(app.test_client(), world["kj"])
    listing = kj.get(f"/processes/projects/{world['project']}").get_data(as_text=True)
    assert "缺少资金峰值，请先填写后再发起" in listing
    assert f'href="/processes/projects/{world["project"]}/start/capital_peak"' not in listing
    refused = post(kj, f"/processes/projects/{world['project']}/start/capital_peak", {"description": "请审批"},
                   content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "缺少资金峰值，请先填写后再发起" in flashes(refused)
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance)) == 0
    set_up_plan(app, world, kj)
    listing = kj.get(f"/processes/projects/{world['project']}").get_data(as_text=True)
    assert "缺少资金峰值" not in listing
    assert f'href="/processes/projects/{world["project"]}/start/capital_peak"' in listing


def test_approvers_are_told_of_reviews_and_processes_and_submitters_of_decisions(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    set_up_plan(app, world, kj)
    assert "暂无待办" in todo(hh)
    # 发起 a process: the business admin is told and sees it among the processes to decide.
    post(kj, f"/processes/projects/{world['project']}/start/capital_peak", {"description": "请审批"},
         content_type="multipart/form-data")
    with app.app_context(), tenant(world["group"]):
        process_id = db.session.scalar(sa.select(ProcessInstance.id))
    assert ("待审批：AAA项目 项目资金峰值", f"/processes/{process_id}") in inbox(app, world, world["hh"])
    waiting = todo(hh)
    assert "待审批流程" in waiting and f'href="/processes/{process_id}"' in waiting and "项目资金峰值" in waiting
    post(hh, f"/processes/{process_id}/decide", {"decision": "approve", "comment": "同意"})
    assert ("AAA项目：项目资金峰值完成", f"/processes/{process_id}") in inbox(app, world, world["kj"])
    assert "待审批流程" not in todo(hh)
    # 送审: the business admin is told; the queue row opens the plan it reviews.
    add_partner(kj, world, "shiwei", "realestate")
    subscribe(app, world, "shiwei", "20,000")
    post(kj, url(world, "subscriptions/propose"))
    post(kj, url(world, "subscriptions/detail"))
    post(kj, url(world, "subscriptions/submit"))
    assert ("待审核：AAA项目 事业合伙方案", "/reviews/") in inbox(app, world, world["hh"])
    waiting = todo(hh)
    assert "方案审核" in waiting and "AAA项目 事业合伙方案" in waiting
    plan_link = f'href="/subscription/projects/{world["project"]}/subscriptions"'
    assert plan_link in hh.get("/reviews/").get_data(as_text=True)
    assert hh.get(f"/subscription/projects/{world['project']}/subscriptions").status_code == 200
    # 退回: the submitter is told and finds the plan among the plans sent back.
    post(hh, f"/reviews/{review_id_of(hh)}/decide", {"decision": "return", "comment": "比例有误"})
    assert ("AAA项目 事业合伙方案：退回", f"/subscription/projects/{world['project']}/subscriptions") in inbox(
        app, world, world["kj"])
    waiting = todo(kj)
    assert "退回的方案" in waiting and "比例有误" in waiting and plan_link in waiting
    assert "方案审核" not in todo(hh)
    with app.app_context(), tenant(world["group"]):
        kinds = set(db.session.scalars(sa.select(NoticeBatch.kind)))
        channels = set(db.session.scalars(sa.select(Notice.channel)))
    assert {"process.started", "process.completed", "review.submitted", "review.decided"} <= kinds
    assert channels == {"inbox"}  # every personal channel of the company: here only the inbox


def test_accountant_sees_processes_to_start_and_payments_to_confirm(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    start = f'href="/processes/projects/{world["project"]}"'
    assert "待发起流程" not in todo(kj)
    set_up_plan(app, world, kj)
    assert "待发起流程" in todo(kj) and "项目资金峰值" in todo(kj) and start in todo(kj)
    approve_process(app, world, kj, hh, "capital_peak")
    assert "待发起流程" not in todo(kj)  # 事业合伙立项 waits for 方案审核
    add_partner(kj, world, "shiwei", "realestate")
    subscribe(app, world, "shiwei", "20,000")
    post(kj, url(world, "subscriptions/propose"))
    post(kj, url(world, "subscriptions/detail"))
    post(kj, url(world, "subscriptions/submit"))
    post(hh, f"/reviews/{review_id_of(hh)}/decide", {"decision": "pass"})
    assert "事业合伙立项" in todo(kj) and start in todo(kj)
    approve_process(app, world, kj, hh, "coinvest_initiation")
    waiting = todo(kj)
    assert "待发起流程" not in waiting
    assert "缴款确认" in waiting and "1 位合伙人未缴清" in waiting
    assert f'href="/subscription/projects/{world["project"]}/payments"' in waiting


def test_partner_home_shows_projects_and_what_waits(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    set_up_plan(app, world, kj)
    approve_process(app, world, kj, hh, "capital_peak")
    add_partner(kj, world, "shiwei", "realestate")
    post(kj, url(world, "partners/notify"), {"test": "0"})
    partner = login(app.test_client(), "shiwei")
    home = partner.get("/").get_data(as_text=True)
    assert "暂无授权项目" not in home and "AAA项目" in home
    waiting = todo(partner)
    assert "认购" in waiting and "请于" in waiting and 'href="/subscription/me"' in waiting
    assert "1 条未读消息" in waiting
    subscribe(app, world, "shiwei", "20,000")
    post(kj, url(world, "subscriptions/propose"))
    post(kj, url(world, "subscriptions/detail"))
    post(kj, url(world, "subscriptions/submit"))
    post(hh, f"/reviews/{review_id_of(hh)}/decide", {"decision": "pass"})
    approve_process(app, world, kj, hh, "coinvest_initiation")
    waiting = todo(partner)
    assert "请于" not in waiting and "缴款" in waiting and "尚有 20,000.00 元未缴" in waiting
    # Someone on no list still gets the old answer.
    assert "暂无授权项目" in login(app.test_client(), "wanglei").get("/").get_data(as_text=True)


def test_payment_notice_again_goes_only_to_who_still_owes(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    plan_ready_for_review(app, world, kj, hh)
    post(kj, url(world, "subscriptions/submit"))
    post(hh, f"/reviews/{review_id_of(hh)}/decide", {"decision": "pass"})
    approve_process(app, world, kj, hh, "coinvest_initiation")
    got = rows(app, world)
    post(kj, url(world, f"payments/{got['shiwei'].id}"), {"paid_on": TODAY.isoformat(),
                                                          "amount": f"{got['shiwei'].investment}"})
    page = post(kj, url(world, "payments/notify"), {"kind": "notice", "test": "0"},
                follow_redirects=True).get_data(as_text=True)
    assert "已向 1 位未缴清的合伙人发送缴款通知；1 位已缴清，未发送" in flashes(page)
    with app.app_context(), tenant(world["group"]):
        sent = db.session.scalars(sa.select(Notice.recipient_id).where(Notice.title == "缴款通知：AAA项目")).all()
    assert sent == [world["partners"]["jintao"]]
    post(kj, url(world, f"payments/{got['jintao'].id}"), {"paid_on": TODAY.isoformat(),
                                                          "amount": f"{got['jintao'].investment}"})
    page = post(kj, url(world, "payments/notify"), {"kind": "notice", "test": "0"},
                follow_redirects=True).get_data(as_text=True)
    assert "没有需要通知的合伙人：2 位已缴清" in flashes(page)


def test_home_todo_of_accountant_and_partner_issues_the_same_queries_for_10_and_1000(app):
    from decimal import Decimal

    from core import roles
    from core.models import Project, ProjectAuthorisation
    from plugins.subscription.models import Initiation, Subscription
    from tests.factories import make_tenant, make_user
    from tests.test_demo_and_queries import queries_for
    users = []
    for code, n in (("SML", 10), ("LRG", 1000)):
        with app.app_context():
            t = make_tenant(code, modules=["subscription"])
            with tenant(t.group.id):
                partner = make_user(f"{code.lower()}_partner", [roles.PARTNER])
                now = dt.datetime(2026, 1, 1)
                projects = [Project(code=f"{code}{i}", name=f"项目{i}", company_id=t.city.id) for i in range(n)]
                db.session.add_all(projects)
                db.session.flush()
                for i, p in enumerate(projects):
                    db.session.add_all([
                        ProjectAuthorisation(user_id=t.accountant.id, project_id=p.id, role=roles.CITY_ACCOUNTANT),
                        Initiation(project_id=p.id, capital_peak=Decimal("1000000.00")),
                        Subscription(project_id=p.id, user_id=partner.id, tier="city", min_amount=Decimal("1"),
                                     max_amount=Decimal("9"), deadline=TODAY + dt.timedelta(days=3),
                                     investment=Decimal("5") if i % 2 else None, token=f"{code}-{i}")])
                    if i % 2:  # 事业合伙立项 done: the investment is owed
                        db.session.add(ProcessInstance(project_id=p.id, kind="coinvest_initiation", state="approved",
                                                       initiator_id=t.accountant.id, started_at=now))
                db.session.commit()
                users.append((t.accountant.username, partner.username))
    for role in (0, 1):
        few = queries_for(app, login(app.test_client(), users[0][role]), "/")
        many = queries_for(app, login(app.test_client(), users[1][role]), "/")
        assert few == many, (role, few, many)
    accountant = todo(login(app.test_client(), users[1][0]))
    assert accountant.count("项目资金峰值") == 20 and accountant.count("1 位合伙人未缴清") == 20
    partner = todo(login(app.test_client(), users[1][1]))
    assert partner.count("请于") + partner.count("尚有 5.00 元未缴") == 40
    assert "项目999" in login(app.test_client(), users[1][1]).get("/").get_data(as_text=True)
