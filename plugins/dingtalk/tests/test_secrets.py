"""Secrets never leave the server: with DingTalk unreachable, no page, row or log line carries one."""
import logging

import sqlalchemy as sa

from core import outbox
from core.audit import record_action
from core.extensions import db
from core.models import InboxMessage, Notice
from core.models.audit import AuditLog
from core.tenancy import tenant
from plugins.dingtalk.tests import fake_dingtalk as F
from plugins.dingtalk.tests.conftest import configure
from tests.conftest import csrf_token, login, post

SECRETS = (F.APP_SECRET, F.ROBOT_TOKEN, F.ROBOT_SECRET, F.CALLBACK_TOKEN, F.AES_KEY)
UNREACHABLE = "http://127.0.0.1:1"  # nothing listens: requests' error text would carry the whole URL


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in (text or "")]


def test_no_secret_in_any_page_row_or_log_line_when_dingtalk_is_unreachable(app, world, caplog):
    caplog.set_level(logging.DEBUG)
    group = world["group"]
    with app.app_context(), tenant(group):
        configure(group, UNREACHABLE)
        db.session.commit()
    pages = []
    visitor = app.test_client()
    token = csrf_token(visitor)
    signin = visitor.post("/dingtalk/g/AAA/login", data={"code": "some-code", "next": "/me/messages",
                                                          "csrf_token": token})
    pages.append(signin.get_data(as_text=True))
    assert "无法连接钉钉：ConnectionError" in pages[-1]
    admin = login(app.test_client(), world["admin"])
    tested = post(admin, "/dingtalk/settings/test", follow_redirects=True).get_data(as_text=True)
    assert "连接失败：无法连接钉钉：ConnectionError" in tested
    pages.append(tested)
    post(admin, "/dingtalk/bindings/lookup")  # its job fails and tells the admin why, in the inbox
    with app.app_context(), tenant(group):
        outbox.notify(group, [world["partner"]], "认购通知", "请认购", channels_=("dingtalk_work", "dingtalk_robot"))
        # A plugin that put a secret into a message or an audit entry by mistake: the host scrubs it.
        outbox.notify(group, [world["partner"]], f"密钥 {F.APP_SECRET}", f"token={F.ROBOT_TOKEN}&k={F.AES_KEY}")
        record_action(db.session, group, "test", "core_notice", 0, f"secret {F.ROBOT_SECRET}",
                      after={"reason": f"https://x/robot/send?access_token={F.ROBOT_TOKEN}"})
        db.session.commit()
    with app.app_context(), tenant(group):
        notices = db.session.scalars(sa.select(Notice)).all()
        assert {n.state for n in notices if n.channel.startswith("dingtalk")} == {"pending"}
        rows = [f"{n.title} {n.body} {n.last_error}" for n in notices]
        rows += [f"{m.title} {m.body}" for m in db.session.scalars(sa.select(InboxMessage))]
        rows += [f"{a.summary} {a.before} {a.after}" for a in db.session.scalars(sa.select(AuditLog))]
    assert any("无法连接钉钉：ConnectionError" in row for row in rows)
    assert any("密钥 ***" in row for row in rows) and any("token=***&k=***" in row for row in rows)
    for url in ("/admin/notices", "/admin/notices?state=pending", "/admin/audit-log", "/me/messages"):
        pages.append(admin.get(url).get_data(as_text=True))
    assert "无法连接钉钉" in pages[-4]
    logged = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert any("unreachable" in line or "ConnectionError" in line for line in logged)
    assert [leak for text in pages + rows + logged for leak in leaks(text)] == []
