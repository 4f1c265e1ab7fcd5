"""The host's fixtures with an app that installs subscription and agreements."""
import pytest

from tests.conftest import reset_database, _TMP, clean_database, client, ctx, make_app  # noqa: F401  (shared fixtures)

PLUGINS = ["plugins.subscription", "plugins.agreements", "tests.sample_plugins.event_recorder"]


@pytest.fixture(scope="session")
def app():
    application = make_app(plugins=PLUGINS, AGREEMENT_DIR=f"{_TMP}/agreements")
    reset_database(application)
    yield application
