"""The host's test fixtures, with an app that installs subscription and this plugin."""
import pytest

from tests.conftest import reset_database, clean_database, client, ctx, make_app  # noqa: F401  (shared fixtures)

PLUGINS = ["plugins.subscription", "plugins.mandatory", "tests.sample_plugins.event_recorder"]


@pytest.fixture(scope="session")
def app():
    application = make_app(plugins=PLUGINS)
    reset_database(application)
    yield application
