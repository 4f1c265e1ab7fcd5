"""The host's test fixtures, with an app that installs this plugin (and an event recorder)."""
import pytest

from core.extensions import db
from tests.conftest import clean_database, client, ctx, make_app  # noqa: F401  (shared fixtures)

PLUGINS = ["plugins.subscription", "tests.sample_plugins.event_recorder"]


@pytest.fixture(scope="session")
def app():
    application = make_app(plugins=PLUGINS)
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
