"""Admin pages: 测试连接 (lists the self-built apps and their business objects to pick from), the picking,
and 合思同步 (what was pushed, what failed and why, 全量同步 and 对账)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core import redact, roles, settings, sync
from core.apiclient import ApiError
from core.auth import roles_required
from core.extensions import db
from core.models.module import ModuleState
from core.versioning import claim
from plugins.ekuaibao import services
from plugins.ekuaibao.models import EkuaibaoRecord, EkuaibaoReport

bp = Blueprint("ekuaibao", __name__, url_prefix="/ekuaibao", template_folder="templates")
admin_only = roles_required(roles.ADMIN)


def _state():
    return db.session.scalar(db.select(ModuleState).where(ModuleState.module == services.PLUGIN))


@bp.route("/settings/test", methods=["POST"])
@admin_only
def test_connection():
    """测试连接: a token, then the apps and their business objects (the network calls allowed here)."""
    group_id = current_user.group_id
    try:
        client = services.client_for(group_id)
        client.new_token()
        platforms = [p for p in client.platforms()]
        for platform in platforms:
            platform["entities"] = client.entities(str(platform["id"]))
    except services.NotConfigured as exc:
        flash(exc.reason, "danger")
        return redirect(url_for("admin.module_settings", name=services.PLUGIN))
    except ApiError as exc:
        flash(_("连接失败：%(reason)s", reason=redact.scrub(exc.reason, group_id)), "danger")
        return redirect(url_for("admin.module_settings", name=services.PLUGIN))
    return render_template("ekuaibao/connection.html", platforms=platforms, current=services.config(group_id),
                           state=_state())


@bp.route("/settings/pick", methods=["POST"])
@admin_only
def pick():
    """Save the app and business objects picked from the 测试连接 list (no network call)."""
    picked = {key: (request.form.get(key) or "").strip() for key in ("platform_id", "project_entity_id",
                                                                      "partner_entity_id")}
    if not picked["platform_id"] or not all(services.ID.match(v) for v in picked.values() if v):
        flash(_("请选择自建应用和业务对象"), "danger")
        return redirect(url_for("admin.module_settings", name=services.PLUGIN))
    claim(_state())
    changed = settings.save(current_user.group_id, services.PLUGIN, picked)
    db.session.commit()
    flash(_("已保存 %(n)s 项设置", n=len(changed)), "success")
    return redirect(url_for("admin.module_settings", name=services.PLUGIN))


def _kinds():
    return {services.PROJECT: _("项目"), services.PARTNER: _("合伙人")}


sync.status_routes(bp, services.PLUGIN, EkuaibaoRecord, EkuaibaoReport, "ekuaibao/status.html", _kinds, services.resync,
                   services.RECONCILE_JOB)
