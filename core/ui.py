"""Menus, template filters and error pages shared by every screen."""
from __future__ import annotations

import datetime as dt
import decimal
from zoneinfo import ZoneInfo

from flask import current_app, flash, g, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from core import i18n, roles, signins
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.declarations import MenuItem
from core.extensions import db
from core.review import RecordLocked
from core.redirects import redirect_back

SHANGHAI = ZoneInfo("Asia/Shanghai")

CORE_MENU = [
    MenuItem(_l("首页"), "home.index", "main", 0),
    MenuItem(_l("后台管理"), "admin.projects", "main", 900, (roles.ADMIN,)),
    MenuItem(_l("城市公司"), "admin.companies", "admin", 10, (roles.ADMIN,)),
    MenuItem(_l("项目维护"), "admin.projects", "admin", 20, (roles.ADMIN,)),
    MenuItem(_l("账号及角色"), "admin.users", "admin", 30, (roles.ADMIN,)),
    MenuItem(_l("方案审核"), "reviews.queue", "main", 700, roles.PROJECT_ROLES),
    MenuItem(_l("个人中心"), "me.messages", "main", 800),
    MenuItem(_l("消息"), "me.messages", "personal", 90),
    MenuItem(_l("修改密码"), "me.password", "personal", 95),
    MenuItem(_l("通知记录"), "admin.notices", "admin", 70, (roles.ADMIN,)),
    MenuItem(_l("模块"), "admin.modules", "admin", 80, (roles.ADMIN,)),
    MenuItem(_l("审批流程"), "admin.approval_providers", "admin", 85, (roles.ADMIN,)),
    MenuItem(_l("系统日志"), "admin.audit_log", "admin", 90, (roles.ADMIN,)),
]


def menu(section: str) -> list[MenuItem]:
    """Entries of ``section`` that the signed-in user may see, lightest first."""
    if not current_user.is_authenticated:
        return []
    cache = g.setdefault("_gentou_menu", {})
    if section not in cache:
        from core.modules import enabled_modules
        enabled = enabled_modules(current_user.group_id)
        user = current_user._get_current_object()
        items = CORE_MENU + current_app.extensions["gentou"].menu
        cache[section] = sorted(
            (i for i in items if i.section == section and (not i.plugin or i.plugin in enabled)
             and (not i.roles or user.has_role(*i.roles))),
            key=lambda i: (i.weight, str(i.label)))
    return cache[section]


_MARKER = 8_642_097_531_357_924_681  # an id no table reaches, replaced by each row's own


def url_template(endpoint: str, arg: str, **values):
    """``url_for(endpoint, **{arg: id})`` for many rows: the URL is built once, each row's only formats its
    integer id in (a list page's links cost a tenth). For rules whose ``arg`` is an ``int``."""
    head, found, tail = url_for(endpoint, **{arg: _MARKER}, **values).partition(str(_MARKER))
    if not found:
        raise ValueError(f"{endpoint}: {arg} does not appear in its URL as an integer")
    return lambda value: f"{head}{int(value)}{tail}"


def localtime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in Asia/Shanghai."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(SHANGHAI).strftime(fmt)


def money(value) -> str:
    """1234.5 -> "1,234.50"; blank for None."""
    if value is None:
        return ""
    return f"{decimal.Decimal(value).quantize(decimal.Decimal('0.01')):,}"


def changes(value: dict | None) -> str:
    """Audit before/after values as readable text (Chinese kept as is)."""
    if not value:
        return ""
    return "; ".join(f"{k}={v}" for k, v in value.items())


def _unread() -> int:
    from core.personal import unread_count
    return unread_count(current_user) if current_user.is_authenticated else 0


def install(app) -> None:
    app.jinja_env.filters.update(localtime=localtime, money=money, changes=changes)
    from core.forms import column_length, csrf_token
    app.jinja_env.globals.update(column_length=column_length, url_template=url_template, csrf_token=csrf_token)
    from core import fragments, holders
    fragments.install(app)
    app.jinja_env.globals.update(holder_marks=holders.marks, other_holders=holders.others)
    # Same catalogue as Flask-Babel's, without resolving the locale again on every string.
    app.jinja_env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    app.jinja_env.globals.update(_=i18n.template_gettext, gettext=i18n.template_gettext,
                                 ngettext=i18n.template_ngettext)

    @app.context_processor
    def _globals():
        return {"menu": menu, "current_group": signins.current_group(), "current_locale": str(get_locale()),
                "role_labels": roles.LABELS, "unread_messages": _unread}

    @app.errorhandler(403)
    def _forbidden(exc):
        return render_template("errors/error.html", code=403, message=_("您没有权限执行此操作。")), 403

    @app.before_request
    def _refuse_nul():
        """A NUL character in a posted value or a page's query (a search): no database stores or compares it
        (PostgreSQL refuses it), no one types it. (A sign-in's ``next`` is only checked, never queried.)"""
        source = request.args if request.method == "GET" else request.form
        if any("\x00" in value for name, values in source.lists() if name != "next" for value in values):
            return render_template("errors/error.html", code=400, message=_("提交的内容含有无效字符，请删除后重试。")), 400

    @app.errorhandler(400)
    def _bad_request(exc):
        """A post without its CSRF token (a form open too long, or forged), or a request the app cannot read."""
        from flask_wtf.csrf import CSRFError
        message = _("页面已过期，请刷新后重试。") if isinstance(exc, CSRFError) else _("请求无效。")
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(404)
    def _not_found(exc):
        return render_template("errors/error.html", code=404, message=_("页面不存在。")), 404

    @app.errorhandler(RecordLocked)
    def _locked(exc):
        """A change to a locked record, wherever it was flushed (a query's autoflush too): the message."""
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect_back(url_for("home.index"))

    @app.errorhandler(StaleDataError)
    def _stale(exc):
        db.session.rollback()
        flash(_("该记录已被他人修改，请刷新后重试。"), "danger")
        form_page = request.path if request.url_rule and "GET" in request.url_rule.methods else None
        return redirect_back(form_page or url_for("home.index"))
