"""The host's fixtures, with an app that installs this plugin and the stages it reads."""
import pytest

from tests.conftest import reset_database, clean_database, client, ctx, make_app  # noqa: F401  (shared fixtures)

PLUGINS = ["plugins.subscription", "plugins.distribution", "plugins.exit", "plugins.reports"]


@pytest.fixture(scope="session")
def app():
    application = make_app(plugins=PLUGINS)
    reset_database(application)
    yield application
