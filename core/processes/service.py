"""The process state machine: start (发起), complete through one callback path, reset (重置).

    running --approve--> approved      running --reject--> rejected
    running | approved | rejected --reset--> reset

Every transition is a conditional UPDATE on the current state, so of two approvers acting at
once (or a provider callback racing an in-app decision) exactly one wins.
"""
from __future__ import annotations

import logging

from flask import current_app
from core.i18n import gettext as _

from core import roles
from core.audit import record_action
from core.extensions import db
from core.models.user import utcnow
from core.processes.kinds import ProcessKind
from core.processes.models import APPROVED, REJECTED, RESET, RUNNING, ProcessCallback, ProcessInstance

log = logging.getLogger("gentou.processes")
TRANSITIONS = {RUNNING: {APPROVED, REJECTED, RESET}, APPROVED: {RESET}, REJECTED: {RESET}, RESET: set()}


class ProcessError(ValueError):
    """A refused step; the message is for the user."""


def kinds() -> dict[str, ProcessKind]:
    return current_app.extensions["gentou"].processes


def kinds_for(group_id: int) -> list[ProcessKind]:
    """The process kinds of the modules this group company enabled, in their order."""
    from core.modules import enabled_modules
    enabled = enabled_modules(group_id)
    return sorted((k for k in kinds().values() if not k.plugin or k.plugin in enabled), key=lambda k: k.weight)


def latest(project_id: int, code: str) -> ProcessInstance | None:
    return db.session.scalar(db.select(ProcessInstance).where(
        ProcessInstance.project_id == project_id, ProcessInstance.kind == code, ProcessInstance.state != RESET)
        .order_by(ProcessInstance.id.desc()).limit(1))


def latest_states(project_ids, code: str) -> dict[int, str]:
    """The state of each project's latest ``code`` process (``latest`` for many projects in one query)."""
    found: dict[int, str] = {}
    for project_id, state in db.session.execute(
            db.select(ProcessInstance.project_id, ProcessInstance.state)
            .where(ProcessInstance.project_id.in_(list(project_ids)), ProcessInstance.kind == code,
                   ProcessInstance.state != RESET).order_by(ProcessInstance.id)):
        found[project_id] = state
    return found


def missing_requirement(kind: ProcessKind, project) -> str | None:
    """Why ``kind`` cannot start for ``project`` yet ("须先完成：离职退休测算", "缺少资金峰值…"), or None."""
    for field in kind.fields:
        if field.required and field.kind == "readonly" and not str(field.prefill(project) if field.prefill else ""):
            return _("缺少%(label)s，请先填写后再发起", label=field.label)
    if callable(kind.requires):
        return kind.requires(project)
    for code in kind.requires:
        done = latest(project.id, code)
        if done is None or done.state != APPROVED:
            label = kinds()[code].label if code in kinds() else code
            return _("须先完成：%(label)s", label=label)
    return None


def require_completed(project, code: str) -> str | None:
    """For stages: None when process ``code`` is approved for ``project``, else the reason to show."""
    done = latest(project.id, code)
    if done is not None and done.state == APPROVED:
        return None
    return _("须先完成：%(label)s", label=kinds()[code].label if code in kinds() else code)


def start(kind: ProcessKind, project, user, form_data: dict, description: str, attachments=()) -> ProcessInstance:
    """Start an instance (the caller commits); refused while a single kind runs or is done."""
    if not user.has_role(*kind.start_roles):
        raise ProcessError(_("您的角色不能发起%(label)s", label=kind.label))
    reason = missing_requirement(kind, project)
    if reason:
        raise ProcessError(reason)
    slot = None if kind.repeatable else f"{project.id}:{kind.code}"
    if slot and db.session.scalar(db.select(ProcessInstance.id).where(ProcessInstance.slot == slot)):
        raise ProcessError(_("%(label)s已发起，不能重复发起", label=kind.label))
    instance = ProcessInstance(project_id=project.id, kind=kind.code, slot=slot, state=RUNNING, initiator_id=user.id,
                               started_at=utcnow(), form_data=form_data, description=description)
    db.session.add(instance)
    db.session.flush()
    for attachment in attachments:
        attachment.process_id = instance.id
        db.session.add(attachment)
    if kind.on_start:
        kind.on_start(instance, user)
    provider = approval_provider(project.group_id, kind.code)
    instance.provider = provider.name
    instance.external_id = provider.start(instance, kind) or ""
    from core import worklist
    worklist.process_started(instance, kind.label, project)
    return instance


def _move(instance: ProcessInstance, target: str, **values) -> bool:
    """Conditional UPDATE from the state we read; False when someone else moved it first."""
    if target not in TRANSITIONS[instance.state]:
        return False
    if target in (RESET, REJECTED):
        values["slot"] = None  # a single kind may start again
    result = db.session.execute(
        db.update(ProcessInstance).where(ProcessInstance.id == instance.id, ProcessInstance.state == instance.state)
        .values(state=target, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(instance)  # the state it lost to, for the message
        return False
    before = instance.state
    db.session.refresh(instance)
    record_action(db.session, instance.group_id, target, "core_process", instance.id,
                  f"{kinds()[instance.kind].label if instance.kind in kinds() else instance.kind}",
                  before={"state": before}, after={"state": target, **{k: str(v) for k, v in values.items()}})
    return True


def complete(instance: ProcessInstance, approved: bool, decided_by: str, comment: str = "",
             callback_key: str | None = None, payload: dict | None = None) -> bool:
    """The one path by which a provider's decision arrives. Returns False (changing nothing) for
    a replayed callback or an instance no longer running. The caller commits."""
    if callback_key:
        if db.session.scalar(db.select(ProcessCallback.id).where(ProcessCallback.key == callback_key)):
            log.info("callback %s replayed for process %s: ignored", callback_key, instance.id)
            return False
        db.session.add(ProcessCallback(group_id=instance.group_id, key=callback_key, process_id=instance.id,
                                       received_at=utcnow(), payload=payload or {}))
    if instance.state != RUNNING:
        log.info("decision for process %s in state %s: ignored", instance.id, instance.state)
        return False
    target = APPROVED if approved else REJECTED
    if not _move(instance, target, completed_at=utcnow(), decided_by=decided_by[:60], result_comment=comment[:500]):
        return False
    kind = kinds().get(instance.kind)
    hook = kind and (kind.on_approve if approved else kind.on_reject)
    if hook:
        hook(instance)
    _announce(instance, kind)
    return True


def _announce(instance: ProcessInstance, kind: ProcessKind | None) -> None:
    """回调会有消息机器人通知: tell the initiator, and every group-wide channel (e.g. a robot)."""
    from core import outbox
    from core.modules import enabled_modules
    from core.models import Project

    project = db.session.get(Project, instance.project_id)
    label = kind.label if kind else instance.kind
    title = _("%(project)s：%(label)s%(state)s", project=project.name, label=label, state=instance.state_label)
    body = instance.result_comment
    enabled = enabled_modules(instance.group_id)
    group_wide = tuple(name for name, c in outbox.channels().items()
                       if c.group_wide and (not c.plugin or c.plugin in enabled))
    outbox.notify(instance.group_id, [instance.initiator_id], title, body, link=f"/processes/{instance.id}",
                  channels_=outbox.personal_channels(instance.group_id) + group_wide, kind="process.completed",
                  project_id=project.id)


def reset(instance: ProcessInstance, user, reason: str) -> None:
    """重置: only the kind's reset roles, with a reason; audited. The caller commits."""
    kind = kinds().get(instance.kind)
    if kind is None or not user.has_role(*kind.reset_roles):
        raise ProcessError(_("您的角色不能重置此流程"))
    if not reason.strip():
        raise ProcessError(_("请填写重置原因"))
    if not _move(instance, RESET, reset_reason=reason.strip()[:500]):
        raise ProcessError(_("流程状态已变化，请刷新后重试"))


def decide_in_app(instance: ProcessInstance, user, approved: bool, comment: str) -> None:
    """The in-app provider's decision by a business admin."""
    if instance.provider != "inapp":
        raise ProcessError(_("此流程在审批系统中审批"))
    if not user.has_role(roles.BUSINESS_ADMIN):
        raise ProcessError(_("只有业务管理员可以审批"))
    if not complete(instance, approved, user.username, comment):
        raise ProcessError(_("该流程已被处理（%(state)s）", state=instance.state_label))


class InAppProvider:
    """The host's approval provider: a business admin decides on the process page."""

    name = "inapp"
    label = "Gentou"

    def start(self, instance, kind) -> str:
        return ""

    def url(self, instance) -> str | None:
        return None


def approval_providers(group_id: int) -> dict:
    """The approval providers open to the company by name: in-app, then those its enabled plugins offer (by name)."""
    from core.modules import hooks_for
    offered = {p.name: p for providers in hooks_for(group_id).approval_providers(group_id=group_id)
               for p in providers or [] if p.name != InAppProvider.name}
    return {InAppProvider.name: InAppProvider(), **dict(sorted(offered.items()))}


def _choice_key(kind_code: str) -> str:
    return f"approval_provider.{kind_code}"


def chosen_provider(group_id: int, kind_code: str) -> str:
    """The provider name the company chose for ``kind_code`` ("" when none): a setting of the host."""
    from core.models import ModuleSetting
    from core.tenancy import tenant
    with tenant(group_id):
        return db.session.scalar(db.select(ModuleSetting.value).where(
            ModuleSetting.module == "core", ModuleSetting.key == _choice_key(kind_code))) or ""


def choose_provider(group_id: int, kind_code: str, name: str) -> None:
    """Set the provider of ``kind_code`` for the company (audited); refused unless it is offered now.
    (Run by the ``gentou processes provider`` command: its messages are in English like the CLI's.)"""
    from core.models import ModuleSetting
    from core.tenancy import tenant
    if kind_code not in kinds():
        raise ProcessError(f"unknown process kind {kind_code} (known: {', '.join(kinds())})")
    if name not in approval_providers(group_id):
        raise ProcessError(f"approval provider {name} is not offered to this company (offered: "
                           + ", ".join(approval_providers(group_id)) + ")")
    with tenant(group_id):
        row = db.session.scalar(db.select(ModuleSetting).where(
            ModuleSetting.module == "core", ModuleSetting.key == _choice_key(kind_code)))
        before = row.value if row else ""
        if row is None:
            row = ModuleSetting(group_id=group_id, module="core", key=_choice_key(kind_code))
            db.session.add(row)
        row.value = name
        record_action(db.session, group_id, "setting", "core_module_setting", row.key, row.key,
                      before={"value": before}, after={"value": name})


def approval_provider(group_id: int, kind_code: str):
    """The provider of ``kind_code`` for the company: the one it chose while offered; else the only provider
    other than in-app when exactly one plugin offers one; else in-app. Never registration order."""
    offered = approval_providers(group_id)
    chosen = chosen_provider(group_id, kind_code)
    if chosen in offered:
        return offered[chosen]
    others = [p for name, p in offered.items() if name != InAppProvider.name]
    return others[0] if len(others) == 1 else offered[InAppProvider.name]
