"""模块: the installed modules and which of them this group company has enabled."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core.admin import bp
from core.extensions import db
from core import settings
from core.forms import parse_integer
from core.money import AmountError
from core.models.module import ModuleState
from core.modules import ModuleError, disable, enable, enabled_modules
from core.versioning import claim


@bp.route("/modules")
def modules():
    registry = current_app.extensions["gentou"]
    enabled = enabled_modules(current_user.group_id)
    rows = [(m, m.name in enabled, [d for d in registry.dependants(m.name) if d in enabled])
            for m in registry.installed()]
    return render_template("admin/modules.html", rows=rows, settings_of=settings.declared)


@bp.route("/modules/<name>/enable", methods=["POST"])
def enable_module(name):
    try:
        added = enable(current_user.group_id, name, actor=current_user.username)
    except ModuleError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("admin.modules"))
    db.session.commit()
    if not added:
        flash(_("模块 %(name)s 已启用", name=name), "info")
    elif len(added) == 1:
        flash(_("已启用模块 %(name)s", name=name), "success")
    else:
        flash(_("已启用模块 %(name)s，并同时启用：%(others)s", name=name,
                others="、".join(a for a in added if a != name)), "success")
    return redirect(url_for("admin.modules"))


@bp.route("/modules/<name>/disable", methods=["POST"])
def disable_module(name):
    try:
        disable(current_user.group_id, name)
    except ModuleError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("admin.modules"))
    db.session.commit()
    flash(_("已停用模块 %(name)s", name=name), "success")
    return redirect(url_for("admin.modules"))


def _valid(setting, value: str) -> bool:
    if not value:
        return True
    if setting.valid is not None and not setting.valid(value):
        return False
    if setting.kind == "int":
        try:
            parse_integer(value, str(setting.label), maximum=2 ** 63 - 1)
        except AmountError:
            return False
        return True
    if setting.kind == "url":
        return value.startswith(("http://", "https://"))
    return True


@bp.route("/modules/<name>/settings", methods=["GET", "POST"])
def module_settings(name):
    """设置: the module's per-company settings; secrets are never shown back."""
    if name not in enabled_modules(current_user.group_id) or not settings.declared(name):
        abort(404)
    declared = settings.declared(name)
    state = db.session.scalar(db.select(ModuleState).where(ModuleState.module == name))
    if request.method == "POST":
        problems = [str(s.label) for s in declared if not _valid(s, request.form.get(s.key, "").strip())]
        if problems:
            flash(_("格式不正确：%(fields)s", fields="、".join(problems)), "danger")
        else:
            values = {s.key: ("1" if request.form.get(s.key) else "0") if s.kind == "bool" else request.form.get(s.key, "")
                      for s in declared}
            claim(state)  # the settings of a module are saved as one form
            changed = settings.save(current_user.group_id, name, values)
            db.session.commit()
            flash(_("已保存 %(n)s 项设置", n=len(changed)), "success")
            return redirect(url_for("admin.module_settings", name=name))
    current = settings.values(current_user.group_id, name)
    manifest = current_app.extensions["gentou"].manifests[name]
    return render_template("admin/module_settings.html", manifest=manifest, declared=declared, current=current,
                           is_set=settings.is_set(current_user.group_id, name), state=state)
