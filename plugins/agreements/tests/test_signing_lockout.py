"""签署 asks for the password with the sign-in lock-out (core.lockout): guessing it locks the account."""
import re

from plugins.agreements.tests.test_agreements import world  # noqa: F401  (the fixture)
from core.extensions import db
from core.models import User
from tests.conftest import csrf_token, login, post
from tests.factories import PASSWORD
from tests.test_security import assert_secured


def sign(client, world, password):  # noqa: F811
    """签署 as the partner's page does it (with the version read, when the form carries it)."""
    page = client.get("/agreements/me").get_data(as_text=True)
    read = re.search(r'name="sha256" value="([0-9a-f]*)"', page)
    return post(client, f"/agreements/{world['tokens'][world['partner']]}/sign",
                {"password": password, "sha256": read.group(1) if read else ""},
                follow_redirects=True).get_data(as_text=True)


def test_guessing_the_signing_password_locks_the_account(app, world):  # noqa: F811
    client = login(app.test_client(), world["partner"])
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert "密码不正确，未签署" in sign(client, world, "wrong-password")
    assert "登录失败次数过多，账号已锁定，请 15 分钟后再试" in sign(client, world, "wrong-password")
    page = sign(client, world, PASSWORD)
    assert "账号已锁定" in page and "协议已签署" not in page
    other = app.test_client()
    refused = other.post("/login", data={"username": world["partner"], "password": PASSWORD,
                                         "csrf_token": csrf_token(other)})
    assert refused.status_code == 200 and "账号已锁定" in refused.get_data(as_text=True)


def test_signing_with_the_password_clears_earlier_failures(app, world):  # noqa: F811
    client = login(app.test_client(), world["partner"])
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        sign(client, world, "wrong-password")
    with app.app_context():
        partner = db.session.scalar(db.select(User).where(User.username == world["partner"]))
        assert partner.failed_logins == app.config["LOGIN_MAX_FAILURES"] - 1  # counted with the sign-in's
    assert "协议已签署并加盖电子印章" in sign(client, world, PASSWORD)
    other = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        other.post("/login", data={"username": world["partner"], "password": "x", "csrf_token": csrf_token(other)})
    assert login(app.test_client(), world["partner"])


def test_a_pdf_download_carries_the_security_headers(app, world):  # noqa: F811
    client = login(app.test_client(), world["partner"])
    response = client.get(f"/agreements/{world['tokens'][world['partner']]}/download")
    assert response.mimetype == "application/pdf"
    assert_secured(response)
