"""Modules per group company: enable with dependencies, refusals, auto_enable, gating, CLI."""
from decimal import Decimal

import pytest

from core.extensions import db
from core.jobs import JobRefused, perform
from core.models import AuditLog, ModuleState
from core.modules import enabled_modules
from tests.conftest import login, post
from tests.factories import make_tenant
from tests.sample_plugins.ledger.hooks import RECEIVED


@pytest.fixture
def two(app):
    with app.app_context():
        a = make_tenant("AAA", modules=["ledger"])
        b = make_tenant("BBB")
        return {"a": (a.group.id, a.admin.username, a.project.id, a.accountant.username),
                "b": (b.group.id, b.admin.username, b.project.id, b.accountant.username)}


def states(app, group_id):
    with app.app_context():
        return enabled_modules(group_id)


def test_module_page_lists_every_installed_module(client, two):
    login(client, two["b"][1])
    page = client.get("/admin/modules").get_data(as_text=True)
    for name, version in [("ledger", "1.0.0"), ("ledger_report", "0.1.0"), ("ledger_glue", "0.1.0")]:
        assert name in page and version in page
    assert "A tiny plugin that proves the host" in page
    assert page.count("未启用") == 3


def test_enabling_turns_on_dependencies_and_says_which(app, client, two):
    group_id, admin = two["b"][0], two["b"][1]
    login(client, admin)
    response = post(client, "/admin/modules/ledger_report/enable", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已启用模块 ledger_report，并同时启用：ledger" in page
    assert "ledger_glue" in page
    # ledger_glue is auto_enable and depends on both: it came on too.
    assert states(app, group_id) == {"ledger", "ledger_report", "ledger_glue"}


def test_disabling_is_refused_while_an_enabled_module_depends_on_it(app, client, two):
    group_id, admin = two["b"][0], two["b"][1]
    login(client, admin)
    post(client, "/admin/modules/ledger_report/enable")
    page = post(client, "/admin/modules/ledger/disable", follow_redirects=True).get_data(as_text=True)
    assert "无法停用 ledger：已启用的模块 ledger_report、ledger_glue 依赖它" in page
    assert "ledger" in states(app, group_id)
    post(client, "/admin/modules/ledger_glue/disable")
    post(client, "/admin/modules/ledger_report/disable")
    page = post(client, "/admin/modules/ledger/disable", follow_redirects=True).get_data(as_text=True)
    assert "已停用模块 ledger" in page
    assert states(app, group_id) == set()
    with app.app_context():
        actions = db.session.scalars(db.select(AuditLog.action).where(AuditLog.group_id == group_id,
                                                                      AuditLog.record_table == "core_module_state")).all()
    assert actions.count("enable") == 3 and actions.count("disable") == 3


def test_unknown_module_is_refused(client, two):
    login(client, two["b"][1])
    page = post(client, "/admin/modules/nosuch/enable", follow_redirects=True).get_data(as_text=True)
    assert "未知模块：nosuch" in page


def test_disabled_module_is_invisible_and_enabled_one_visible(app, client, two):
    # A has ledger enabled, B has not.
    login(client, two["b"][1])
    assert client.get("/ledger/").status_code == 404
    assert ">台账<" not in client.get("/").get_data(as_text=True)
    client2 = app.test_client()
    login(client2, two["a"][1])
    assert client2.get("/ledger/").status_code == 200
    assert ">台账<" in client2.get("/").get_data(as_text=True)


def test_change_applies_on_the_next_request(client, two):
    login(client, two["b"][1])
    assert client.get("/ledger/").status_code == 404
    post(client, "/admin/modules/ledger/enable")
    assert client.get("/ledger/").status_code == 200
    post(client, "/admin/modules/ledger/disable")
    assert client.get("/ledger/").status_code == 404


def test_plugin_pages_require_sign_in(client, two):
    response = client.get("/ledger/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_hooks_are_called_only_for_companies_that_enabled_the_plugin(app, two):
    a_id, b_id = two["a"][0], two["b"][0]
    from core.events import emit
    from tests.sample_plugins.ledger.events import EntryAdded
    with app.app_context():
        emit(EntryAdded(group_id=b_id, entry_id=7))
        emit(EntryAdded(group_id=a_id, entry_id=8))
        db.session.commit()
    assert (b_id, 7) not in RECEIVED
    assert (a_id, 8) in RECEIVED
    assert ("job", 8) in RECEIVED  # its job ran inline after the commit


def test_event_from_a_request_runs_the_job_after_commit_only(app, client, two):
    a_id, _, project_id, accountant = two["a"]
    login(client, accountant)
    response = post(client, f"/ledger/projects/{project_id}/entries", {"amount": "12.30", "note": "首笔"})
    assert response.status_code == 201
    entry_id = int(response.get_data(as_text=True))
    assert RECEIVED == [(a_id, entry_id), ("job", entry_id)]
    with app.app_context():
        from tests.sample_plugins.ledger.models import LedgerEntry
        assert db.session.get(LedgerEntry, entry_id).amount == Decimal("12.30")


def test_rolled_back_transaction_runs_no_job(app, two):
    a_id = two["a"][0]
    from core.jobs import enqueue
    with app.app_context():
        enqueue("ledger.count_entry", a_id, entry_id=99)
        db.session.rollback()
        db.session.commit()
    assert ("job", 99) not in RECEIVED


def test_a_savepoint_released_runs_no_job_before_the_commit(app, two):
    """SQLAlchemy calls after_commit for a SAVEPOINT too: the jobs wait for the real commit (an inline job on its
    own connection met the transaction's lock, "database is locked"; an RQ worker read before the commit)."""
    a_id = two["a"][0]
    from core.jobs import enqueue
    with app.app_context():
        enqueue("ledger.count_entry", a_id, entry_id=98)
        with db.session.begin_nested():
            enqueue("ledger.count_entry", a_id, entry_id=97)
        assert RECEIVED == []
        db.session.commit()
    assert RECEIVED == [("job", 98), ("job", 97)]


def test_jobs_refuse_to_run_for_a_company_without_the_module(app, two):
    with app.app_context():
        with pytest.raises(JobRefused, match="ledger is not enabled"):
            perform("ledger.count_entry", two["b"][0], {"entry_id": 1})
        perform("ledger.count_entry", two["a"][0], {"entry_id": 2})
    assert RECEIVED == [("job", 2)]


def test_cli_lists_enables_and_disables(app, two):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["gentou", "modules", "list", "--company", "BBB"])
    assert out.exit_code == 0
    assert "ledger_report" in out.output and "disabled" in out.output and "ledger" in out.output
    out = runner.invoke(args=["gentou", "modules", "enable", "ledger_report", "--company", "BBB"])
    assert out.exit_code == 0, out.output
    assert "enabled ledger for BBB (with ledger_report)" in out.output
    assert "enabled ledger_glue" in out.output
    out = runner.invoke(args=["gentou", "modules", "disable", "ledger", "--company", "BBB"])
    assert out.exit_code != 0 and "ledger_report" in out.output
    out = runner.invoke(args=["gentou", "modules", "disable", "ledger_glue", "--company", "BBB"])
    assert out.exit_code == 0 and "disabled ledger_glue for BBB" in out.output
    assert states(app, two["b"][0]) == {"ledger", "ledger_report"}


@pytest.mark.parametrize("args, message", [
    (["enable", "nosuch", "--company", "BBB"], "未知模块：nosuch"),
    (["enable", "ledger", "--company", "ZZZ"], "unknown group company 'ZZZ'"),
    (["disable", "ledger", "--company", "BBB"], "模块 ledger 未启用"),
    (["enable", "nosuch", "--company", "BBB", "--lang", "en"], "Unknown module: nosuch"),
    (["disable", "ledger", "--company", "BBB", "--lang", "en"], "Module ledger is not enabled"),
])
def test_cli_bad_input_exits_non_zero_with_a_message(app, two, args, message):
    out = app.test_cli_runner().invoke(args=["gentou", "modules", *args])
    assert out.exit_code != 0
    assert message in out.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ModuleState)
                                 .where(ModuleState.group_id == two["b"][0])) == 0


def test_module_enabled_and_disabled_hooks_run_in_the_change_s_transaction(app, two):
    from tests.conftest import SAMPLE_PLUGINS, make_app
    from tests.sample_plugins.event_recorder.hooks import CHANGES, REFUSE
    recorder = make_app(plugins=SAMPLE_PLUGINS + ["tests.sample_plugins.event_recorder"])
    group_id = two["b"][0]
    run = recorder.test_cli_runner().invoke
    CHANGES.clear()
    REFUSE.append("示例：缺少期初数据，无法启用")
    refused = run(args=["gentou", "modules", "enable", "event_recorder", "--company", "BBB"])
    assert refused.exit_code != 0 and "示例：缺少期初数据，无法启用" in refused.output
    with recorder.app_context():
        assert enabled_modules(group_id) == set()
        assert db.session.scalar(db.select(AuditLog).where(AuditLog.action == "seed")) is None  # rolled back
    assert run(args=["gentou", "modules", "enable", "event_recorder", "--company", "BBB"]).exit_code == 0
    assert run(args=["gentou", "modules", "disable", "event_recorder", "--company", "BBB"]).exit_code == 0
    assert CHANGES == [("enabled", group_id, group_id), ("enabled", group_id, group_id),
                       ("disabled", group_id, group_id)]
    with recorder.app_context():
        seeds = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "seed")).all()
        assert [(s.group_id, s.summary) for s in seeds] == [(group_id, "seeded by module_enabled")]
        assert enabled_modules(group_id) == set()
