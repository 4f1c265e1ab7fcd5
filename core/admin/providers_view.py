"""审批流程: which approval provider decides each process kind of the enabled modules (in-app review, or an OA
plugin the company enabled), per group company; the same choice as ``gentou processes provider``."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core.admin import bp
from core.extensions import db
from core.i18n import gettext as _
from core.models import ModuleSetting
from core.processes import service
from core.versioning import claim, read_version


def _setting(kind_code: str) -> ModuleSetting | None:
    """The company's stored choice for ``kind_code`` (its version is the form's)."""
    return db.session.scalar(db.select(ModuleSetting).where(
        ModuleSetting.module == "core", ModuleSetting.key == service._choice_key(kind_code)))


def provider_label(provider) -> str:
    return _("系统内审核") if provider.name == service.InAppProvider.name else str(provider.label or provider.name)


@bp.route("/approval-providers", methods=["GET", "POST"])
def approval_providers():
    """Each kind and its provider; a POST (one kind's form: ``kind``, ``provider``, ``version``) chooses."""
    group_id = current_user.group_id
    if request.method == "POST":
        return _choose(group_id, request.form.get("kind", ""))
    offered = service.approval_providers(group_id)
    rows = []
    for kind in service.kinds_for(group_id):
        setting = _setting(kind.code)
        rows.append({"kind": kind, "deciding": service.approval_provider(group_id, kind.code).name,
                     "chosen": setting.value if setting else "", "version": setting.version if setting else 0})
    return render_template("admin/approval_providers.html", rows=rows, offered=offered, provider_label=provider_label)


def _choose(group_id: int, kind_code: str):
    kind = next((k for k in service.kinds_for(group_id) if k.code == kind_code), None)
    if kind is None:
        abort(404)
    name = request.form.get("provider", "")
    offered = service.approval_providers(group_id)
    if name not in offered:
        flash(_("所选审批方式不可用，请重新选择。"), "danger")
        return redirect(url_for("admin.approval_providers"))
    setting = _setting(kind.code)
    if read_version(request.form.get("version")) != (setting.version if setting else 0):
        raise StaleDataError(f"approval provider of {kind.code} changed since the form was read")
    claim(setting)  # two saves of one choice at once: the second is told (a first choice: the unique key)
    service.choose_provider(group_id, kind.code, name)
    try:
        db.session.commit()
    except IntegrityError:
        raise StaleDataError(f"approval provider of {kind.code} chosen meanwhile") from None
    flash(_("%(kind)s 由 %(provider)s 审批", kind=str(kind.label), provider=provider_label(offered[name])), "success")
    return redirect(url_for("admin.approval_providers"))
