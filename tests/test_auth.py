"""Sign-in, lock-out, CSRF, cookies, health."""
import pytest

from core.extensions import db
from core.models import User
from tests.conftest import csrf_token, login, make_app, post
from tests.factories import make_tenant


@pytest.fixture
def tenant_a(app):
    with app.app_context():
        t = make_tenant("AAA")
        return t.admin.username


def test_sign_in_and_out(client, tenant_a):
    login(client, tenant_a)
    assert client.get("/admin/projects").status_code == 200
    post(client, "/logout")
    assert client.get("/admin/projects").status_code in (302, 403)


def test_wrong_password_is_refused_without_saying_which_part(client, tenant_a):
    response = client.post("/login", data={"username": tenant_a, "password": "nope-nope",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert "账号或密码不正确" in response.get_data(as_text=True)
    response = client.post("/login", data={"username": "nobody", "password": "nope-nope",
                                           "csrf_token": csrf_token(client)})
    assert "账号或密码不正确" in response.get_data(as_text=True)


def test_lock_out_after_repeated_failures(app, client, tenant_a):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        client.post("/login", data={"username": tenant_a, "password": "bad-guess", "csrf_token": csrf_token(client)})
    page = client.post("/login", data={"username": tenant_a, "password": "bad-guess",
                                       "csrf_token": csrf_token(client)}).get_data(as_text=True)
    assert "账号已锁定" in page
    # Even the right password is refused while locked.
    from tests.factories import PASSWORD
    page = client.post("/login", data={"username": tenant_a, "password": PASSWORD,
                                       "csrf_token": csrf_token(client)}).get_data(as_text=True)
    assert "登录失败次数过多，账号已锁定" in page
    assert client.get("/admin/projects").status_code != 200


def test_inactive_user_cannot_sign_in(app, client, tenant_a):
    with app.app_context():
        db.session.scalar(db.select(User).where(User.username == tenant_a)).active = False
        db.session.commit()
    from tests.factories import PASSWORD
    page = client.post("/login", data={"username": tenant_a, "password": PASSWORD,
                                       "csrf_token": csrf_token(client)}).get_data(as_text=True)
    assert "账号或密码不正确" in page


def test_post_without_csrf_token_is_refused(app, client, tenant_a):
    login(client, tenant_a)
    response = client.post("/admin/batches", data={"name": "2030年1月"})
    assert response.status_code == 400
    response = client.post("/login", data={"username": tenant_a, "password": "x"})
    assert response.status_code == 400
    page = client.get("/admin/batches").get_data(as_text=True)
    assert "2030年1月" not in page


def test_session_cookie_is_httponly_and_samesite(client, tenant_a):
    from tests.factories import PASSWORD
    response = client.post("/login", data={"username": tenant_a, "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_open_redirect_is_not_followed(client, tenant_a):
    from tests.factories import PASSWORD
    response = client.post("/login?next=//evil.example/x", data={
        "username": tenant_a, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_health_reports_database_and_redis(app):
    assert app.test_client().get("/healthz").get_json() == {"status": "ok", "database": "ok", "redis": "absent"}
    import os
    live = make_app(REDIS_URL=os.environ.get("GENTOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    assert live.test_client().get("/healthz").get_json()["redis"] == "ok"
    dead = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = dead.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "degraded", "database": "ok", "redis": "down"}
    broken = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "down"


def test_english_catalogue(client, tenant_a):
    login(client, tenant_a)
    page = client.get("/admin/projects?lang=en").get_data(as_text=True)
    assert "Projects" in page and "项目维护" not in page
    page = client.get("/admin/projects").get_data(as_text=True)
    assert "Projects" in page  # the choice sticks for the session
    page = client.get("/admin/projects?lang=zh").get_data(as_text=True)
    assert "项目维护" in page
