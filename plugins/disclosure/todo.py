"""待办: the business admin sees the disclosures whose partners still wait for the merged notice."""
from __future__ import annotations

from flask import url_for
from core.i18n import gettext as _

from core import roles
from core.declarations import Todo
from core.models import Project
from core.permissions import projects_query
from core.worklist import LIMIT
from plugins.disclosure import services


def todo_items(user) -> list[Todo]:
    if not user.has_role(roles.BUSINESS_ADMIN):
        return []
    rows = services.review_rows(projects_query(user).with_only_columns(Project.id), waiting_only=True, limit=LIMIT)
    return [Todo(_("待发送披露通知"), f"{project.name} · {version.label}", url_for("disclosure.review"),
                 detail=_("%(n)s 位合伙人", n=n), weight=48) for version, project, n in rows]
