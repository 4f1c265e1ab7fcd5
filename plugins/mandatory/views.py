"""后台管理 / 强投名单: the entries, their form, export and import. Only the system admin of the group
company; every row read through the tenant scope (another group's entry is 404)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _

from core import roles
from core.auth import roles_required
from core.extensions import db
from core.forms import limits
from core.permissions import get_or_404
from core.versioning import claim
from plugins.mandatory import excel, services
from plugins.mandatory.models import MIN_KINDS, MandatoryEntry
from plugins.subscription.models import TIERS

bp = Blueprint("mandatory", __name__, template_folder="templates")
admin_only = roles_required(roles.ADMIN)
ROLES = {code: label for code, label in roles.LABELS.items() if code != roles.PARTNER}


def _entries() -> list[MandatoryEntry]:
    from sqlalchemy.orm import joinedload
    return db.session.scalars(db.select(MandatoryEntry).options(joinedload(MandatoryEntry.company),
                                                                joinedload(MandatoryEntry.user))
                              .order_by(MandatoryEntry.company_id, MandatoryEntry.id)).all()


@bp.route("/")
@admin_only
def entries():
    return render_template("mandatory/entries.html", entries=_entries(), tiers=TIERS, roles=ROLES, kinds=MIN_KINDS,
                           minimum_text=services.minimum_text)


def _form(entry: MandatoryEntry | None):
    companies = services.companies()
    errors, form = {}, None
    if request.method == "POST":
        values, errors = services.read_entry(request.form, companies)
        if not errors:
            if entry is None:
                entry = MandatoryEntry(**values)
                db.session.add(entry)
            else:
                claim(entry)
                for key, value in values.items():
                    setattr(entry, key, value)
            db.session.commit()
            flash(_("已保存强投名单"), "success")
            return redirect(url_for("mandatory.entries"))
        form = request.form
    elif entry is not None:
        form = {"company_id": str(entry.company_id), "include_children": "1" if entry.include_children else "",
                "username": entry.user.username if entry.user else "", "role": entry.role, "tier": entry.tier,
                "min_kind": entry.min_kind, "minimum": services.minimum_text(entry),
                "valid_from": entry.valid_from.isoformat(), "valid_to": entry.valid_to.isoformat() if entry.valid_to
                else "", "note": entry.note}
    return render_template("mandatory/entry_form.html", entry=entry, form=form or {"include_children": "1"},
                           errors=errors, companies=companies, tiers=TIERS, roles=ROLES, kinds=MIN_KINDS,
                           limits=limits(MandatoryEntry)), 400 if errors else 200


@bp.route("/new", methods=["GET", "POST"])
@admin_only
def entries_new():
    return _form(None)


@bp.route("/<int:entry_id>", methods=["GET", "POST"])
@admin_only
def entries_edit(entry_id):
    return _form(get_or_404(MandatoryEntry, entry_id))


@bp.route("/<int:entry_id>/delete", methods=["POST"])
@admin_only
def entries_delete(entry_id):
    entry = get_or_404(MandatoryEntry, entry_id)
    claim(entry)
    db.session.delete(entry)
    db.session.commit()
    flash(_("已删除强投名单中的 %(entry)s", entry=str(entry)), "success")
    return redirect(url_for("mandatory.entries"))


@bp.route("/export.xlsx")
@admin_only
def entries_export():
    return Response(excel.export(_entries()),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=mandatory.xlsx"})


@bp.route("/import", methods=["POST"])
@admin_only
def entries_import():
    """导入: each row adds an entry, or updates the one of the same company, person or role, tier and start
    date; any bad row and nothing is imported."""
    companies = services.companies()
    upload = request.files.get("file")
    rows, problems = excel.parse(upload.read() if upload else b"", {c.name: c.id for c in companies.values()})
    existing, added, changed, seen = _entries(), [], [], {}
    for number, data in rows:
        values, errors = services.read_entry(data, companies)
        if errors:
            problems.append((number, _("第%(n)s行：%(reason)s", n=number,
                                       reason="；".join(dict.fromkeys(errors.values())))))
            continue
        key = (values["company_id"], values["user_id"], values["role"], values["tier"], values["valid_from"])
        if key in seen:
            problems.append((number, _("第%(n)s行：与第%(m)s行重复", n=number, m=seen[key])))
            continue
        seen[key] = number
        match = next((e for e in existing if services.same_key(e, values)), None)
        if match is None:
            added.append(values)
        elif any(getattr(match, k) != v for k, v in values.items()):
            changed.append((match, values))
    if problems:
        return render_template("mandatory/import_result.html", problems=[text for _n, text in sorted(problems)]), 400
    db.session.add_all([MandatoryEntry(**values) for values in added])
    for entry, values in changed:
        for key, value in values.items():
            setattr(entry, key, value)
    db.session.commit()
    flash(_("已导入：新增 %(added)s 条，更新 %(changed)s 条，%(same)s 条未变", added=len(added), changed=len(changed),
            same=len(rows) - len(added) - len(changed)), "success")
    return redirect(url_for("mandatory.entries"))
