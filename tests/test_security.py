"""Redirects, security headers, sessions that end on the server, sign-in throttling and 修改密码."""
import os
import re
import statistics
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import redis

from core.extensions import db
from core.models import AuditLog, User
from tests.conftest import csrf_token, login, make_app, post
from tests.factories import PASSWORD, make_tenant

# Values of ``next`` a browser could read as another site, or that broke the response before.
HOSTILE = [
    "//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example",
    "/ /evil.example", "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "///evil.example",
    "https:evil.example", "https://evil.example/x", "HTTPS://evil.example", "http:/\\evil.example",
    "javascript:alert(1)", " javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>",
    "%2F%2Fevil.example", "/%2F%2Fevil.example", "/%09/evil.example", "/%5Cevil.example",
    "/\u3000/evil.example", "/\u2028/evil.example", "\u200b//evil.example", "/\u00a0/evil.example",
    "/\x00/evil.example", "http://localhost@evil.example/", "/" + "a" * 5000,
    "/me/messages\r\nSet-Cookie: x=1",
]


def lands_on_this_site(location: str) -> bool:
    """Read the Location as a browser does (it drops tabs and newlines, takes \\ for /)."""
    if any(ch.isspace() or ord(ch) < 32 or ch in "\\\u200b" for ch in location) or len(location) > 2000:
        return False
    target = urlsplit(urljoin("http://localhost/login", location))
    return target.scheme == "http" and target.netloc == "localhost"


@pytest.fixture
def world(app):
    with app.app_context():
        t = make_tenant("AAA")
        return {"admin": t.admin.username, "partner": t.partner.username, "group": t.group.id}


def sign_in(client, username, password=PASSWORD, next_url=None, **kwargs):
    return client.post("/login", query_string={"next": next_url} if next_url is not None else None,
                       data={"username": username, "password": password, "csrf_token": csrf_token(client)}, **kwargs)


@pytest.mark.parametrize("next_url", HOSTILE)
def test_sign_in_never_redirects_off_the_site(app, world, next_url):
    response = sign_in(app.test_client(), world["admin"], next_url=next_url)
    assert response.status_code == 302
    assert lands_on_this_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("next_url, location", [("/me/messages?page=2", "/me/messages?page=2"),
                                                ("http://localhost/admin/users", "/admin/users"),
                                                ("/admin/users#x", "/admin/users#x"), ("", "/")])
def test_sign_in_follows_a_path_of_this_site(app, world, next_url, location):
    assert sign_in(app.test_client(), world["admin"], next_url=next_url).headers["Location"] == location


def test_a_page_redirects_back_only_to_this_site(app, world):
    from core import outbox
    from core.models import InboxMessage, Notice
    from core.tenancy import tenant
    with app.app_context(), tenant(world["group"]):
        admin = db.session.scalar(db.select(User).where(User.username == world["admin"]))
        outbox.notify(world["group"], [admin.id], "通知", "正文", link="/\\evil.example")
        db.session.commit()
        notice_id = db.session.scalar(db.select(Notice.id))
        message_id = db.session.scalar(db.select(InboxMessage.id))
    client = login(app.test_client(), world["admin"])
    for referer, location in (("https://evil.example/admin/notices", "/admin/notices"),
                              ("http://localhost/admin/notices?page=2", "/admin/notices?page=2")):
        response = post(client, f"/admin/notices/{notice_id}/retry", headers={"Referer": referer})
        assert response.headers["Location"] == location
    response = client.get(f"/me/messages/{message_id}?go=1")  # a stored link is checked the same way
    assert response.status_code == 200 and "正文" in response.get_data(as_text=True)


SECURITY_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}


def assert_secured(response):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.path, name)
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, response.request.path
    assert "unsafe-inline" not in csp and "http" not in csp


def test_every_kind_of_response_carries_the_security_headers(app, world):
    client = app.test_client()
    assert_secured(client.get("/login"))
    assert_secured(client.get("/static/gentou.css"))
    assert_secured(client.get("/no-such-page"))
    assert_secured(sign_in(client, world["partner"]))                 # a redirect
    assert_secured(client.get("/admin/projects"))                     # 403
    assert_secured(client.post("/logout"))                            # 400: no CSRF token
    assert_secured(app.test_client().get("/healthz"))                 # JSON
    broken = make_app(TESTING=False)
    broken.add_url_rule("/boom", "boom", lambda: 1 / 0)
    response = broken.test_client().get("/boom")
    assert response.status_code == 500
    assert_secured(response)


def test_pages_need_no_inline_script_or_style(app, world):
    """The policy refuses inline code: every page a user reaches renders without any."""
    client = login(app.test_client(), world["admin"])
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint in ("static", "auth.logout"):
            continue
        response = client.get(rule.rule)
        if response.mimetype != "text/html":
            continue
        assert_secured(response)
        page = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page), rule.rule
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=|javascript:", page), rule.rule
        checked += 1
    assert checked >= 10


def test_no_template_carries_inline_script_or_style():
    """Pages of modules not installed in this test app too (each plugin's templates)."""
    root = Path(__file__).resolve().parent.parent
    templates = [p for p in (root / "core").rglob("templates/**/*.html")]
    templates += [p for p in (root / "plugins").rglob("templates/**/*.html")]
    assert len(templates) > 30
    for path in templates:
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=\"|javascript:", text), path


def test_sign_out_ends_the_session_on_the_server(app, world):
    client = login(app.test_client(), world["admin"])
    copied = client.get_cookie("session").value
    other_device = login(app.test_client(), world["admin"])
    assert client.get("/admin/users").status_code == 200
    post(client, "/logout")
    replayed = app.test_client()
    replayed.set_cookie("session", copied)
    response = replayed.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert other_device.get("/admin/users").status_code == 302   # 退出 ends the user's every session
    assert login(app.test_client(), world["admin"]).get("/admin/users").status_code == 200


def test_a_deactivated_user_is_signed_out(app, world):
    client = login(app.test_client(), world["partner"])
    with app.app_context():
        db.session.scalar(db.select(User).where(User.username == world["partner"])).active = False
        db.session.commit()
    assert client.get("/me/messages").status_code == 302


def test_an_unknown_account_gets_the_answer_of_a_known_one(app, world):
    def attempt(username):
        started = time.perf_counter()
        response = sign_in(app.test_client(), username, password="wrong-guess-1")
        return response, time.perf_counter() - started

    known, unknown = [], []
    for i in range(app.config["LOGIN_MAX_FAILURES"]):
        (k, k_time), (u, u_time) = attempt(world["admin"]), attempt("no-such-user")
        known.append(k_time)
        unknown.append(u_time)
        k_page, u_page = k.get_data(as_text=True), u.get_data(as_text=True)
        assert k.status_code == u.status_code == 200
        message = "账号或密码不正确" if i < app.config["LOGIN_MAX_FAILURES"] - 1 else "账号已锁定，请 15 分钟后再试"
        assert message in k_page and message in u_page, i
    # Both hash the password: comparable time (before, an unknown name answered ~50 times faster).
    assert statistics.median(unknown) > 0.5 * statistics.median(known), (known, unknown)
    page = sign_in(app.test_client(), "no-such-user").get_data(as_text=True)
    assert "账号已锁定" in page


def test_failures_from_one_address_are_throttled(app, world):
    limit = app.config["LOGIN_ADDRESS_MAX_FAILURES"]
    assert limit == 30 and app.config["LOGIN_ADDRESS_WINDOW_MINUTES"] == 15
    client = app.test_client()
    for i in range(limit):
        assert "账号或密码不正确" in sign_in(client, f"guess{i}", password="x").get_data(as_text=True)
    refused = sign_in(client, world["admin"])
    assert refused.status_code == 200 and "登录失败次数过多，请 15 分钟后再试" in refused.get_data(as_text=True)
    spoofed = sign_in(client, world["admin"], headers={"X-Forwarded-For": "10.1.2.3"})
    assert spoofed.status_code == 200  # X-Forwarded-For is not trusted unless configured
    elsewhere = app.test_client()
    assert sign_in(elsewhere, world["admin"], environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_counts(app, world):
    proxied = make_app(TRUSTED_PROXIES=1, LOGIN_ADDRESS_MAX_FAILURES=2)
    client = proxied.test_client()
    for _ in range(2):
        sign_in(client, "nobody", password="x", headers={"X-Forwarded-For": "10.1.2.3"})
    assert "登录失败次数过多" in sign_in(client, world["admin"], headers={"X-Forwarded-For": "10.1.2.3"}).get_data(
        as_text=True)
    assert sign_in(client, world["admin"], headers={"X-Forwarded-For": "10.1.2.4"}).status_code == 302


def test_with_redis_every_process_shares_the_counts(app, world):
    url = os.environ.get("GENTOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    store = redis.Redis.from_url(url)
    for key in store.scan_iter("gentou:signin:*"):
        store.delete(key)
    first, second = make_app(REDIS_URL=url), make_app(REDIS_URL=url)
    try:
        for i in range(first.config["LOGIN_MAX_FAILURES"]):
            sign_in(first.test_client(), "ghost-account", password="x")
        assert "账号已锁定" in sign_in(second.test_client(), "ghost-account").get_data(as_text=True)
        assert 0 < store.ttl("gentou:signin:addr:127.0.0.1") <= 15 * 60
    finally:
        for key in store.scan_iter("gentou:signin:*"):
            store.delete(key)


def test_users_change_their_own_password(app, world):
    client = login(app.test_client(), world["partner"])
    elsewhere = login(app.test_client(), world["partner"])
    page = client.get("/me/password").get_data(as_text=True)
    assert 'minlength="8"' in page and 'maxlength="128"' in page and "修改密码" in page
    cases = [({"current": "wrong-one-1", "new": "brand-new-pass", "confirm": "brand-new-pass"}, "当前密码不正确"),
             ({"current": PASSWORD, "new": "short", "confirm": "short"}, "密码至少需要 8 位"),
             ({"current": PASSWORD, "new": "x" * 129, "confirm": "x" * 129}, "密码最多 128 位"),
             ({"current": PASSWORD, "new": "brand-new-pass", "confirm": "brand-new-typo"}, "两次输入的新密码不一致")]
    for data, message in cases:
        response = post(client, "/me/password", data)
        assert response.status_code == 200 and message in response.get_data(as_text=True), message
    response = post(client, "/me/password", {"current": PASSWORD, "new": "brand-new-pass", "confirm": "brand-new-pass"},
                    follow_redirects=True)
    assert "密码已修改" in response.get_data(as_text=True)
    assert client.get("/me/messages").status_code == 200        # this session goes on
    assert elsewhere.get("/me/messages").status_code == 302     # the others end
    assert sign_in(app.test_client(), world["partner"]).status_code == 200
    assert sign_in(app.test_client(), world["partner"], password="brand-new-pass").status_code == 302
    with app.app_context():
        entries = db.session.scalars(db.select(AuditLog).where(AuditLog.record_table == "core_user")).all()
        changed = [e for e in entries if e.action == "password"]
        assert len(changed) == 1 and world["partner"] in changed[0].summary
        text = " ".join(f"{e.summary} {e.before} {e.after}" for e in entries)
        assert "brand-new-pass" not in text and PASSWORD not in text and "scrypt" not in text and "pbkdf2" not in text


def test_guessing_the_current_password_locks_the_account(app, world):
    client = login(app.test_client(), world["partner"])
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        page = post(client, "/me/password", {"current": "guess-guess", "new": "brand-new-pass",
                                             "confirm": "brand-new-pass"}).get_data(as_text=True)
    assert "账号已锁定" in page
    page = post(client, "/me/password", {"current": PASSWORD, "new": "brand-new-pass",
                                         "confirm": "brand-new-pass"}).get_data(as_text=True)
    assert "账号已锁定" in page
    assert "账号已锁定" in sign_in(app.test_client(), world["partner"]).get_data(as_text=True)
