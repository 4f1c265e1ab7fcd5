"""协议验证: anyone may upload an agreement PDF and learn whether it is in the register and its seal is the
one registered for the group that issued it; anyone may download a group's seal certificate (PEM)."""
from flask import Response, abort, render_template, request
from core.i18n import gettext as _

from core.auth import public, url_group
from core.extensions import db
from core.models import GroupCompany, Project
from core.tenancy import tenant
from plugins.agreements import services
from plugins.agreements.models import Seal
from plugins.agreements.views import bp

MAX_BYTES = 20 * 1024 * 1024


@bp.route("/verify", methods=["GET", "POST"])
@public
def verify():
    result, details, error = None, None, None
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read(MAX_BYTES + 1) if upload else b""
        if not data:
            error = _("请选择要验证的 PDF 文件")
        elif len(data) > MAX_BYTES:
            error = _("文件超过 20M")
        else:
            result, agreement = services.verify(data)
            if agreement is not None and result.ok:
                with tenant(None):
                    group = db.session.get(GroupCompany, agreement.group_id)
                    details = {"number": agreement.number, "version": agreement.version,
                               "state": agreement.state_label, "partner": agreement.user.name,
                               "project": db.session.get(Project, agreement.project_id).name,
                               "group": group.name, "group_code": group.code, "signed_at": agreement.signed_at}
    return render_template("agreements/verify.html", result=result, details=details, error=error)


@bp.route("/g/<group_code>/seal.pem")
@public
def seal_certificate(group_code):
    """The group's seal certificates (newest first), to check a downloaded agreement with one's own tools."""
    group = url_group()
    with tenant(None):
        pems = db.session.scalars(db.select(Seal.certificate_pem).where(Seal.group_id == group.id)
                                  .order_by(Seal.active.desc(), Seal.id.desc())).all()
    if not pems:
        abort(404)
    return Response("".join(p.strip() + "\n" for p in pems), mimetype="application/x-pem-file",
                    headers={"Content-Disposition": "attachment; filename=seal.pem"})
