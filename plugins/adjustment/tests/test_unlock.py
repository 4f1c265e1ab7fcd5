"""解锁编辑 stays for corrections, but a money figure changed after approval needs a new review (the business
admin's 锁定) before 缴款 or a round uses it; the audit log shows who unlocked, what changed and who locked."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import AuditLog
from core.models.user import utcnow
from core.processes.models import PASSED, Review
from core.tenancy import tenant
from plugins.adjustment.tests.helpers import TODAY, flashes, investments, make_world, staff
from plugins.subscription.models import Initiation, Payment, Subscription
from tests.conftest import post, save

PARTNERS = [("shiwei", "realestate", "22066.67", None), ("jintao", "realestate", "11033.33", None)]


@pytest.fixture
def world(app):
    with app.app_context():
        world = make_world(partners=PARTNERS)
        with tenant(world["group"]):
            plan_id = db.session.scalar(sa.select(Initiation.id))
            review = Review(record_table="subscription_initiation", record_id=plan_id, project_id=world["project"],
                            title="方案", state=PASSED, submitted_by=world["kj"], submitted_at=utcnow(),
                            decided_by=world["hh"], decided_at=utcnow())
            db.session.add(review)
            db.session.commit()
            world["review"] = review.id
            world["jintao"] = db.session.scalar(sa.select(Subscription.id).where(
                Subscription.user_id == world["users"]["jintao"]))
        return world


def test_a_figure_changed_after_an_unlock_counts_only_after_a_new_review(app, world):
    kj, hh = staff(app, world)
    project = f"/subscription/projects/{world['project']}"
    post(hh, f"/reviews/{world['review']}/unlock", {"unlocked": "1"})
    response = save(kj, f"{project}/subscriptions/{world['jintao']}", {"investment": "11,000.00"},
                    page=f"{project}/subscriptions", follow_redirects=True)
    assert "已修改 JINTAO 的投资金额" in response.get_data(as_text=True), flashes(response.get_data(as_text=True))
    assert investments(app, world)["jintao"] == Decimal("11000.00")
    # Neither 缴款 nor a new round uses the changed figure before the review.
    refused = "认购方案已解锁编辑，修改后的金额须经业务管理员重新审核锁定后才能用于缴款"
    page = post(kj, f"{project}/payments/{world['jintao']}", {"paid_on": TODAY.isoformat(), "amount": "11,000"},
                follow_redirects=True).get_data(as_text=True)
    assert refused in page
    assert refused in post(kj, f"{project}/payments/notify", {"kind": "notice", "test": "0"},
                           follow_redirects=True).get_data(as_text=True)
    assert refused in post(kj, f"/adjustment/projects/{world['project']}/rounds",
                           {"kind": "peak", "new_peak": "1,200,000"}, follow_redirects=True).get_data(as_text=True)
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
    # The business admin reviews the change and locks the plan again: now 缴款 uses the new figure.
    post(hh, f"/reviews/{world['review']}/unlock", {"unlocked": "0"})
    page = post(kj, f"{project}/payments/{world['jintao']}", {"paid_on": TODAY.isoformat(), "amount": "11,000"},
                follow_redirects=True).get_data(as_text=True)
    assert "已确认 JINTAO 缴款 11,000.00 元" in page, flashes(page)
    assert "已缴清" in kj.get(f"{project}/payments").get_data(as_text=True)
    with app.app_context(), tenant(world["group"]):
        trail = db.session.execute(sa.select(AuditLog.actor, AuditLog.action, AuditLog.record_table, AuditLog.before,
                                             AuditLog.after).order_by(AuditLog.id)).all()
    steps = [(a, act) for a, act, table, _b, _a in trail if table in ("subscription_initiation",
                                                                        "subscription_subscription") and a != "system"]
    assert steps == [(world["hh"], "review:unlock"), (world["kj"], "update"), (world["hh"], "review:lock")], steps
    change = next(t for t in trail if t.record_table == "subscription_subscription" and t.action == "update")
    assert "11033.33" in str(change.before) and "11000.00" in str(change.after)
