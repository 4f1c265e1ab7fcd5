"""Sign-in (登录) with hashed passwords, lock-out after repeated failures, and role checks."""
from __future__ import annotations

import functools

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from core.i18n import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from core import lockout, signins
from core.extensions import db, login_manager
from core.forms import Form
from core.models import GroupCompany, User
from core.models.user import utcnow
from core.redirects import safe_url

bp = Blueprint("auth", __name__)


def public(view):
    """Mark a view as reachable without signing in (plugin blueprints require sign-in otherwise)."""
    view.gentou_public = True
    return view


def url_group():
    """The group company named by the view's ``<group_code>`` argument, resolved and gated by the host.

    A plugin view with ``<group_code>`` in its rule answers 404 before it runs when no group company has that
    code, the company has not enabled the plugin, or the signed-in user belongs to another company.
    """
    return g.gentou_url_group


def roles_required(*roles):
    """Only users holding one of ``roles`` may call the view; others get 403."""
    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate


@functools.cache
def _user_statement():
    """Built once: constructing the statement cost as much as running it."""
    return (db.select(User, GroupCompany).join(GroupCompany, GroupCompany.id == User.group_id)
            .options(joinedload(User.role_rows)).where(User.id == sa.bindparam("user_id"))
            .execution_options(all_tenants=True))


@login_manager.user_loader
def load_user(session_id: str):
    """The session's user, when the session is still theirs: ``<id>.<token>``, the token of User.session_token.

    Kept in the process between requests (core.signins); when not kept, one statement loads the user, their
    roles and their group company, whose ``modules_version`` the host's gate reads next, so a signed-in request
    needs no other query before its view, and none at all while its user is kept.
    """
    user_id, _dot, token = session_id.partition(".")
    if not user_id.isdigit() or not token:
        return None

    def load():
        found = db.session.execute(_user_statement(), {"user_id": int(user_id)}).unique().first()
        if found is None or not (found[0].is_active and found[0].holds_session(token)):
            return None
        return found
    return signins.signed_in(session_id, load)


class LoginForm(Form):
    username = StringField(_l("账号"), validators=[DataRequired(_l("请输入账号"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码"))])


def sign_in(user: User) -> None:
    """Start a session for ``user``, whose password or DingTalk code was checked; commits."""
    user.last_login_at = utcnow()
    if not user.session_token:
        user.revoke_sessions()
    db.session.commit()
    login_user(user)
    if user.locale:
        session["lang"] = user.locale


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        user = db.session.scalar(db.select(User).filter_by(username=username))
        refused = lockout.check(user, form.password.data, username)
        if refused is None:
            sign_in(user)
            return redirect(safe_url(request.args.get("next")))
        db.session.rollback()
        flash(refused, "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """退出: the session ends here and on the server (a copy of its cookie no longer signs in)."""
    if current_user.is_authenticated:
        current_user.revoke_sessions()
        db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))
