"""Pages: the admin's test connection and bindings; the micro app's sign-in and the event callback.

The public pages name their group company in the URL (/dingtalk/g/<group_code>/...); the host answers 404
when it does not exist or has not enabled the module.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core import roles
from core.audit import acting_as
from core.auth import public, roles_required, sign_in, url_group
from core.extensions import csrf, db
from core.jobs import enqueue
from core.models import User
from core.permissions import get_or_404
from core.redirects import redirect_back, safe_url
from core.tenancy import tenant
from core.versioning import claim
from plugins.dingtalk import approvals, crypto, services
from plugins.dingtalk.client import DingTalkError
from plugins.dingtalk.models import DingTalkBinding

bp = Blueprint("dingtalk", __name__, template_folder="templates")
log = logging.getLogger("gentou.dingtalk")
JSAPI = Path(__file__).parent / "static" / "dingtalk.open.js"  # DingTalk's JS API, if the operator vendored it
MICROAPP_JS = Path(__file__).parent / "static" / "microapp.js"
admin_only = roles_required(roles.ADMIN)


@bp.route("/settings/test", methods=["POST"])
@admin_only
def test_connection():
    """测试连接: fetch a token now (one of the two network calls allowed in a request)."""
    try:
        services.client_for(current_user.group_id).fetch_token()
    except services.NotConfigured as exc:
        flash(exc.reason, "danger")
    except DingTalkError as exc:
        flash(_("连接失败：%(reason)s", reason=exc.reason), "danger")
    else:
        flash(_("连接成功：已取得钉钉 access_token"), "success")
    return redirect(url_for("admin.module_settings", name=services.PLUGIN))


@bp.route("/bindings")
@admin_only
def bindings():
    unbound_only = request.args.get("unbound") == "1"
    query = db.select(User).where(User.active.is_(True)).order_by(User.username)
    if unbound_only:
        query = query.where(~User.id.in_(db.select(DingTalkBinding.user_id)))
    page = db.paginate(query, per_page=50, error_out=False)
    bound = services.userids(u.id for u in page.items)
    return render_template("dingtalk/bindings.html", page=page, bound=bound, unbound_only=unbound_only)


@bp.route("/bindings/lookup", methods=["POST"])
@admin_only
def lookup():
    """按手机号绑定: a job asks DingTalk; its result comes to the admin's messages."""
    enqueue(services.BIND_JOB, current_user.group_id, actor_id=current_user.id)
    db.session.commit()
    flash(_("正在按手机号查找钉钉账号，完成后结果会发送到您的消息中"), "info")
    return redirect(url_for("dingtalk.bindings"))


@bp.route("/bindings/<int:user_id>", methods=["POST"])
@admin_only
def set_binding(user_id):
    user = get_or_404(User, user_id)
    userid = (request.form.get("userid") or "").strip()
    try:
        if userid:
            services.bind(user, userid, current_user.username)
        else:
            services.unbind(user)
        claim(user)  # the binding is part of the user's account (账号及角色)
        db.session.commit()
    except ValueError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(_("已保存 %(name)s 的钉钉账号", name=user.name), "success")
    return redirect_back(url_for("dingtalk.bindings"))


@bp.route("/jsapi.js")
@public
def jsapi():
    if not JSAPI.is_file():
        abort(404)
    return send_file(JSAPI, mimetype="text/javascript", max_age=86400)


@bp.route("/microapp.js")
@public
def microapp_js():
    return send_file(MICROAPP_JS, mimetype="text/javascript", max_age=3600)


@bp.route("/g/<group_code>/app")
@public
def micro_app(group_code):
    """The micro app's home page: gets a one-time code from DingTalk's JS API and posts it."""
    group = url_group()
    target = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(safe_url(target))
    cfg = services.config(group.id)
    return render_template("dingtalk/app.html", group_code=group_code, corp_id=cfg["corp_id"], next=target or "",
                           has_jsapi=JSAPI.is_file(), error=None)


@bp.route("/g/<group_code>/login", methods=["POST"])
@public
def login(group_code):
    """Exchange the code (getuserinfo) and sign the bound user in; anything else is refused."""
    group = url_group()
    auth_code, target = (request.form.get("code") or "").strip(), request.form.get("next") or ""
    user, error = None, _("缺少登录码，请在钉钉中重新打开应用")
    if auth_code:
        try:
            info = services.client_for(group.id).user_by_code(auth_code)
        except services.NotConfigured as exc:
            error = exc.reason
        except DingTalkError as exc:
            error = exc.reason
        else:
            with tenant(group.id):
                binding = db.session.scalar(db.select(DingTalkBinding).where(DingTalkBinding.userid == info["userid"]))
                user = binding.user if binding and binding.user.is_active else None
            error = _("您的钉钉账号（%(name)s）尚未绑定本系统账号，请联系管理员", name=info.get("name", ""))
    if user is None:
        log.info("DingTalk sign-in refused for group %s: %s", group_code, error)
        cfg = services.config(group.id)
        return render_template("dingtalk/app.html", group_code=group_code, corp_id=cfg["corp_id"], next=target,
                               has_jsapi=JSAPI.is_file(), error=error), 403
    with tenant(group.id), acting_as(user.id, user.username):
        sign_in(user)
    return redirect(safe_url(target))


@bp.route("/g/<group_code>/callback", methods=["POST"])
@public
@csrf.exempt
def callback(group_code):
    """The event subscription: signature checked, decrypted, approvals completed once; answers "success"."""
    group = url_group()
    cfg = services.config(group.id)
    args = request.args
    given = args.get("signature") or args.get("msg_signature") or ""
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    encrypted = str((request.get_json(silent=True) or {}).get("encrypt") or "")
    try:
        if not cfg["callback_token"] or not cfg["callback_aes_key"]:
            raise crypto.CallbackError("callback token or aes_key not set")
        crypto.verify(cfg["callback_token"], timestamp, nonce, encrypted, given)
        message, owner = crypto.decrypt(cfg["callback_aes_key"], encrypted)
        if owner not in {cfg["corp_id"], cfg["app_key"]} - {""}:
            raise crypto.CallbackError(f"meant for {owner!r}")
        event = json.loads(message)
    except (crypto.CallbackError, ValueError) as exc:
        log.warning("DingTalk callback for %s refused: %s (from %s)", group_code, exc, request.remote_addr)
        abort(403)
    with tenant(group.id), acting_as(None, "dingtalk"):
        approvals.handle_event(event if isinstance(event, dict) else {})
        db.session.commit()
    reply = crypto.encrypt(cfg["callback_aes_key"], "success", owner)
    stamp, nonce = str(int(time.time() * 1000)), secrets.token_hex(8)
    return jsonify(msg_signature=crypto.signature(cfg["callback_token"], stamp, nonce, reply), timeStamp=stamp,
                   nonce=nonce, encrypt=reply)
