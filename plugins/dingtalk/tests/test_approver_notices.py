"""The approver is told of a 送审 and the submitter of the decision on every personal channel the
company enabled: here the inbox and DingTalk work notices (against the fake)."""
import sqlalchemy as sa

from core.extensions import db
from core.models import Notice, NoticeBatch, User
from core.tenancy import tenant
from tests.conftest import login, post

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


def sent_to(app, world, kind) -> set:
    with app.app_context(), tenant(world["group"]):
        return set(db.session.execute(sa.select(Notice.channel, User.username).join(
            NoticeBatch, NoticeBatch.id == Notice.batch_id).join(User, User.id == Notice.recipient_id)
            .where(NoticeBatch.kind == kind)).all())


def test_review_submitted_and_decided_reach_inbox_and_dingtalk(app, world):
    kj, hh = login(app.test_client(), world["accountant"]), login(app.test_client(), world["hh"])
    entry_id = int(post(kj, f"/ledger/projects/{world['project']}/entries", {"amount": "5.00", "note": "测算"}).data)
    review_id = int(post(kj, f"/ledger/entries/{entry_id}/submit").data)
    assert sent_to(app, world, "review.submitted") == {("inbox", world["hh"]), ("dingtalk_work", world["hh"])}
    post(hh, f"/reviews/{review_id}/decide", {"decision": "return", "comment": "金额有误"})
    assert sent_to(app, world, "review.decided") == {("inbox", world["accountant"]),
                                                     ("dingtalk_work", world["accountant"])}
    assert [b["userid_list"] for b in world["fake"].bodies(ASYNCSEND)] == [f"dt-{world['accountant']}"]
