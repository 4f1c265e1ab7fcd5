"""The exit as the accountant runs it: refused before the 测算 and while another exit runs, approved, 合伙投资
过户给平台公司, 登记退出打款; the marks and the platform company in the tables, a distribution after the exit, the
platform company's stake taken over by two new partners, and the exited partner's read access in 个人中心."""
import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import AuditLog
from core.modules import hooks_for
from core.tenancy import tenant
from plugins.distribution.models import DistributionLine
from plugins.distribution.tests.helpers import flashes, new_batch
from plugins.exit.events import PartnerExited, StakeTransferred
from plugins.exit.models import PAID, TRANSFERRED, PartnerExit, PlatformHolding
from plugins.exit.tests.helpers import calculate, decide, exit_world, page, start
from tests.conftest import STALE, login, post, save
from tests.sample_plugins.event_recorder.hooks import EVENTS


@pytest.fixture
def world(app):
    with app.app_context():
        return exit_world()


def _exit(app, world, username) -> PartnerExit:
    with app.app_context(), tenant(world["group"]):
        found = db.session.scalar(sa.select(PartnerExit).where(PartnerExit.user_id == world["users"][username])
                                  .order_by(PartnerExit.id.desc()))
        db.session.expunge(found)
        return found


def _holding(app, world) -> Decimal | None:
    with app.app_context(), tenant(world["group"]):
        return db.session.scalar(sa.select(PlatformHolding.amount))


def test_the_process_is_refused_before_the_calculation_and_while_another_exit_runs(app, client, world):
    kj = login(client, world["kj"])
    # From 流程/项目流程 without a 测算 (or with one of no such number): refused with the reason.
    for number in ("", "999"):
        response = post(kj, f"/processes/projects/{world['project']}/start/exit_partner",
                        {"description": "x", "calculation": number}, content_type="multipart/form-data")
        html = response.get_data(as_text=True) if response.status_code == 200 else \
            kj.get(f"/processes/projects/{world['project']}").get_data(as_text=True)
        assert "离职退休测算" in html and ("须先完成" in html or "请填写" in html)
    first, _ = calculate(kj, world, "shiwei", "resign", "2025-02-28")
    second, _ = calculate(kj, world, "shiwei", "retire", "2025-03-31", net_profit="0")
    assert start(kj, world, first) == ["已发起离职退休流程"]
    assert start(kj, world, second) == ["史伟 的另一退出流程正在审批中"]
    assert calculate(kj, world, "shiwei", "resign", "2025-04-30")[1] == ["史伟 的另一退出流程正在审批中"]
    assert start(kj, world, first) == ["该测算已发起过退出流程，请重新测算"]
    decide(app, world, login(app.test_client(), world["hh"]), approve=False)
    assert start(kj, world, second) == ["已发起离职退休流程"]  # the rejected one no longer runs


def test_transfer_payout_marks_distribution_and_read_access(app, client, world):
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    # A principal batch made before the exit: 史伟 is in it, and stays in it.
    before = new_batch(app, world, kj, "principal")
    calculation, _ = calculate(kj, world, "shiwei", "resign", "2025-02-28")
    start(kj, world, calculation)
    html = kj.get(page(world)).get_data(as_text=True)
    assert "合伙投资过户给平台公司" not in html  # not before the process is approved
    decide(app, world, hh)
    exited = [e for e in EVENTS if isinstance(e, PartnerExited)]
    assert [(e.user_id, e.kind, e.exit_on) for e in exited] == [(world["users"]["shiwei"], "resign", "2025-02-28")]
    row = _exit(app, world, "shiwei")
    home = kj.get("/").get_data(as_text=True)
    assert "合伙投资过户给平台公司" in home and "AAA项目 · 史伟" in home  # the accountant's 待办
    # A second click with the form's old version is refused, not applied twice.
    assert post(kj, f"{page(world)}/exits/{row.id}/transfer", {"version": str(row.version)}).status_code == 302
    post(kj, f"{page(world)}/exits/{row.id}/transfer", {"version": str(row.version)})
    assert [m.rstrip("。") for m in flashes(kj.get(page(world)).get_data(as_text=True))][-1:] == [STALE]
    assert _exit(app, world, "shiwei").state == TRANSFERRED
    assert _holding(app, world) == Decimal("746428.00")
    moved = [e for e in EVENTS if isinstance(e, StakeTransferred)]
    assert [(e.user_id, e.company_id, e.amount) for e in moved] == [(world["users"]["shiwei"], world["platform"], "746428.00")]

    # The payout: the 测算 by default; another amount needs a reason; audited.
    url = f"{page(world)}/exits/{row.id}/payout"
    today = dt.date.today().isoformat()
    assert flashes(kj.get(page(world)).get_data(as_text=True)) == []
    assert "452,335.37" in kj.get(page(world)).get_data(as_text=True)
    save(kj, url, {"amount": "452,000.00", "paid_on": today}, page=page(world))
    assert flashes(kj.get(page(world)).get_data(as_text=True)) == ["退出打款金额与测算金额 452,335.37 不同，请填写差异原因"]
    save(kj, url, {"amount": "452,000.00", "paid_on": "2025-02-27", "reason": "x"}, page=page(world))
    assert flashes(kj.get(page(world)).get_data(as_text=True)) == ["打款日期不能早于退出日期 2025-02-28"]
    save(kj, url, {"amount": "452,000.00", "paid_on": today, "reason": "扣除个人所得税代扣差额"}, page=page(world))
    row = _exit(app, world, "shiwei")
    assert (row.state, row.payout, row.paid_on.isoformat(), row.payout_reason) == (
        PAID, Decimal("452000.00"), today, "扣除个人所得税代扣差额")
    with app.app_context(), tenant(world["group"]):
        actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.record_table.like("exit_%"))).all()
    assert "exit:transfer" in actions and actions.count("update") >= 2

    # The marks: 离 in 认购明细 and in the distribution tables; the platform company as a holder.
    subscriptions = kj.get(f"/subscription/projects/{world['project']}/subscriptions").get_data(as_text=True)
    assert 'title="离职，退出日期 2025-02-28">离</span>' in subscriptions
    assert "其中：置业集团 持有" in subscriptions and "746,428.00" in subscriptions
    table = kj.get(f"/distribution/projects/{world['project']}/batches?batch={before}").get_data(as_text=True)
    assert table.count(">离</span>") == 1 and "其中：置业集团 持有" in kj.get(
        f"/distribution/projects/{world['project']}/batches").get_data(as_text=True)
    # A batch created after the exit leaves 史伟 out; the platform company takes his share (the default).
    after = new_batch(app, world, kj, "profit")
    with app.app_context(), tenant(world["group"]):
        users = set(db.session.scalars(sa.select(DistributionLine.user_id).where(DistributionLine.batch_id == after,
                                                                                 DistributionLine.holder == "")))
        assert db.session.execute(sa.select(DistributionLine.holder, DistributionLine.holder_name, DistributionLine.tier,
                                            DistributionLine.user_id).where(DistributionLine.batch_id == after,
                                                                            DistributionLine.holder != "")).all() == [
            ("exit:platform", "置业集团", "realestate", None)]
        earlier = set(db.session.scalars(sa.select(DistributionLine.user_id).where(DistributionLine.batch_id == before)))
    assert world["users"]["shiwei"] in earlier and world["users"]["shiwei"] not in users
    assert users == {world["users"]["jintao"], world["users"]["liuqiao"]}

    # The exited partner keeps read access to their history in 个人中心.
    partner = login(app.test_client(), "shiwei")
    mine = partner.get("/exit/me").get_data(as_text=True)
    assert "452,000.00" in mine and "扣减配资利息" in mine and "452,335.37" in mine and "离职" in mine
    assert partner.get("/subscription/me").status_code == 200
    assert "746,428.00" in partner.get("/subscription/me").get_data(as_text=True)
    assert "452,000.00" not in login(app.test_client(), "jintao").get("/exit/me").get_data(as_text=True)


def test_the_platform_company_is_taken_over_by_two_new_partners(app, client, world):
    kj = login(client, world["kj"])
    calculation, _ = calculate(kj, world, "jintao", "retire", "2024-03-01", net_profit="1000000.00")
    start(kj, world, calculation)
    decide(app, world, login(app.test_client(), world["hh"]))
    row = _exit(app, world, "jintao")
    post(kj, f"{page(world)}/exits/{row.id}/transfer", {"version": str(row.version)})
    assert _holding(app, world) == Decimal("288940.00")
    with app.test_request_context(), tenant(world["group"]):
        hooks = hooks_for(world["group"])
        sources = [s for found in hooks.stake_sources(project_id=world["project"]) for s in found]
        assert [(s.key, s.amount) for s in sources] == [("exit:platform", Decimal("288940.00"))]
        # More than it holds: refused, nothing changed.
        with pytest.raises(ValueError, match="超过平台公司持有份额"):
            hooks.stake_taken(project_id=world["project"], source_key="exit:platform",
                              taken={1: Decimal("200000.00"), 2: Decimal("88940.01")})
        db.session.rollback()
        hooks.stake_taken(project_id=world["project"], source_key="other:thing", taken={1: Decimal("5.00")})
        hooks.stake_taken(project_id=world["project"], source_key="exit:platform",
                          taken={world["users"]["liuqiao"]: Decimal("200000.00"), 99: Decimal("88939.99")})
        db.session.commit()
    assert _holding(app, world) == Decimal("0.01")
    with app.app_context(), tenant(world["group"]):
        entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "exit:taken"))
        assert entry.before == {"amount": "288940.00"} and entry.after["amount"] == "0.01"
    # A last cent left, still offered; none left, no source and no holder shown.
    with app.test_request_context(), tenant(world["group"]):
        hooks = hooks_for(world["group"])
        hooks.stake_taken(project_id=world["project"], source_key="exit:platform", taken={5: Decimal("0.01")})
        db.session.commit()
        assert [s for found in hooks.stake_sources(project_id=world["project"]) for s in found] == []
    assert "其中：置业集团" not in kj.get(f"/subscription/projects/{world['project']}/subscriptions").get_data(as_text=True)


def test_without_a_platform_company_the_transfer_is_refused(app, client):
    with app.app_context():
        world = exit_world(platform=False)
    kj = login(client, world["kj"])
    start(kj, world, calculate(kj, world, "liuqiao", "resign", "2025-01-15")[0])
    decide(app, world, login(app.test_client(), world["hh"]))
    row = _exit(app, world, "liuqiao")
    post(kj, f"{page(world)}/exits/{row.id}/transfer", {"version": str(row.version)})
    assert flashes(kj.get(page(world)).get_data(as_text=True)) == ["请先由系统管理员在模块设置中选择平台公司"]
    assert _exit(app, world, "liuqiao").state == "approved" and _holding(app, world) is None


def test_a_retiring_partner_may_keep_the_stake_when_the_settings_allow(app, client, world):
    from core.settings import save as save_settings
    with app.app_context(), tenant(world["group"]):
        save_settings(world["group"], "exit", {"retire_may_keep": "1"})
        db.session.commit()
    kj = login(client, world["kj"])
    calculation, messages = calculate(kj, world, "liuqiao", "retire", "2025-06-30", keep="1")
    assert messages == ["已保存离职退休测算 #%s：测算退出金额 0.00 元" % calculation]
    start(kj, world, calculation)
    decide(app, world, login(app.test_client(), world["hh"]))
    row = _exit(app, world, "liuqiao")
    assert row.state == "kept" and "合伙投资过户给平台公司" not in kj.get(page(world)).get_data(as_text=True)
    assert [e.keeps_stake for e in EVENTS if isinstance(e, PartnerExited)] == [True]
    assert ">退</span>" in kj.get(f"/subscription/projects/{world['project']}/subscriptions").get_data(as_text=True)
    batch = new_batch(app, world, kj, "principal")  # still a partner of the project's distributions
    with app.app_context(), tenant(world["group"]):
        assert world["users"]["liuqiao"] in set(db.session.scalars(
            sa.select(DistributionLine.user_id).where(DistributionLine.batch_id == batch)))
    assert _holding(app, world) is None
