"""待办 of this stage on the home page: a partner's agreements waiting for their signature (one query)."""
from flask import url_for
from core.i18n import gettext as _

from core import roles
from core.declarations import Todo
from core.extensions import db
from core.models import Project
from core.worklist import LIMIT
from plugins.agreements.models import GENERATED, Agreement


def to_sign(user) -> list[Todo]:
    if not user.has_role(roles.PARTNER):
        return []
    rows = db.session.execute(db.select(Agreement, Project.name).join(Project, Project.id == Agreement.project_id)
                              .where(Agreement.user_id == user.id, Agreement.state == GENERATED)
                              .order_by(Agreement.id).limit(LIMIT)).all()
    return [Todo(_("签署协议"), f"{name} · {agreement.number}", url_for("agreements.mine"), _("待签署"), weight=65)
            for agreement, name in rows]
