"""Who has work waiting: approvers are told when something is submitted to them, submitters when
it is decided (through the outbox: the inbox and every personal channel the company enabled), and
each role sees its 待办 on the home page.

The host's own lists: a business admin's reviews (方案审核) and in-app processes awaiting a
decision, an accountant's plans sent back (退回), everyone's unread messages. Plugins add theirs
through the ``todo_items`` hook. Every list is one query, cut at ``LIMIT`` lines.
"""
from __future__ import annotations

from core.i18n import gettext as _

from core import outbox, roles
from core.declarations import Todo
from core.extensions import db
from core.models import Project, User, UserRole
from core.permissions import projects_query
from core.processes.models import RETURNED, RUNNING, SUBMITTED, ProcessInstance, Review

LIMIT = 20


def business_admin_ids(group_id: int) -> list[int]:
    """The active business admins (业务管理员) of the group company: who decides reviews and processes."""
    return list(db.session.scalars(db.select(User.id).join(UserRole, UserRole.user_id == User.id).where(
        User.group_id == group_id, User.active.is_(True), UserRole.role == roles.BUSINESS_ADMIN)).all())


def tell(group_id: int, user_ids, title: str, body: str, link: str, kind: str, project_id: int | None) -> None:
    """A notice to ``user_ids`` in their inbox and every personal channel the company enabled."""
    user_ids = [i for i in user_ids if i is not None]
    if user_ids:
        outbox.notify(group_id, user_ids, title, body, link=link, channels_=outbox.personal_channels(group_id),
                      kind=kind, project_id=project_id)


def review_submitted(review: Review) -> None:
    """送审: every business admin is told there is a review waiting."""
    tell(review.group_id, business_admin_ids(review.group_id), _("待审核：%(title)s", title=review.title),
         _("%(who)s 已送审，请在方案审核中处理。", who=review.submitted_by), "/reviews/", "review.submitted",
         review.project_id)


def review_decided(review: Review) -> None:
    """审核通过 / 退回: the submitter is told, with a link to the reviewed record."""
    from core.review import record_url
    submitter = db.session.scalar(db.select(User.id).where(User.username == review.submitted_by))
    tell(review.group_id, [submitter], _("%(title)s：%(state)s", title=review.title, state=review.state_label),
         review.comment, record_url(review), "review.decided", review.project_id)


def process_started(instance: ProcessInstance, label: str, project) -> None:
    """发起 of a process decided in the app: every business admin is told it waits for them.
    (A process run in an external approval system is announced by that system.)"""
    if instance.provider != "inapp":
        return
    tell(instance.group_id, business_admin_ids(instance.group_id),
         _("待审批：%(project)s %(label)s", project=project.name, label=label),
         instance.description, f"/processes/{instance.id}", "process.started", project.id)


def _cut(rows: list, section: str, more_link: str, weight: int, line) -> list[Todo]:
    items = [line(row) for row in rows[:LIMIT]]
    if len(rows) > LIMIT:
        items.append(Todo(section, _("更多…"), more_link, weight=weight))
    return items


def _reviews(user, state: str, section: str, weight: int) -> list[Todo]:
    from core.review import record_url
    from core.ui import localtime
    visible = projects_query(user).with_only_columns(Project.id)
    rows = db.session.execute(
        db.select(Review, Project.name).outerjoin(Project, Project.id == Review.project_id)
        .where(Review.state == state, db.or_(Review.project_id.is_(None), Review.project_id.in_(visible)))
        .order_by(Review.submitted_at.desc(), Review.id.desc()).limit(LIMIT + 1)).all()
    return _cut(rows, section, f"/reviews/?state={state}", weight, lambda row: Todo(
        section, row.Review.title, record_url(row.Review) if state == RETURNED else "/reviews/",
        _("%(who)s 于 %(when)s 送审", who=row.Review.submitted_by, when=localtime(row.Review.submitted_at))
        if state == SUBMITTED else row.Review.comment, weight))


def _processes_to_decide(user) -> list[Todo]:
    from core.processes.service import kinds
    from core.ui import localtime
    section, known = _("待审批流程"), kinds()
    visible = projects_query(user).with_only_columns(Project.id)
    rows = db.session.execute(
        db.select(ProcessInstance, Project.name).join(Project, Project.id == ProcessInstance.project_id)
        .where(ProcessInstance.state == RUNNING, ProcessInstance.provider == "inapp",
               ProcessInstance.project_id.in_(visible))
        .order_by(ProcessInstance.started_at, ProcessInstance.id).limit(LIMIT + 1)).all()

    def line(row) -> Todo:
        process = row.ProcessInstance
        label = known[process.kind].label if process.kind in known else process.kind
        return Todo(section, f"{row.name} · {label}", f"/processes/{process.id}",
                    _("发起于 %(when)s", when=localtime(process.started_at)), 20)
    return _cut(rows, section, "", 20, line)


def todo(user) -> list[tuple[str, list[Todo]]]:
    """The user's 待办 by section, host's and enabled plugins' together: [(section, [Todo])]."""
    from core.modules import hooks_for
    from core.personal import unread_count
    items: list[Todo] = []
    if user.has_role(roles.BUSINESS_ADMIN):
        items += _reviews(user, SUBMITTED, _("方案审核"), 10)
        items += _processes_to_decide(user)
    if user.has_role(*roles.ACCOUNTANTS):
        items += _reviews(user, RETURNED, _("退回的方案"), 30)
    for found in hooks_for(user.group_id).todo_items(user=user):
        items += found or []
    unread = unread_count(user)
    if unread:
        items.append(Todo(_("消息"), _("%(n)s 条未读消息", n=unread), "/me/messages", weight=900))
    sections: dict[str, list[Todo]] = {}
    for item in sorted(items, key=lambda i: i.weight):
        sections.setdefault(str(item.section), []).append(item)
    return list(sections.items())
