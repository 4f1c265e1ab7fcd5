"""Notices and audit summaries are stored with their message id and parameters beside the text, and shown in
the reader's language; an older row (text only) shows its text; a recipient's channel gets their language."""
from core import outbox, redact
from core.extensions import babel, db
from core.i18n import gettext as _
from core.models import AuditLog, InboxMessage, User
from tests.conftest import login, post
from tests.factories import make_tenant


def page(client, url):
    babel.domain_instance.cache.clear()  # Flask-Babel caches per process: another test's app may have filled it
    return client.get(url).get_data(as_text=True)


def test_a_notice_in_the_reader_s_language_an_old_one_as_stored(app):
    with app.app_context():
        t = make_tenant("AAA")
        reader, reader_id, group_id = t.partner.username, t.partner.id, t.group.id
        outbox.notify(group_id, [reader_id], _("待审核：%(title)s", title=_("测试消息")),
                      _("%(title)s：%(state)s", title="靖江项目", state=_("测试")))
        db.session.commit()
        stored = db.session.scalar(db.select(InboxMessage))
        assert stored.title == "待审核：测试消息"  # the recipient's language (none chosen: the default, Chinese)
        assert stored.texts["title"] == {"msgid": "待审核：%(title)s",
                                         "params": {"title": {"msgid": "测试消息", "params": {}}}}
        outbox.notify(group_id, [reader_id], "旧消息：只有文字")
        db.session.commit()
        db.session.execute(db.update(InboxMessage).values(texts=None).where(InboxMessage.title == "旧消息：只有文字"))
        db.session.commit()
    client = login(app.test_client(), reader)
    chinese = page(client, "/me/messages")
    assert "待审核：测试消息" in chinese and "旧消息：只有文字" in chinese
    english = page(client, "/me/messages?lang=en")
    assert "Awaiting review: Test message" in english and "旧消息：只有文字" in english
    assert "待审核" not in english
    with app.app_context():
        message_id = db.session.scalar(db.select(InboxMessage.id).where(InboxMessage.title == "待审核：测试消息"))
    shown = page(client, f"/me/messages/{message_id}")
    assert "Awaiting review: Test message" in shown and "靖江项目: test" in shown


def test_a_recipient_s_channel_gets_the_recipient_s_language_at_send_time(app):
    with app.app_context():
        t = make_tenant("AAA")
        db.session.execute(db.update(User).where(User.id == t.partner.id).values(locale="en"))
        outbox.notify(t.group.id, [t.partner.id], _("待审核：%(title)s", title="靖江项目"))
        db.session.commit()
        assert db.session.scalar(db.select(InboxMessage.title)) == "Awaiting review: 靖江项目"


def test_an_audit_summary_in_the_reader_s_language_with_secrets_scrubbed(app):
    with app.app_context():
        t = make_tenant("AAA")
        admin, group_id = t.admin.username, t.group.id
        secret = "s3cret-token-abcdef"
        redact.remember(secret)
        outbox.notify(group_id, [t.partner.id], _("待审核：%(title)s", title=f"链接 https://x/?k={secret}"))
        db.session.commit()
        texts = db.session.scalar(db.select(InboxMessage.texts))
        assert secret not in str(texts) and texts["title"]["params"]["title"] == "链接 https://x/?k=***"
    client = login(app.test_client(), admin)
    assert post(client, "/admin/modules/ledger/enable").status_code == 302
    with app.app_context():
        row = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "enable"))
        assert row.summary == "启用模块 ledger" and row.texts["summary"]["msgid"] == "启用模块 %(name)s"
        db.session.add(AuditLog(group_id=group_id, at=row.at, actor="old", action="enable",
                                record_table="core_module_state", record_id="x", summary="旧的日志摘要"))
        db.session.commit()
    chinese = page(client, "/admin/audit-log")
    assert "启用模块 ledger" in chinese and "旧的日志摘要" in chinese
    english = page(client, "/admin/audit-log?lang=en")
    assert "Enable module ledger" in english and "启用模块 ledger" not in english and "旧的日志摘要" in english
