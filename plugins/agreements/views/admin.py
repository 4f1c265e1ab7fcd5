"""模板管理 (versioned templates with a preview) and the group's digital seal."""
from flask import abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core import documents, roles
from core.extensions import db
from core.forms import limits, max_length
from core.models import GroupCompany
from core.versioning import expect
from plugins.agreements import context, services
from plugins.agreements.models import AgreementTemplate, Seal
from plugins.agreements.views import bp, pdf_response


def _admin_only():
    if not current_user.has_role(roles.ADMIN):
        abort(403)


@bp.route("/admin/templates", methods=["GET", "POST"])
def templates():
    _admin_only()
    current = services.current_template(current_user.group_id)
    name, html, css, error = current.name, current.html, current.css, None
    if request.method == "POST":
        name = (request.form.get("name") or "").strip() or current.name
        html, css = request.form.get("html", ""), request.form.get("css", "")
        try:
            if len(name) > max_length(AgreementTemplate.name):
                raise documents.TemplateProblem(_("%(label)s最多 %(n)s 个字", label=_("模板名称"),
                                                  n=max_length(AgreementTemplate.name)))
            row = services.save_template(current_user.group_id, name, html, css, current_user.username)
            expect(current.version)
            try:
                db.session.commit()
            except IntegrityError as exc:  # another save took this version number first
                raise StaleDataError(str(exc.orig)) from exc
            flash(_("已保存为第 %(v)s 版", v=row.version), "success")
            return redirect(url_for("agreements.templates"))
        except documents.TemplateProblem as exc:
            db.session.rollback()
            error = str(exc)
    versions = db.session.scalars(db.select(AgreementTemplate).order_by(AgreementTemplate.version.desc())).all()
    db.session.commit()  # keeps the built-in template as version 1 once it has been shown
    return render_template("agreements/templates.html", name=name, html=html, css=css, error=error,
                           versions=versions, placeholders=context.PLACEHOLDERS, seal=services.active_seal(),
                           limits=limits(AgreementTemplate), passphrase_length=Seal.PASSPHRASE_LENGTH)


@bp.route("/admin/templates/<int:template_id>/preview.pdf")
def preview(template_id):
    _admin_only()
    row = db.session.scalar(db.select(AgreementTemplate).where(AgreementTemplate.id == template_id))
    if row is None:
        abort(404)
    try:
        documents.check_resources(row.html, row.css)
        pdf = documents.html_to_pdf(documents.render_html(row.html, context.demo()), row.css)
    except documents.TemplateProblem as exc:  # e.g. a version saved before templates were checked
        flash(str(exc), "danger")
        return redirect(url_for("agreements.templates"))
    return pdf_response(pdf, f"预览-{row.name}-v{row.version}.pdf", inline=True)


@bp.route("/admin/seal", methods=["POST"])
def seal():
    """Install an uploaded PKCS#12 as the seal in use (the key is stored encrypted); no file, no change."""
    _admin_only()
    upload = request.files.get("pkcs12")
    data = upload.read() if upload else b""
    if not data:
        flash(_("请选择 PKCS#12 印章文件（.p12 或 .pfx）；要生成新印章，请用“生成新印章”"), "danger")
        return redirect(url_for("agreements.templates"))
    return _set_seal(lambda: services.install_seal(current_user.group_id, data,
                                                   request.form.get("passphrase", "").encode(), "uploaded"))


@bp.route("/admin/seal/new", methods=["POST"])
def new_seal():
    """Generate a new self-signed seal and use it from now on (asked for explicitly, confirmed on the page)."""
    _admin_only()
    return _set_seal(lambda: services.generate_seal(db.session.get(GroupCompany, current_user.group_id)))


def _set_seal(install):
    try:
        install()
        db.session.commit()
        flash(_("已设置电子印章"), "success")
    except documents.TemplateProblem as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect(url_for("agreements.templates"))
