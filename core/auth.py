"""Sign-in (登录) with hashed passwords, lock-out after repeated failures, and role checks."""
from __future__ import annotations

import datetime as dt
import functools

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from sqlalchemy.orm import selectinload

from core.extensions import db, login_manager
from core.models import User
from core.models.user import utcnow

bp = Blueprint("auth", __name__)


def public(view):
    """Mark a view as reachable without signing in (plugin blueprints require sign-in otherwise)."""
    view.gentou_public = True
    return view


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


@login_manager.user_loader
def load_user(user_id: str):
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id), options=[selectinload(User.role_rows)])


class LoginForm(FlaskForm):
    username = StringField(_l("账号"), validators=[DataRequired(_l("请输入账号"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码"))])


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(db.select(User).filter_by(username=form.username.data.strip()))
        now = utcnow()
        if user is not None and user.locked_until and user.locked_until > now:
            minutes = int((user.locked_until - now).total_seconds() // 60) + 1
            flash(_("登录失败次数过多，账号已锁定，请 %(m)s 分钟后再试。", m=minutes), "danger")
        elif user is not None and user.is_active and user.check_password(form.password.data):
            user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
            db.session.commit()
            login_user(user)
            if user.locale:
                session["lang"] = user.locale
            return redirect(_safe_next(request.args.get("next")))
        else:
            locked = False
            if user is not None:
                user.failed_logins += 1
                if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
                    minutes = current_app.config["LOGIN_LOCK_MINUTES"]
                    user.failed_logins, user.locked_until, locked = 0, now + dt.timedelta(minutes=minutes), True
                db.session.commit()
            if locked:
                flash(_("登录失败次数过多，账号已锁定，请 %(m)s 分钟后再试。", m=minutes), "danger")
            else:
                flash(_("账号或密码不正确"), "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
