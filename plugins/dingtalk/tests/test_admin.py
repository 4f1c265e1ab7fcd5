"""The admin's side: settings and test connection, binding users, and tenancy on every route."""
import re

import sqlalchemy as sa

from core import roles, settings
from core.extensions import db
from core.models import InboxMessage, ModuleSetting, User
from core.tenancy import tenant
from plugins.dingtalk.models import DingTalkBinding
from plugins.dingtalk.services import parse_process_codes
from plugins.dingtalk.tests import fake_dingtalk as F
from plugins.dingtalk.tests.conftest import configure, queued, run_worker
from tests.conftest import STALE, form_version, login, post, save, two_saves
from tests.factories import make_user

SETTINGS = "/admin/modules/dingtalk/settings"


def flashes(page: str) -> list[str]:
    return [re.sub(r"<.*?>", "", m).strip() for m in re.findall(r'role="alert">(.*?)<button', page, re.S)]


def bindings(app, group_id) -> dict[str, str]:
    with app.app_context(), tenant(group_id):
        return dict(db.session.execute(sa.select(User.username, DingTalkBinding.userid)
                                       .join(User, User.id == DingTalkBinding.user_id)).all())


def test_settings_show_secrets_only_as_set_and_the_addresses_to_give_dingtalk(app, world):
    page = login(app.test_client(), world["admin"]).get(SETTINGS).get_data(as_text=True)
    for secret in (F.APP_SECRET, F.ROBOT_TOKEN, F.ROBOT_SECRET, F.CALLBACK_TOKEN, F.AES_KEY):
        assert secret not in page
    assert page.count("已设置（留空则不修改）") == 5
    assert F.APP_KEY in page and F.CORP_ID in page and str(F.AGENT_ID) in page
    assert "http://localhost/dingtalk/g/AAA/app" in page and "http://localhost/dingtalk/g/AAA/callback" in page
    assert "测试连接" in page and "按手机号绑定钉钉账号" in page
    with app.app_context(), tenant(world["group"]):
        stored = db.session.scalar(sa.select(ModuleSetting.value).where(ModuleSetting.key == "app_secret"))
    assert stored.startswith("enc:") and F.APP_SECRET not in stored


def test_bad_settings_are_refused_with_their_names_and_nothing_is_saved(app, world):
    admin = login(app.test_client(), world["admin"])
    page = post(admin, SETTINGS, {"app_key": "newkey", "agent_id": "12a", "callback_aes_key": "too-short",
                                  "robot_secret": "no-prefix", "process_codes": "ledger_calc PROC-1",
                                  "api_base": "oapi.dingtalk.com"}).get_data(as_text=True)
    [message] = flashes(page)
    assert message == "格式不正确：AgentId、群机器人加签密钥、事件订阅 aes_key、钉钉接口地址、审批模板编码"
    page = post(admin, SETTINGS, {"app_key": "newkey", "process_codes": "no_such_process=PROC-1"}).get_data(as_text=True)
    assert flashes(page) == ["格式不正确：审批模板编码"]
    with app.app_context():
        cfg = settings.values(world["group"], "dingtalk")
    assert (cfg["app_key"], cfg["callback_aes_key"], cfg["process_codes"]) == (F.APP_KEY, F.AES_KEY,
                                                                            "ledger_calc=PROC-PEAK")
    form = {k: v for k, v in cfg.items() if k not in ("app_secret", "robot_token", "robot_secret", "callback_token",
                                                      "callback_aes_key")}
    page = save(admin, SETTINGS, {**form, "process_codes": "ledger_calc=PROC-A；ledger_exit = PROC-B"},
                follow_redirects=True).get_data(as_text=True)
    assert flashes(page) == ["已保存 1 项设置"]
    with app.app_context():
        saved = settings.values(world["group"], "dingtalk")
    assert parse_process_codes(saved["process_codes"]) == {"ledger_calc": "PROC-A", "ledger_exit": "PROC-B"}
    assert (saved["app_key"], saved["app_secret"]) == (F.APP_KEY, F.APP_SECRET)


def test_test_connection_says_what_went_wrong_in_plain_words(app, world):
    fake, admin = world["fake"], login(app.test_client(), world["admin"])

    def press():
        return flashes(post(admin, "/dingtalk/settings/test", follow_redirects=True).get_data(as_text=True))

    assert press() == ["连接成功：已取得钉钉 access_token"]
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], fake.url, app_secret="wrong")
        db.session.commit()
    assert press() == ["连接失败：AppKey 或 AppSecret 不正确 (40096)"]
    fake.fail_next("/gettoken", {"errcode": 60020, "errmsg": "访问ip不在白名单之中"})
    assert press() == ["连接失败：服务器出口IP不在钉钉应用的白名单中 (60020)"]
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], fake.url + "/wrong-path")
        db.session.commit()
    assert press() == ["连接失败：钉钉接口地址不正确：HTTP 404"]
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], "http://127.0.0.1:1")
        db.session.commit()
    [refused] = press()
    assert refused.startswith("连接失败：无法连接钉钉：ConnectionError")
    with app.app_context(), tenant(world["group"]):
        db.session.execute(sa.delete(ModuleSetting).where(ModuleSetting.key == "app_key"))
        db.session.commit()
    assert press() == ["钉钉设置不完整，请填写：AppKey"]
    assert fake.count("/gettoken") == 3


def users_with_mobiles(app, world, fake):
    with app.app_context(), tenant(world["group"]):
        for username, mobile, userid in (("m_found", "13800000001", "dt-found"), ("m_missing", "13800000002", None),
                                         ("m_nomobile", "", None), ("m_twin", "13800000001", None)):
            make_user(username, [roles.PARTNER], name=username, mobile=mobile)
            if userid:
                fake.add_user(userid, mobile=mobile)
        db.session.commit()


def test_bind_users_cli_binds_by_mobile_and_lists_who_was_not_found(app, world):
    fake = world["fake"]
    users_with_mobiles(app, world, fake)
    result = app.test_cli_runner().invoke(args=["gentou", "dingtalk", "bind-users", "--company", "AAA"])
    assert result.exit_code == 0, result.output
    assert "bound 1 users\n  m_found (m_found) -> dt-found\n" in result.output
    assert "not bound: 6" in result.output
    for line in ("m_missing (m_missing): 钉钉中找不到手机号 13800000002", "m_nomobile (m_nomobile): 未填写手机号",
                 "m_twin (m_twin): 手机号对应的钉钉账号已绑定到 m_found"):
        assert line in result.output
    assert bindings(app, world["group"])["m_found"] == "dt-found"
    again = app.test_cli_runner().invoke(args=["gentou", "dingtalk", "bind-users", "--company", "AAA"])
    assert "bound 0 users" in again.output  # those not found are asked again: they may have joined since
    assert fake.count("/topapi/v2/user/getbymobile") == 3 + 2
    bad = app.test_cli_runner().invoke(args=["gentou", "dingtalk", "bind-users", "--company", "NOPE"])
    assert bad.exit_code != 0 and "unknown group company" in bad.output


def test_bind_users_cli_stops_on_bad_credentials_and_waits_on_a_rate_limit(app, world):
    fake = world["fake"]
    users_with_mobiles(app, world, fake)
    fake.fail_next("/topapi/v2/user/getbymobile", {"errcode": 88, "errmsg": "限流", "sub_code": "90018"})
    with app.app_context():
        app.config["DINGTALK_MAX_WAIT"] = 0.1
        try:
            result = app.test_cli_runner().invoke(args=["gentou", "dingtalk", "bind-users", "--company", "AAA"])
        finally:
            app.config.pop("DINGTALK_MAX_WAIT")
    assert "bound 1 users" in result.output and fake.count("/topapi/v2/user/getbymobile") == 4
    with app.app_context(), tenant(world["group"]):
        db.session.execute(sa.delete(DingTalkBinding).where(DingTalkBinding.userid == "dt-found"))
        configure(world["group"], fake.url, app_secret="wrong")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["gentou", "dingtalk", "bind-users", "--company", "AAA"])
    assert result.exit_code != 0 and "AppKey 或 AppSecret 不正确 (40096)" in result.output
    assert "dt-found" not in bindings(app, world["group"]).values()


def test_the_bind_button_runs_a_job_and_sends_the_result_to_the_admin(app, world):
    fake, live = world["fake"], queued()
    users_with_mobiles(app, world, fake)
    admin = login(live.test_client(), world["admin"])
    response = post(admin, "/dingtalk/bindings/lookup", follow_redirects=True)
    assert flashes(response.get_data(as_text=True)) == ["正在按手机号查找钉钉账号，完成后结果会发送到您的消息中"]
    assert fake.calls == [] and "m_found" not in bindings(app, world["group"])
    run_worker(live)
    assert bindings(app, world["group"])["m_found"] == "dt-found"
    with app.app_context(), tenant(world["group"]):
        message = db.session.scalar(sa.select(InboxMessage).where(InboxMessage.title.like("钉钉账号绑定%")))
    assert message.title == "钉钉账号绑定：新绑定 1 人，6 人未绑定"
    assert "m_twin（m_twin）：手机号对应的钉钉账号已绑定到 m_found" in message.body
    assert "未绑定合伙人（aaa_unbound）：未填写手机号" in message.body


def test_two_admins_binding_one_user_at_once(app, world):
    url = f"/dingtalk/bindings/{world['unbound']}"
    page = two_saves(app, world["admin"], url, {"userid": "first-1"}, {"userid": "second-2"}, page="/dingtalk/bindings")
    assert STALE in page and bindings(app, world["group"])["aaa_unbound"] == "first-1"


def test_an_admin_sets_or_clears_a_userid_by_hand_with_clear_refusals(app, world):
    admin, unbound = login(app.test_client(), world["admin"]), world["unbound"]

    def save(userid):
        url = f"/dingtalk/bindings/{unbound}"
        version = form_version(admin, "/dingtalk/bindings", url)
        return flashes(post(admin, url, {"userid": userid, "version": version}, follow_redirects=True).get_data(as_text=True))

    assert save("has space") == ["钉钉 userid 只能包含字母、数字、下划线和连字符（最多 64 个）"]
    assert save("dt-aaa_p") == ["钉钉 userid dt-aaa_p 已绑定到 aaa_p"]
    assert save("manager-007") == ["已保存 未绑定合伙人 的钉钉账号"]
    assert bindings(app, world["group"])["aaa_unbound"] == "manager-007"
    page = admin.get("/dingtalk/bindings").get_data(as_text=True)
    assert 'value="manager-007"' in page and 'value="dt-aaa_p"' in page
    assert save("") == ["已保存 未绑定合伙人 的钉钉账号"]
    assert "aaa_unbound" not in bindings(app, world["group"])
    from core.extensions import babel
    babel.domain_instance.cache.clear()  # Flask-Babel caches per process: another test's app may have filled it
    english = admin.get("/dingtalk/bindings?lang=en").get_data(as_text=True)
    assert "Bind DingTalk accounts by mobile" in english and ">DingTalk accounts<" in english


def test_every_route_is_404_for_another_group_and_admin_pages_403_for_others(app, world):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("dingtalk.")]
    assert len(rules) == 9  # with the micro app's script (public, no group in its URL)
    ids = {"user_id": world["unbound"], "group_code": "AAA"}
    b_admin = login(app.test_client(), world["b_admin"])
    with app.app_context(), tenant(world["b_group"]):
        db.session.get(User, db.session.scalar(sa.select(User.id).where(User.username == world["b_admin"]))
                       ).set_roles(roles.ALL)
        db.session.commit()
    before = bindings(app, world["group"])
    checked = 0
    for rule in rules:
        path = rule.build(ids, append_unknown=False)[1]
        if "<" not in rule.rule or rule.endpoint == "dingtalk.jsapi":
            continue  # the group's own pages (its admin, its bindings): tested with its own data elsewhere
        if "GET" in rule.methods:
            assert b_admin.get(path).status_code == 404, path
        if "POST" in rule.methods:
            assert post(b_admin, path, {"userid": "hacked", "code": "x"}).status_code == 404, path
        checked += 1
    assert checked == 4 and bindings(app, world["group"]) == before
    b_page = b_admin.get("/dingtalk/bindings").get_data(as_text=True)
    assert "bbb_admin" in b_page and "aaa_" not in b_page
    partner = login(app.test_client(), "aaa_p")
    for path in ("/dingtalk/bindings", "/admin/modules/dingtalk/settings"):
        assert partner.get(path).status_code == 403
    for path in ("/dingtalk/settings/test", "/dingtalk/bindings/lookup", f"/dingtalk/bindings/{world['unbound']}"):
        assert post(partner, path, {"userid": "x"}).status_code == 403
    assert app.test_client().get("/dingtalk/bindings").status_code == 302  # to sign-in
