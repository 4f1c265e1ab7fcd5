"""后台管理/外部股东: every registered shareholder of the group's projects, with search."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from core.extensions import db
from core.models import Project
from plugins.minority import services
from plugins.minority.models import KINDS, MinorityShareholder
from plugins.minority.views import ADMINS, bp

LIMIT = 500


@bp.route("/admin/shareholders")
def admin_shareholders():
    if not current_user.has_role(*ADMINS):
        abort(403)
    q = (request.args.get("q") or "").strip()[:60]
    query = (db.select(MinorityShareholder, Project.name).join(Project, Project.id == MinorityShareholder.project_id)
             .order_by(Project.name, MinorityShareholder.id))
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(db.or_(*(column.ilike(like, escape="\\") for column in (
            MinorityShareholder.name, MinorityShareholder.id_number, MinorityShareholder.contact,
            MinorityShareholder.cooperation, Project.name))))
    rows = db.session.execute(query.limit(LIMIT + 1)).all()
    return render_template("minority/admin.html", rows=rows[:LIMIT], more=len(rows) > LIMIT, q=q, kinds=KINDS,
                           reviews=services.review_states(MinorityShareholder.__tablename__, [r[0].id for r in rows]))
