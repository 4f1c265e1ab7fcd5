"""个人中心 / 协议下载: a partner reads, signs and downloads their own agreements; staff download too."""
from flask import abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core.extensions import db
from core.models import Project
from core.permissions import project_or_404
from plugins.agreements import services
from plugins.agreements.hooks import STAFF
from plugins.agreements.models import Agreement
from plugins.agreements.views import bp, pdf_response


def _readable(token: str) -> Agreement:
    """The partner's own agreement, or one of a project the staff member is authorised on; else 404."""
    row = db.session.scalar(db.select(Agreement).where(Agreement.token == token))
    if row is None:
        abort(404)
    if row.user_id != current_user.id:
        if not current_user.has_role(*STAFF):
            abort(404)
        project_or_404(current_user, row.project_id)
    return row


@bp.route("/me")
def mine():
    rows = db.session.scalars(db.select(Agreement).where(Agreement.user_id == current_user.id)
                              .order_by(Agreement.project_id, Agreement.version.desc())).all()
    projects = {p.id: p for p in db.session.scalars(db.select(Project).where(
        Project.id.in_({r.project_id for r in rows})))}
    return render_template("agreements/mine.html", rows=rows, projects=projects)


@bp.route("/<token>/view")
def view(token):
    row = _readable(token)
    try:
        return pdf_response(services.read(row), f"{row.number}.pdf", inline=True)
    except services.AgreementError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("agreements.mine"))


@bp.route("/<token>/download")
def download(token):
    row = _readable(token)
    try:
        return pdf_response(services.read(row), f"{row.number}.pdf", inline=False)
    except services.AgreementError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("agreements.mine"))


@bp.route("/<token>/sign", methods=["POST"])
def sign(token):
    row = db.session.scalar(db.select(Agreement).where(Agreement.token == token, Agreement.user_id == current_user.id))
    if row is None:
        abort(404)
    try:
        services.sign(row, current_user, request.form.get("password", ""), request.remote_addr or "",
                      request.form.get("sha256", ""))
        db.session.commit()
        flash(_("协议已签署并加盖电子印章"), "success")
    except services.NewVersion as exc:
        db.session.commit()  # the version read is superseded by the new one, which the partner reads next
        flash(str(exc), "warning")
    except services.AgreementError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect(url_for("agreements.mine"))
