"""Admin pages: 测试连接 (the app's worksheets, and the controls of those chosen, to map), the mapping,
and 明道云同步 (what was kept, what failed and why, 全量同步 and 对账)."""
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
from plugins.mingdao import services
from plugins.mingdao.client import worksheets
from plugins.mingdao.models import MingdaoRecord, MingdaoReport

bp = Blueprint("mingdao", __name__, url_prefix="/mingdao", template_folder="templates")
admin_only = roles_required(roles.ADMIN)
KINDS = tuple(services.KINDS)


def _state():
    return db.session.scalar(db.select(ModuleState).where(ModuleState.module == services.PLUGIN))


def _back():
    return redirect(url_for("admin.module_settings", name=services.PLUGIN))


@bp.route("/settings/test", methods=["POST"])
@admin_only
def test_connection():
    """测试连接: GET /v1/open/app/get, then the controls of the worksheets already chosen."""
    group_id = current_user.group_id
    cfg = services.config(group_id)
    try:
        client = services.client_for(group_id, cfg)
        app = client.app()
        sheets = worksheets(app)
        controls = {}
        for kind in KINDS:
            sheet = cfg.get(services.SETTING[kind][0])
            if sheet and sheet in {item["id"] for _path, item in sheets}:
                controls[kind] = client.worksheet(sheet).get("controls") or []
    except services.NotConfigured as exc:
        flash(exc.reason, "danger")
        return _back()
    except ApiError as exc:
        flash(_("连接失败：%(reason)s", reason=redact.scrub(exc.reason, group_id)), "danger")
        return _back()
    mapped = {kind: services.parse_mapping(cfg.get(services.SETTING[kind][1], "")) for kind in KINDS}
    return render_template("mingdao/connection.html", app=app, sheets=sheets, controls=controls, current=cfg,
                           mapped=mapped, fields=services.FIELDS, setting=services.SETTING, state=_state(),
                           kinds=_kinds())


@bp.route("/settings/pick", methods=["POST"])
@admin_only
def pick():
    """Save the worksheets and the controls mapped on the 测试连接 page (no network call)."""
    picked = {}
    for kind in KINDS:
        sheet_key, controls_key = services.SETTING[kind]
        sheet = (request.form.get(sheet_key) or "").strip()
        if sheet and not services.ID.match(sheet):
            flash(_("请选择工作表"), "danger")
            return _back()
        picked[sheet_key] = sheet
        mapping = {field: (request.form.get(f"{kind}__{field}") or "").strip() for field in services.FIELDS[kind]}
        if any(v and not services.ID.match(v) for v in mapping.values()):
            flash(_("请选择工作表"), "danger")
            return _back()
        if any(f"{kind}__{field}" in request.form for field in services.FIELDS[kind]):
            picked[controls_key] = ", ".join(f"{field}={control}" for field, control in mapping.items() if control)
    claim(_state())
    changed = settings.save(current_user.group_id, services.PLUGIN, picked)
    db.session.commit()
    flash(_("已保存 %(n)s 项设置", n=len(changed)), "success")
    return _back()


def _kinds():
    return {kind: str(label) for kind, label in services.KINDS.items()}


sync.status_routes(bp, services.PLUGIN, MingdaoRecord, MingdaoReport, "mingdao/status.html", _kinds, services.resync,
                   services.RECONCILE_JOB)
