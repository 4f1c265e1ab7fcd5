"""The signed-in user kept in the process (core.signins): no query while kept, and every change that
concerns a session (退出, role change, deactivation, modules) still takes effect on the very next request,
whether it was made in this process, in another one, or by SQL that names the tables."""
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_login import login_required

from core import roles
from core.extensions import db
from core.models import User
from tests.conftest import database_url, login, make_app, reset_database
from tests.factories import make_tenant
from tests.test_demo_and_queries import QueryCounter

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def probed():
    """An app with a signed-in-only route that answers its user's name and roles; one tenant."""
    def build(**config):
        app = make_app(**config)
        app.add_url_rule("/_probe", "probe", login_required(_whoami))
        reset_database(app)
        with app.app_context():
            made = make_tenant("ONE")
            people = {kind: SimpleNamespace(id=u.id, username=u.username, name=u.name)
                      for kind in ("admin", "business_admin", "accountant", "partner")
                      for u in [getattr(made, kind)]}
            return app, SimpleNamespace(group=SimpleNamespace(id=made.group.id), **people)
    return build


def _whoami():
    from flask_login import current_user
    return f"{current_user.username} {','.join(sorted(current_user.roles))}"


def _queries(app, client, url):
    with app.app_context():
        engine = db.engine
    with QueryCounter(engine) as counter:
        response = client.get(url)
    return response, counter.count


def _in_another_process(statements: str) -> None:
    """Run ``statements`` in a new Python process with an app on the same database (a worker, the CLI)."""
    script = textwrap.dedent("""
        import sqlalchemy as sa
        from core.extensions import db
        from core.models import User
        from tests.conftest import make_app
        app = make_app()
        with app.app_context():
    """) + textwrap.indent(textwrap.dedent(statements), " " * 4) + "\n    db.session.commit()\n"
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60,
                   env={**os.environ, "DATABASE_URL": database_url()})


def _user(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_a_kept_user_costs_no_query_and_a_loaded_one_costs_one(probed):
    app, t = probed()
    client = login(app.test_client(), t.admin.username)
    first, loading = _queries(app, client, "/_probe")
    kept, none = _queries(app, client, "/_probe")
    assert first.get_data(as_text=True) == kept.get_data(as_text=True) == "one_admin admin"
    assert (loading, none) == (1, 0)

    app, t = probed(SIGNIN_CACHE_SECONDS=0)  # several hosts: every request asks the database
    client = login(app.test_client(), t.admin.username)
    assert [_queries(app, client, "/_probe")[1] for _ in range(2)] == [1, 1]
    assert "gentou_signins" not in app.extensions


def test_changes_in_this_process_take_effect_on_the_next_request(probed):
    app, t = probed()
    client = login(app.test_client(), t.admin.username)
    assert client.get("/admin/projects").status_code == 200
    with app.app_context():
        _user(t.admin.username).set_roles([roles.PARTNER])
        db.session.commit()
    assert client.get("/admin/projects").status_code == 403
    assert client.get("/_probe").get_data(as_text=True) == "one_admin partner"

    with app.app_context():
        _user(t.admin.username).revoke_sessions()
        db.session.commit()
    signed_out = client.get("/_probe")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]

    partner = login(app.test_client(), t.partner.username)
    assert partner.get("/_probe").status_code == 200
    with app.app_context():
        _user(t.partner.username).active = False
        db.session.commit()
    assert partner.get("/_probe").status_code == 302


def test_sql_that_names_the_tables_takes_effect_too(probed):
    """A Core or text statement (a bulk change, a script's SQL) is seen by the table names it writes."""
    app, t = probed()
    client = login(app.test_client(), t.business_admin.username)
    assert client.get("/_probe").get_data(as_text=True) == "one_hh business_admin"
    with app.app_context():
        db.session.execute(sa.text("UPDATE core_user_role SET role = 'partner' WHERE user_id = :id"),
                           {"id": t.business_admin.id})
        db.session.commit()
    assert client.get("/_probe").get_data(as_text=True) == "one_hh partner"
    with app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE core_user SET active = false WHERE id = %d" % t.business_admin.id)
    assert client.get("/_probe").status_code == 302


def test_changes_in_another_process_take_effect_on_the_next_request(probed):
    app, t = probed()
    admin = login(app.test_client(), t.admin.username)
    partner = login(app.test_client(), t.partner.username)
    assert admin.get("/admin/projects").status_code == 200 and partner.get("/_probe").status_code == 200
    assert _queries(app, admin, "/_probe")[1] == 0

    _in_another_process(f"""
        admin = db.session.scalar(sa.select(User).where(User.id == {t.admin.id}))
        admin.set_roles(["partner"])
        db.session.scalar(sa.select(User).where(User.id == {t.partner.id})).revoke_sessions()
    """)
    assert admin.get("/admin/projects").status_code == 403
    assert admin.get("/_probe").get_data(as_text=True) == "one_admin partner"
    assert partner.get("/_probe").status_code == 302


def test_a_write_the_app_cannot_see_is_seen_after_signin_cache_seconds(probed):
    """psql, say: no engine of the app ran it, so only the entry's age makes it reload."""
    def revoke_outside(app, user_id):
        with app.app_context():
            outside = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with outside.begin() as conn:
            conn.execute(sa.text("UPDATE core_user SET session_token = 'elsewhere' WHERE id = :id"), {"id": user_id})
        outside.dispose()

    app, t = probed()
    assert app.config["SIGNIN_CACHE_SECONDS"] == 60
    client = login(app.test_client(), t.admin.username)
    assert client.get("/_probe").status_code == 200
    revoke_outside(app, t.admin.id)
    assert client.get("/_probe").status_code == 200  # kept: within the 60 seconds

    app, t = probed(SIGNIN_CACHE_SECONDS=1)
    client = login(app.test_client(), t.admin.username)
    assert client.get("/_probe").status_code == 200
    revoke_outside(app, t.admin.id)
    time.sleep(1.1)
    assert client.get("/_probe").status_code == 302


def test_two_users_kept_side_by_side_see_only_themselves(probed):
    app, t = probed()
    clients = {u.username: login(app.test_client(), u.username) for u in (t.admin, t.partner, t.accountant)}
    for _ in range(3):
        for username, client in clients.items():
            assert client.get("/_probe").get_data(as_text=True).split()[0] == username
    page = clients[t.partner.username].get("/me/messages").get_data(as_text=True)
    assert t.partner.name in page and t.admin.name not in page


def test_a_module_change_takes_effect_on_the_next_request(probed):
    from core.modules import disable, enable
    app, t = probed()
    with app.app_context():
        enable(t.group.id, "ledger", actor="test")
        db.session.commit()
    client = login(app.test_client(), t.admin.username)
    assert client.get("/ledger/").status_code == 200
    assert _queries(app, client, "/_probe")[1] == 0  # kept, with the company's modules_version
    with app.app_context():
        disable(t.group.id, "ledger")
        db.session.commit()
    assert client.get("/ledger/").status_code == 404
    with app.app_context():
        enable(t.group.id, "ledger", actor="test")
        db.session.commit()
    assert client.get("/ledger/").status_code == 200


def test_the_epochs_lie_beside_a_sqlite_database(probed):
    from core.epochs import SLOTS
    app, _t = probed()
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    path = app.extensions["gentou_epochs"].path
    if url.get_backend_name() == "sqlite":
        assert path == Path(f"{url.database}-epochs")
    else:
        assert path.parent == Path(app.instance_path) and "postgres" not in path.name
    assert path.stat().st_size == SLOTS * 8


def test_a_relative_sqlite_path_finds_the_same_epochs_from_any_folder(tmp_path, monkeypatch):
    """Flask-SQLAlchemy opens a relative SQLite path in the instance folder: a worker started in another
    folder than the web server must map the same epochs file, beside that database."""
    from core import create_app
    name = f"relative-{os.getpid()}.db"
    paths = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{name}", "SECRET_KEY": "x", "REDIS_URL": None},
                         plugins=[])
        paths.append(app.extensions["gentou_epochs"].path)
    try:
        assert paths[0] == paths[1] == Path(app.instance_path) / f"{name}-epochs"
    finally:
        paths[0].unlink(missing_ok=True)
