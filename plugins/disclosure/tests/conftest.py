"""The host's test fixtures, with an app that installs this plugin, the stage it depends on and an event recorder."""
import pytest

from tests.conftest import reset_database, clean_database, client, ctx, make_app  # noqa: F401  (shared fixtures)

PLUGINS = ["plugins.subscription", "plugins.disclosure", "tests.sample_plugins.event_recorder"]


@pytest.fixture(scope="session")
def app():
    application = make_app(plugins=PLUGINS)
    reset_database(application)
    yield application
