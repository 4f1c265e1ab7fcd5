"""The host's fixtures, with an app that installs this plugin, the stages it depends on and an event recorder."""
import pytest

from tests.conftest import reset_database, _TMP, clean_database, client, ctx, make_app  # noqa: F401  (shared fixtures)

PLUGINS = ["plugins.subscription", "plugins.distribution", "plugins.exit", "tests.sample_plugins.event_recorder",
           "plugins.adjustment",  # installed for the 新增合伙 takeover test, enabled there only
           "plugins.agreements"]  # enabled by the test of the exited partner's agreement only


@pytest.fixture(scope="session")
def app():
    application = make_app(plugins=PLUGINS, AGREEMENT_DIR=f"{_TMP}/exit-agreements")
    reset_database(application)
    yield application
