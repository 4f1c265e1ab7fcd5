"""模块: the installed modules and which of them this group company has enabled."""
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.admin import bp
from core.extensions import db
from core.modules import ModuleError, disable, enable, enabled_modules


@bp.route("/modules")
def modules():
    registry = current_app.extensions["gentou"]
    enabled = enabled_modules(current_user.group_id)
    rows = [(m, m.name in enabled, [d for d in registry.dependants(m.name) if d in enabled])
            for m in registry.installed()]
    return render_template("admin/modules.html", rows=rows)


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
