"""Concurrent edits of the host's forms: of two people who opened the same form, the first save wins
and the second is told, with nothing of theirs saved; of two approvers, the second learns the result."""
import threading

import sqlalchemy as sa

from core import roles
from core.extensions import db
from core.models import Company, Project, ProjectAuthorisation, User
from core.processes.models import ProcessInstance
from core.tenancy import tenant
from tests.conftest import STALE, login, post, two_saves
from tests.factories import make_tenant
from tests.test_processes import decide, instances, start

import pytest


@pytest.fixture
def world(app):
    with app.app_context():
        t = make_tenant("AAA", modules=["ledger"])
        return {"group": t.group.id, "project": t.project.id, "city": t.city.id, "realestate": t.realestate.id,
                "accountant": t.accountant.id, "outsider": t.outsider.id, "admin": t.admin.username,
                "kj": t.accountant.username, "hh": t.business_admin.username}


def stored(app, world, model, record_id):
    with app.app_context(), tenant(world["group"]):
        return db.session.get(model, record_id)


def test_project_form(app, world):
    data = {"code": "AAA-P1", "company_id": str(world["city"]), "batch_id": "0", "operator": "lead",
            "acquisition_method": "招拍挂", "is_open": "y"}
    page = two_saves(app, world["admin"], f"/admin/projects/{world['project']}", {**data, "name": "第一个"},
                     {**data, "name": "第二个"})
    assert STALE in page
    assert stored(app, world, Project, world["project"]).name == "第一个"


def test_user_form(app, world):
    data = {"username": world["kj"], "company_id": "0", "roles": [roles.CITY_ACCOUNTANT], "password": "",
            "active": "y", "locale": ""}
    page = two_saves(app, world["admin"], f"/admin/users/{world['accountant']}", {**data, "name": "第一位"},
                     {**data, "name": "第二位", "roles": [roles.CITY_ACCOUNTANT, roles.PARTNER]})
    assert STALE in page
    with app.app_context(), tenant(world["group"]):
        user = db.session.get(User, world["accountant"])
        assert user.name == "第一位" and user.roles == {roles.CITY_ACCOUNTANT}


def test_company_form(app, world):
    data = {"kind": "city", "parent_id": str(world["realestate"]), "region": "华东"}
    page = two_saves(app, world["admin"], f"/admin/companies/{world['city']}", {**data, "name": "第一城市公司"},
                     {**data, "name": "第二城市公司"})
    assert STALE in page
    assert stored(app, world, Company, world["city"]).name == "第一城市公司"


def test_project_authorisations(app, world):
    page = two_saves(app, world["admin"], f"/admin/authorisations/{world['project']}",
                     {roles.CITY_ACCOUNTANT: [str(world["accountant"])]},
                     {roles.CITY_ACCOUNTANT: [str(world["outsider"])]})
    assert STALE in page
    with app.app_context(), tenant(world["group"]):
        assert db.session.execute(sa.select(ProjectAuthorisation.user_id, ProjectAuthorisation.role)).all() == [
            (world["accountant"], roles.CITY_ACCOUNTANT)]


def test_a_form_without_its_version_saves_nothing(app, world):
    admin = login(app.test_client(), world["admin"])
    page = post(admin, f"/admin/companies/{world['city']}", {"name": "无版本", "kind": "city", "region": "",
                                                             "parent_id": str(world["realestate"])},
                follow_redirects=True).get_data(as_text=True)
    assert STALE in page, page[page.find("<main"):]
    assert stored(app, world, Company, world["city"]).name == "AAA城市公司"


def test_two_approvers_at_once_the_loser_is_told_the_result(app, world):
    """The second approver's request has read the process while it ran; the first decides just
    before the second's UPDATE reaches the database."""
    start(login(app.test_client(), world["kj"]), world, "ledger_calc")
    [calc] = instances(app, world, "ledger_calc")
    first, second = login(app.test_client(), world["hh"]), login(app.test_client(), world["hh"])
    outcome = {}

    def first_decides(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE core_process") and not outcome:
            outcome["first"] = "pending"
            worker = threading.Thread(target=lambda: outcome.update(first=decide(first, calc.id, "reject", "不同意")))
            worker.start()
            worker.join()

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", first_decides)
    try:
        page = decide(second, calc.id, "approve", "同意")
    finally:
        sa.event.remove(engine, "before_cursor_execute", first_decides)
    assert "已审批" in outcome["first"]
    assert "该流程已被处理（驳回）" in page
    [calc] = instances(app, world, "ledger_calc")
    assert (calc.state, calc.result_comment) == ("rejected", "不同意")
    assert stored(app, world, ProcessInstance, calc.id).decided_by == world["hh"]


def test_module_settings(app, world):
    base = {"api_base": "https://ledger.example", "app_key": "", "app_secret": ""}
    page = two_saves(app, world["admin"], "/admin/modules/ledger/settings", {**base, "retries": "5"},
                     {**base, "retries": "7"})
    assert STALE in page
    with app.app_context():
        from core import settings
        assert settings.get(world["group"], "ledger", "retries") == "5"
