"""The session cookie answered from memory once verified (core.session_cookie) answers as verifying it would:
a changed cookie is refused, an expired one too, and a session's flashes are shown once."""
import datetime as dt
import time

from flask_login import login_required

from tests.conftest import login, make_app, reset_database
from tests.factories import make_tenant


def _app(**config):
    app = make_app(**config)
    app.add_url_rule("/_probe", "probe", login_required(lambda: "ok"))
    reset_database(app)
    with app.app_context():
        username = make_tenant("ONE").admin.username
    return app, username


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_changed_cookie_is_refused_after_the_genuine_one_was_kept():
    app, username = _app()
    client = login(app.test_client(), username)
    assert client.get("/_probe").status_code == 200
    genuine = _cookie(client)
    payload, _dot, signature = genuine.rpartition(".")
    forged = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    other = app.test_client()
    other.set_cookie("session", forged)
    assert other.get("/_probe").status_code == 302
    other.set_cookie("session", genuine)
    assert other.get("/_probe").status_code == 200


def test_a_kept_cookie_expires_with_the_session_lifetime():
    app, username = _app(PERMANENT_SESSION_LIFETIME=dt.timedelta(seconds=2))
    client = login(app.test_client(), username)
    assert client.get("/_probe").status_code == 200
    assert client.get("/_probe").status_code == 200  # answered from memory
    time.sleep(3.1)  # itsdangerous counts whole seconds
    assert client.get("/_probe").status_code == 302


def test_flashes_are_shown_once():
    app, username = _app()
    client = login(app.test_client(), username)
    assert client.get("/admin/projects").status_code == 200  # the session without flashes kept
    with client.session_transaction() as session:
        session["_flashes"] = [("danger", "一次性的提示")]
    assert "一次性的提示" in client.get("/admin/projects").get_data(as_text=True)
    assert "一次性的提示" not in client.get("/admin/projects").get_data(as_text=True)
