"""个人中心: the signed-in user's own pages; plugins add entries to the "personal" menu."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.extensions import db
from core.models import InboxMessage
from core.models.user import utcnow

bp = Blueprint("me", __name__, url_prefix="/me")


@bp.before_request
@login_required
def _signed_in():
    return None


def unread_count(user) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(InboxMessage).where(
        InboxMessage.recipient_id == user.id, InboxMessage.read_at.is_(None)))


@bp.route("/")
def index():
    return redirect(url_for("me.messages"))


@bp.route("/messages")
def messages():
    page = db.paginate(db.select(InboxMessage).where(InboxMessage.recipient_id == current_user.id)
                       .order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()),
                       per_page=20, error_out=False)
    return render_template("me/messages.html", page=page)


@bp.route("/messages/<int:message_id>")
def message(message_id):
    row = db.session.scalar(db.select(InboxMessage).where(InboxMessage.id == message_id,
                                                          InboxMessage.recipient_id == current_user.id))
    if row is None:
        abort(404)
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.commit()
    if request.args.get("go") and row.link.startswith("/"):
        return redirect(row.link)
    return render_template("me/message.html", message=row)
