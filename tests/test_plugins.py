"""Plugin discovery, manifests, dependency order and the hook contract."""
import inspect
import textwrap

import pytest

from core import create_app, hookspecs
from core.plugins import discovery
from core.plugins.manifest import PluginError, parse
from core.plugins.registry import Registry
from tests.conftest import make_app


def test_every_hook_is_documented():
    specs = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "gentou_spec")]
    assert len(specs) >= 6
    for spec in specs:
        doc = inspect.getdoc(spec) or ""
        assert len(doc) > 80, f"hook {spec.__name__} needs a docstring saying when, what and an example"
        assert "Example" in doc, f"hook {spec.__name__} has no example"


def test_plugins_are_ordered_by_dependencies():
    manifests = discovery.load(["tests.sample_plugins.ledger_glue", "tests.sample_plugins.ledger_report",
                                "tests.sample_plugins.ledger"])
    assert [m.name for m in manifests] == ["ledger", "ledger_report", "ledger_glue"]


def test_missing_dependency_stops_start_up_naming_the_plugin():
    with pytest.raises(PluginError, match="ledger_report: depends on ledger, which is not installed"):
        make_app(plugins=["tests.sample_plugins.ledger_report"])


def test_dependency_cycle_stops_start_up():
    with pytest.raises(PluginError, match="dependency cycle"):
        make_app(plugins=["tests.sample_plugins.broken_cycle_a", "tests.sample_plugins.broken_cycle_b"])


@pytest.mark.parametrize("text, message", [
    ("{'name': 'x'", "not a literal dict"),
    ("[1, 2]", "must be a dict"),
    ("{'name': 'ledger', 'version': '1', 'summary': 's', 'colour': 'red'}", "unknown manifest keys"),
    ("{'name': 'ledger', 'summary': 's'}", "needs 'version'"),
    ("{'name': 'other', 'version': '1', 'summary': 's'}", "differs from its package"),
    ("{'name': 'ledger', 'version': '1', 'summary': 's', 'depends': 'core'}", "'depends' must be a list"),
    ("{'name': 'ledger', 'version': '1', 'summary': 's', 'depends': ['ledger']}", "depends on itself"),
    ("__import__('os').system('true')", "not a literal dict"),
])
def test_bad_manifest_is_refused_with_the_plugin_named(text, message):
    with pytest.raises(PluginError, match=message) as exc:
        parse(text, "plugins.ledger", "plugins/ledger/__manifest__.py")
    assert "ledger" in str(exc.value)


def test_discovery_finds_folder_plugins(tmp_path):
    (tmp_path / "alpha").mkdir()
    (tmp_path / "alpha" / "__manifest__.py").write_text("{}")
    (tmp_path / "not_a_plugin").mkdir()
    assert discovery.discover(tmp_path, namespace="x") == ["x.alpha"]


def _tiny_plugin(tmp_path, monkeypatch, name, hooks, manifest=""):
    """A plugin package ``name`` on a temporary sys.path entry with ``hooks`` as its hooks.py."""
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__manifest__.py").write_text(f"{{'name': '{name}', 'version': '1', 'summary': 's', {manifest}}}")
    (package / "hooks.py").write_text(textwrap.dedent(hooks))
    monkeypatch.syspath_prepend(str(tmp_path))


def test_misspelled_hook_stops_start_up(tmp_path, monkeypatch):
    _tiny_plugin(tmp_path, monkeypatch, "typo_plugin", """
        from core.hookspecs import hookimpl

        @hookimpl
        def register_menus():
            return []
    """)
    with pytest.raises(PluginError, match="^plugin typo_plugin: .*register_menus"):
        make_app(plugins=["typo_plugin"])


def test_a_hook_taking_fewer_arguments_than_its_spec_is_called_with_those(tmp_path, monkeypatch):
    _tiny_plugin(tmp_path, monkeypatch, "terse", """
        from flask import Blueprint
        from core.hookspecs import hookimpl

        bp = Blueprint("terse", __name__)

        @bp.get("/hello")
        def hello():
            return "hello"

        @hookimpl
        def register_blueprints():
            return [bp]

        @hookimpl
        def register_cli():
            pass
    """)
    app = make_app(plugins=["tests.sample_plugins.ledger", "terse"])
    assert app.extensions["gentou"].blueprint_plugin["terse"] == "terse"
    assert [name for name, _ in app.extensions["gentou"].per_plugin("register_blueprints", app=app)] == \
        ["ledger", "terse"]


def test_a_missing_external_dependency_stops_start_up_naming_the_plugin(tmp_path, monkeypatch):
    _tiny_plugin(tmp_path, monkeypatch, "needs_things", "", "'external_dependencies': ['json', 'no_such_module_h8']")
    with pytest.raises(PluginError, match="^plugin needs_things: needs the Python module no_such_module_h8, which"):
        make_app(plugins=["needs_things"])
    with pytest.raises(PluginError, match="needs_things: 'external_dependencies' must list module names"):
        parse("{'name': 'needs_things', 'version': '1', 'summary': 's', 'external_dependencies': ['']}",
              "needs_things", "x")


def test_present_external_dependencies_are_kept_in_the_manifest(tmp_path, monkeypatch):
    _tiny_plugin(tmp_path, monkeypatch, "needs_json", "", "'external_dependencies': ['json', 'xml.dom']")
    app = make_app(plugins=["needs_json"])
    assert app.extensions["gentou"].manifests["needs_json"].external_dependencies == ("json", "xml.dom")


def test_the_host_s_inbox_and_delivery_job_come_from_its_internal_plugin(app):
    registry = app.extensions["gentou"]
    assert [name for name, _ in registry.per_plugin("notification_channels")] == ["core", "ledger"]
    assert [name for name, _ in registry.per_plugin("register_jobs")] == ["core", "ledger"]
    assert registry.channels["inbox"].plugin == "" and registry.jobs["core.deliver_notices"].plugin == ""
    assert "core" not in [m.name for m in registry.installed()]  # not a module: never listed or disabled


def test_a_plugin_may_not_take_the_host_s_name():
    with pytest.raises(PluginError, match="^plugin core: the name is the host's own"):
        Registry([parse("{'name': 'core', 'version': '1', 'summary': 's'}", "hostlike.core", "x")])


def test_table_of_a_plugin_must_carry_its_prefix(tmp_path, monkeypatch):
    _tiny_plugin(tmp_path, monkeypatch, "badtable", """
        from core.hookspecs import hookimpl

        @hookimpl
        def register_models():
            class Fake:
                __tablename__ = "entries"
            return [Fake]
    """)
    with pytest.raises(PluginError, match="badtable: table entries must start with 'badtable_'"):
        make_app(plugins=["badtable"])


def test_default_app_discovers_the_plugins_folder(app):
    from core.config import ROOT
    found = discovery.discover(ROOT / "plugins")
    assert all(name.startswith("plugins.") for name in found)
    assert [m.name for m in app.extensions["gentou"].installed()] == ["ledger", "ledger_report", "ledger_glue"]


def test_production_refuses_the_default_secret(monkeypatch):
    from core.config import ConfigError, DEFAULT_SECRET
    monkeypatch.setenv("GENTOU_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, plugins=[])
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        make_app(SECRET_KEY=DEFAULT_SECRET)
    monkeypatch.setenv("SECRET_KEY", "a-real-private-secret")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, plugins=[])
    assert app.config["SESSION_COOKIE_SECURE"] is True
