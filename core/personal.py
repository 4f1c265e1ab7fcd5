"""个人中心: the signed-in user's own pages; plugins add entries to the "personal" menu."""
import functools

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from core import lockout
from core.admin.users import password_problem
from core.audit import record_action
from core.epochs import Kept
from core.extensions import db
from core.forms import Form
from core.models import InboxMessage
from core.models.user import utcnow
from core.redirects import safe_url

bp = Blueprint("me", __name__, url_prefix="/me")


@bp.before_request
@login_required
def _signed_in():
    return None


@functools.cache
def _unread_statement():
    return (db.select(db.func.count()).select_from(InboxMessage.__table__)
            .where(InboxMessage.recipient_id == sa.bindparam("recipient_id"), InboxMessage.read_at.is_(None)))


def unread_count(user) -> int:
    """The badge on every page: a Core count on (recipient, unread) built once, of the user's own rows only,
    so it needs neither the ORM nor the tenant criteria (a tenth of the cost). Kept per user while no message
    is written (``LIST_CACHE_SECONDS``, as the lists), so a page needs no database connection for it."""
    def count():
        return db.session.connection().execute(_unread_statement(), {"recipient_id": user.id}).scalar_one()
    kept = current_app.extensions.get("gentou_unread")
    return kept.get(user.id, count) if kept is not None else count()


def install(app) -> None:
    if app.config["LIST_CACHE_SECONDS"] > 0:
        app.extensions["gentou_unread"] = Kept(app.extensions["gentou_epochs"], ["core_inbox_message"],
                                               app.config["LIST_CACHE_SECONDS"])


@bp.route("/")
def index():
    return redirect(url_for("me.messages"))


@bp.route("/messages")
def messages():
    return render_template("me/messages.html", rows=lambda: db.paginate(
        db.select(InboxMessage).where(InboxMessage.recipient_id == current_user.id)
        .order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()), per_page=20, error_out=False))


@bp.route("/messages/<int:message_id>")
def message(message_id):
    row = db.session.scalar(db.select(InboxMessage).where(InboxMessage.id == message_id,
                                                          InboxMessage.recipient_id == current_user.id))
    if row is None:
        abort(404)
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.commit()
    if request.args.get("go") and safe_url(row.link, "") == row.link:
        return redirect(row.link)
    return render_template("me/message.html", message=row)


class PasswordForm(Form):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码"))])
    new = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码"))])
    confirm = PasswordField(_l("确认新密码"), validators=[DataRequired(_l("请再次输入新密码")),
                                                     EqualTo("new", message=_l("两次输入的新密码不一致"))])


@bp.route("/password", methods=["GET", "POST"])
def password():
    """修改密码: the current password (with the sign-in lock-out), the rules of 账号及角色; other sessions end."""
    user, form = current_user._get_current_object(), PasswordForm()
    limits = {"minlength": current_app.config["PASSWORD_MIN_LENGTH"],
              "maxlength": current_app.config["PASSWORD_MAX_LENGTH"], "autocomplete": "new-password"}
    form.new.render_kw = form.confirm.render_kw = limits
    form.current.render_kw = {"autocomplete": "current-password", "maxlength": limits["maxlength"]}
    if form.validate_on_submit():
        refused = lockout.check(user, form.current.data, user.username, wrong=_("当前密码不正确"))
        problem = refused or password_problem(form.new.data)
        if problem:
            db.session.rollback()
            (form.current if refused else form.new).errors.append(problem)
        else:
            user.set_password(form.new.data)  # a new session token: every other session ends
            record_action(db.session, user.group_id, "password", "core_user", user.id,
                          _("%(name)s 修改了密码", name=user.username))
            db.session.commit()
            login_user(user)
            flash(_("密码已修改，其他设备上的登录已退出"), "success")
            return redirect(url_for("me.password"))
    return render_template("me/password.html", form=form)
