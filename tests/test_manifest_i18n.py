"""Module names and summaries (a manifest's ``label`` and ``summary``) in the reader's language: extracted from
the manifest as data into the plugin's catalogue, translated when 后台管理 → 模块 is shown."""
import io
import pathlib

import pytest
from babel.messages.extract import extract

from core.extensions import babel, db
from tests.conftest import login, make_app
from tests.factories import make_tenant

ROOT = pathlib.Path(__file__).resolve().parent.parent
PLUGINS = ["plugins.subscription", "plugins.distribution", "plugins.agreements", "plugins.dingtalk"]


@pytest.fixture(scope="module")
def app():
    application = make_app(plugins=PLUGINS)
    with application.app_context():
        db.create_all()  # adds the plugins' tables, drops none (the session's app keeps its own)
    yield application


def test_the_extractor_reads_label_and_summary_of_a_manifest_as_data():
    source = '{\n    "name": "x",\n    "label": "钉钉",\n    "version": "1",\n    "summary": "S",\n}\n'.encode()
    found = list(extract("core.plugins.manifest.extract_manifest", io.BytesIO(source)))
    assert [(line, text) for line, text, _, _ in found] == [(3, "钉钉"), (5, "S")]
    assert list(extract("core.plugins.manifest.extract_manifest", io.BytesIO(b"{}"))) == []


@pytest.mark.parametrize("name", [p.rsplit(".", 1)[1] for p in PLUGINS])
def test_the_plugin_s_babel_cfg_extracts_its_manifest(name):
    cfg = (ROOT / "plugins" / name / "babel.cfg").read_text()
    section = f"[core.plugins.manifest.extract_manifest: plugins/{name}/__manifest__.py]"
    assert section in cfg and cfg.index(section) < cfg.index(f"[python: plugins/{name}/**.py]")


def test_module_names_and_summaries_in_the_reader_s_language(app):
    with app.app_context():
        admin = make_tenant("AAA").admin.username
    client = login(app.test_client(), admin)
    chinese = client.get("/admin/modules").get_data(as_text=True)
    assert "钉钉微应用登录" in chinese and "立项与认购" in chinese
    babel.domain_instance.cache.clear()  # Flask-Babel caches per process: another test's app may have filled it
    english = client.get("/admin/modules?lang=en").get_data(as_text=True)
    for text in ("DingTalk micro-app sign-in, work notices, group robot and OA approvals",
                 "Initiation and subscription", "Agreements",
                 "Distribution accounts, principal, profit and liquidation distributions"):
        assert text in english
    assert "钉钉微应用登录" not in english and "立项与认购" not in english
    with app.app_context():
        manifest = app.extensions["gentou"].manifests["dingtalk"]
        assert (manifest.title, manifest.summary_text) == ("钉钉", manifest.summary)  # outside a request: the id
        db.session.remove()


@pytest.mark.parametrize("args, default, shown, hidden", [
    (["--lang", "en"], "zh", "DingTalk micro-app sign-in, work notices, group robot and OA approvals", "钉钉微应用登录"),
    (["--lang", "zh"], "en", "钉钉微应用登录、工作通知、群机器人与OA审批", "DingTalk micro-app sign-in"),
    ([], "zh", "钉钉微应用登录、工作通知、群机器人与OA审批", "DingTalk micro-app sign-in"),
    ([], "en", "DingTalk micro-app sign-in, work notices, group robot and OA approvals", "钉钉微应用登录"),
], ids=["en", "zh", "default-zh", "default-en"])
def test_gentou_modules_list_prints_summaries_in_the_chosen_language(app, monkeypatch, args, default, shown, hidden):
    with app.app_context():
        make_tenant("AAA")
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", default)  # what --lang falls back to
    out = app.test_cli_runner().invoke(args=["gentou", "modules", "list", "--company", "AAA", *args])
    assert out.exit_code == 0, out.output
    assert shown in out.output and hidden not in out.output
    row = next(line for line in out.output.splitlines() if line.startswith("dingtalk "))
    assert row.split()[:3] == ["dingtalk", "1.0.0", "disabled"]
