"""Sign-in inside DingTalk: the micro app's page posts a one-time code; only a good, bound one signs in."""
from core.extensions import db
from core.modules import disable
from tests.conftest import csrf_token, login

APP, LOGIN = "/dingtalk/g/AAA/app", "/dingtalk/g/AAA/login"


def post_code(client, code, next_url="/me/messages", url=LOGIN):
    return client.post(url, data={"code": code, "next": next_url, "csrf_token": csrf_token(client)})


def signed_in_as(client) -> str | None:
    response = client.get("/")
    if response.status_code != 200:
        return None
    page = response.get_data(as_text=True)
    return page.split('<span class="navbar-text me-3">')[1].split("（")[0]


def test_the_micro_app_page_asks_dingtalk_for_a_code_without_calling_it(app, world):
    page = app.test_client().get(APP + "?next=/me/messages").get_data(as_text=True)
    assert 'data-corp-id="dingcorp01"' in page and 'src="/dingtalk/microapp.js"' in page and "<script>" not in page
    assert "requestAuthCode" in app.test_client().get("/dingtalk/microapp.js").get_data(as_text=True)
    assert 'action="/dingtalk/g/AAA/login"' in page and 'value="/me/messages"' in page
    assert "//g.alicdn.com" not in page and "https://" not in page  # nothing from a CDN
    assert world["fake"].calls == []


def test_a_good_code_signs_the_bound_user_in_once(app, world):
    fake, client = world["fake"], app.test_client()
    code = fake.issue_code("dt-aaa_p")
    response = post_code(client, code)
    assert response.status_code == 302 and response.headers["Location"] == "/me/messages"
    assert signed_in_as(client) == "aaa_p"
    assert fake.bodies("/topapi/v2/user/getuserinfo") == [{"code": code}]
    again = app.test_client()
    used = post_code(again, code)
    assert used.status_code == 403
    assert "登录码无效、已使用或已过期，请重新打开应用 (40078)" in used.get_data(as_text=True)
    assert signed_in_as(again) is None


def test_a_forged_an_expired_or_an_unbound_code_is_refused(app, world):
    fake = world["fake"]
    fake.add_user("dt-stranger", name="陌生人")
    for code, message in (("forged-code-123", "登录码无效、已使用或已过期"),
                          (fake.issue_code("dt-aaa_p", ttl=-1), "登录码无效、已使用或已过期"),
                          (fake.issue_code("dt-stranger"), "您的钉钉账号（陌生人）尚未绑定本系统账号，请联系管理员"),
                          ("", "缺少登录码")):
        client = app.test_client()
        response = post_code(client, code)
        assert response.status_code == 403 and message in response.get_data(as_text=True), code
        assert signed_in_as(client) is None


def test_an_unsafe_next_goes_home_and_a_signed_in_user_skips_the_page(app, world):
    client = app.test_client()
    response = post_code(client, world["fake"].issue_code("dt-aaa_p"), next_url="//evil.example.com/")
    assert response.headers["Location"] == "/"
    assert client.get(APP + "?next=/me/messages").headers["Location"] == "/me/messages"


def test_unknown_or_disabled_company_or_another_companys_user_gets_404(app, world):
    client = app.test_client()
    assert client.get("/dingtalk/g/NOPE/app").status_code == 404
    assert post_code(client, "x", url="/dingtalk/g/NOPE/login").status_code == 404
    b_admin = login(app.test_client(), world["b_admin"])
    assert b_admin.get(APP).status_code == 404
    assert post_code(b_admin, world["fake"].issue_code("dt-aaa_p")).status_code == 404
    assert signed_in_as(b_admin) == "bbb_admin"
    with app.app_context():
        disable(world["group"], "dingtalk")
        db.session.commit()
    assert client.get(APP).status_code == 404
    assert post_code(client, world["fake"].issue_code("dt-aaa_p")).status_code == 404
    assert world["fake"].count("/topapi/v2/user/getuserinfo") == 0
