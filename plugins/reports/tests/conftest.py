"""The host's fixtures, with an app that installs this plugin and the stages it reads."""
import pytest

from tests.conftest import _TMP, reset_database, clean_database, client, ctx, make_app  # noqa: F401  (shared fixtures)

PLUGINS = ["plugins.subscription", "plugins.distribution", "plugins.exit", "plugins.reports", "plugins.disclosure",
           "plugins.adjustment", "tests.sample_plugins.event_recorder"]  # for the 新增合伙 takeover (test_takeover)


@pytest.fixture(scope="session")
def app():
    application = make_app(plugins=PLUGINS, REPORT_DIR=f"{_TMP}/report-exports")
    reset_database(application)
    yield application
