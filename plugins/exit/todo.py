"""待办 of the exit stage on the home page, in one query: the accountant's approved exits that wait for
合伙投资过户给平台公司, and transferred ones that wait for 登记退出打款."""
from __future__ import annotations

from flask import url_for

from core import roles
from core.declarations import Todo
from core.extensions import db
from core.i18n import gettext as _
from core.models import Project, User
from core.permissions import projects_query
from core.worklist import LIMIT
from plugins.exit.models import APPROVED, TRANSFERRED, PartnerExit


def todo_items(user) -> list[Todo]:
    if not user.has_role(*roles.ACCOUNTANTS):
        return []
    visible = projects_query(user).with_only_columns(Project.id)
    rows = db.session.execute(
        db.select(PartnerExit.project_id, PartnerExit.state, Project.name, User.name)
        .join(Project, Project.id == PartnerExit.project_id).join(User, User.id == PartnerExit.user_id)
        .where(PartnerExit.project_id.in_(visible), PartnerExit.state.in_((APPROVED, TRANSFERRED)))
        .order_by(Project.name, PartnerExit.id).limit(LIMIT)).all()
    return [Todo(_("合伙投资过户给平台公司") if state == APPROVED else _("登记退出打款金额及打款日期"),
                 f"{project} · {name}", url_for("exit.project", project_id=project_id), weight=50)
            for project_id, state, project, name in rows]
