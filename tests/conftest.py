"""Fixtures: one app with the sample plugins, a real database (SQLite file or DATABASE_URL)."""
from __future__ import annotations

import atexit
import os
import shutil
import re
import tempfile

import pytest
import sqlalchemy as sa

from core import create_app
from core.extensions import db

SAMPLE_PLUGINS = ["tests.sample_plugins.ledger", "tests.sample_plugins.ledger_report",
                  "tests.sample_plugins.ledger_glue"]
_TMP = tempfile.mkdtemp(prefix="gentou-test-")
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
# One RQ queue per test session (inherited by the worker processes it starts), so that two
# sessions sharing a Redis never take each other's jobs.
os.environ.setdefault("GENTOU_RQ_QUEUE", f"gentou-test-{os.getpid()}")


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{_TMP}/test.db"


def make_app(**config):
    """An app on the test database; ``plugins=`` chooses the installed plugins (default: the samples)."""
    base = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url(), "REDIS_URL": None,
            "SECRET_KEY": "test-secret", "SERVER_NAME": None, "ATTACHMENT_DIR": f"{_TMP}/attachments"}
    base.update(config)
    return create_app(base, plugins=config.pop("plugins", SAMPLE_PLUGINS))


def reset_database(application) -> None:
    """Drop every table of the test database (whatever plugins made them), then create ours."""
    with application.app_context():
        existing = sa.MetaData()
        existing.reflect(db.engine)
        existing.drop_all(db.engine)
        db.create_all()


@pytest.fixture(scope="session")
def app():
    application = make_app()
    reset_database(application)
    yield application


@pytest.fixture(autouse=True)
def clean_database(request):
    yield
    from core.jobs import cancel_timers
    cancel_timers()  # no delayed job of this test may run in the next one
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    application.extensions.pop("gentou_signin_failures", None)  # sign-in failures counted per address
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            existing = set(sa.inspect(conn).get_table_names())
            for table in reversed(db.metadata.sorted_tables):
                if table.name in existing:  # another test may have imported more plugins' models
                    conn.execute(table.delete())
    from tests.sample_plugins.event_recorder.hooks import EVENTS
    from tests.sample_plugins.ledger.hooks import RECEIVED
    RECEIVED.clear()
    EVENTS.clear()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def login(client, username, password=None):
    from tests.factories import PASSWORD
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": password or PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post(client, url, data=None, **kwargs):
    """POST a form the way a browser does: with the CSRF token of the session."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


def form_version(client, page: str, action: str | None = None) -> str:
    """The version a form on ``page`` was read at (core.versioning): of the form posting to ``action``,
    else the page's first form that carries one."""
    html = client.get(page).get_data(as_text=True)
    start = html.find(f'action="{action}"') if action else 0
    found = re.search(r'name="version"[^>]* value="(\d+)"', html[start:]) if start >= 0 else None
    return found.group(1) if found else ""  # no such form on the page: the POST goes without one


def save(client, url, data=None, page: str | None = None, **kwargs):
    """Open the edit form, then POST it with the version it was read at, as a browser does."""
    version = form_version(client, page or url, url if page else None)
    return post(client, url, {**(data or {}), "version": version}, **kwargs)


STALE = "该记录已被他人修改，请刷新后重试"


def two_saves(app, username, url, first, second, page: str | None = None) -> str:
    """Two people open the same edit form, then both save it: returns the page the second one gets."""
    one, two = login(app.test_client(), username), login(app.test_client(), username)
    read = [form_version(client, page or url, url if page else None) for client in (one, two)]
    assert post(one, url, {**first, "version": read[0]}).status_code == 302
    response = post(two, url, {**second, "version": read[1]}, headers={"Referer": f"http://localhost{page or url}"},
                    follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)
