"""Rules of the stage: a rejected 披露 frees its version; a disclosed version cannot change by any path;
attachments keep the manual's limits; only partners with an investment are told; version numbers are unique."""
import io

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.processes.models import Attachment, ProcessInstance
from core.tenancy import tenant
from plugins.disclosure import services
from plugins.disclosure.models import DisclosureReceipt, ProfitVersion
from plugins.disclosure.tests.helpers import (add_version, approve, dynamics_url, flashes, last_process, make_world,
                                              start_disclosure, version_row)
from plugins.subscription.models import Subscription
from tests.conftest import login, post, save

FIGURES = {"as_of": "2024-06-30", "net_profit": "1,000.00"}


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world()


def test_a_rejected_disclosure_frees_its_version_for_edits_and_a_new_run(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    version = add_version(kj, world, **FIGURES)
    assert start_disclosure(kj, world).status_code == 302
    first = last_process(app, world)
    assert post(hh, f"/processes/{first}/decide", {"decision": "reject", "comment": "数据有误"}).status_code == 302
    assert version_row(app, world, version).disclosed_at is None
    assert save(kj, f"/disclosure/projects/{world['project']}/dynamics/{version}", {**FIGURES, "net_profit": "900.00"},
                page=dynamics_url(world, version)).status_code == 302
    assert start_disclosure(kj, world).status_code == 302
    second = last_process(app, world)
    assert second != first and version_row(app, world, version).process_id == second
    assert approve(hh, second).status_code == 302
    row = version_row(app, world, version)
    assert row.disclosed_at is not None and row.net_profit == 900
    # every change is in the audit log: created, edited (before / after), linked to each process, disclosed
    from core.models import AuditLog
    with app.app_context(), tenant(world["group"]):
        entries = db.session.execute(sa.select(AuditLog.action, AuditLog.actor, AuditLog.before, AuditLog.after).where(
            AuditLog.record_table == "disclosure_version").order_by(AuditLog.id)).all()
    assert [e.action for e in entries][0] == "create" and entries[0].actor == world["kj"]
    edited = next(e for e in entries if e.action == "update" and "net_profit" in (e.after or {}))
    assert edited.before["net_profit"] == "1000.00" and edited.after["net_profit"] == "900.00"
    assert entries[-1].after.get("disclosed_at")


def test_a_disclosed_version_cannot_change_by_any_path(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    version = add_version(kj, world, **FIGURES)
    assert start_disclosure(kj, world).status_code == 302
    assert approve(hh, last_process(app, world)).status_code == 302
    page = kj.get(dynamics_url(world, version)).get_data(as_text=True)
    assert "第1版已披露，不能修改；更正请新增版本" in page and f"/dynamics/{version}\"" not in page  # no edit form
    with app.app_context(), tenant(world["group"]):
        row = db.session.get(ProfitVersion, version)
        row.net_profit = 1
        with pytest.raises(services.DisclosureError):
            db.session.flush()
        db.session.rollback()
    assert version_row(app, world, version).net_profit == 1000
    # nothing left to disclose until a new version is added
    refused = start_disclosure(kj, world, follow_redirects=True).get_data(as_text=True)
    assert flashes(refused) == ["请先在【盈亏动态】中新增待披露的版本"]


def test_attachments_keep_the_manuals_types_and_size(app, world):
    kj = login(app.test_client(), world["kj"])
    add_version(kj, world, **FIGURES)
    for name, data, message in (("病毒.exe", b"MZ...", "不支持的文件类型"),
                                ("伪装.pdf", b"not a pdf", "的内容与其类型 .pdf 不符"),
                                ("大.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "超过 10M")):
        page = start_disclosure(kj, world, files=[(io.BytesIO(data), name)]).get_data(as_text=True)
        assert message in page, name
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_only_partners_with_an_investment_are_told_and_numbers_are_unique(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    with app.app_context(), tenant(world["group"]):  # aaa_p2 was listed but never confirmed an investment
        db.session.execute(sa.update(Subscription).where(Subscription.user_id == world["users"]["aaa_p2"])
                           .values(investment=None))
        db.session.commit()
    version = add_version(kj, world, **FIGURES)
    assert start_disclosure(kj, world).status_code == 302
    assert approve(hh, last_process(app, world)).status_code == 302
    assert "已开始向 1 位合伙人合并发送披露通知" in flashes(post(hh, "/disclosure/review/send", follow_redirects=True)
                                                 .get_data(as_text=True))  # no Redis: the job runs after the commit
    assert login(app.test_client(), "aaa_p2").get(f"/disclosure/me/{version}").status_code == 404
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalars(sa.select(DisclosureReceipt.user_id)).all() == [world["users"]["aaa_p1"]]
        from core.models import AuditLog
        sent = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "disclosure:notified")).one()
        assert sent.actor == world["hh"] and sent.after["partners"] == 1
        db.session.add(ProfitVersion(project_id=world["project"], number=1, as_of=version_row(app, world, version).as_of,
                                     created_at=version_row(app, world, version).created_at))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
