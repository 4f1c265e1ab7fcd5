"""协议验证: anyone may upload an agreement PDF and learn whether the seal is intact and valid."""
from flask import render_template, request
from flask_babel import gettext as _

from core.auth import public
from core.extensions import db
from core.models import GroupCompany, Project
from core.tenancy import tenant
from plugins.agreements import services
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
                    details = {"number": agreement.number, "version": agreement.version,
                               "state": agreement.state_label, "partner": agreement.user.name,
                               "project": db.session.get(Project, agreement.project_id).name,
                               "group": db.session.get(GroupCompany, agreement.group_id).name,
                               "signed_at": agreement.signed_at}
    return render_template("agreements/verify.html", result=result, details=details, error=error)
