"""Background generation of agreements."""
from core.i18n import gettext as _

from core.extensions import db
from plugins.agreements import services
from plugins.agreements.models import GenerationItem


def generate(subscription_id: int) -> str:
    """After SubscriptionConfirmed: the partner's agreement (or a supplementary one)."""
    agreement = services.generate(subscription_id)
    return agreement.number if agreement else "nothing due"


def generate_item(item_id: int) -> str:
    """One agreement of a 批量生成 batch; a failure is recorded on the item, not retried."""
    item = db.session.scalar(db.select(GenerationItem).where(GenerationItem.id == item_id))
    if item is None or item.state != "pending":
        return "skipped"
    try:
        agreement = services.generate(item.subscription_id)
        if agreement is None:
            raise services.AgreementError(_("该合伙人没有确认的投资金额"))
        item.state = "done"
    except Exception as exc:  # record why, so the batch's progress shows it
        db.session.rollback()
        item = db.session.scalar(db.select(GenerationItem).where(GenerationItem.id == item_id))
        item.state, item.error = "failed", str(exc)[:500]
    db.session.commit()
    return item.state
