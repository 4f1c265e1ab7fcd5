"""披露 (循环): a process carries the latest undisclosed 盈亏动态 version and its attachments; approved, the
version is disclosed to the project's partners and frozen."""
from __future__ import annotations

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

from core.events import emit
from core.extensions import db
from core.models.user import utcnow
from core.processes.kinds import Field, ProcessKind
from core.processes.models import RUNNING, ProcessInstance
from core.versioning import claim
from plugins.disclosure import services
from plugins.disclosure.events import DisclosurePublished
from plugins.disclosure.models import ProfitVersion


def _requires(project):
    running = db.session.scalar(db.select(ProcessInstance.id).where(
        ProcessInstance.project_id == project.id, ProcessInstance.kind == services.PROCESS,
        ProcessInstance.state == RUNNING))
    if running:
        return _("披露流程审批中，完成后才能再次发起")
    if services.pending_version(project.id) is None:
        return _("请先在【盈亏动态】中新增待披露的版本")
    return None


def _figure(name):
    def prefill(project):
        version = services.pending_version(project.id)
        value = getattr(version, name, None) if version else None
        if value is None:
            return ""
        return f"{value:,}" if name not in ("payback_months",) else str(value)
    return prefill


def _version_label(project):
    version = services.pending_version(project.id)
    return version.label if version else ""


def _on_start(instance, user):
    """The version goes with the process, claimed at the version read so that an edit racing the start loses."""
    version = services.pending_version(instance.project_id)
    claim(version, str(version.version))
    version.process_id = instance.id
    instance.form_data = {**(instance.form_data or {}), "version_id": version.id}


def _on_approve(instance):
    version = db.session.scalar(db.select(ProfitVersion).where(ProfitVersion.process_id == instance.id))
    if version is None or version.disclosed_at is not None:
        return
    version.disclosed_at = utcnow()
    db.session.flush()
    emit(DisclosurePublished(group_id=version.group_id, project_id=version.project_id, version_id=version.id,
                             number=version.number, as_of=version.as_of.isoformat(), process_id=instance.id))


KINDS = [ProcessKind(
    code=services.PROCESS, label=_l("披露"), weight=95, repeatable=True, requires=_requires,
    on_start=_on_start, on_approve=_on_approve,
    fields=(Field("version", _l("披露版本"), "readonly", prefill=_version_label),
            *[Field(name, label, "readonly", prefill=_figure(name)) for name, label, _kind in services.INDICATORS],
            Field("progress", _l("进度节点"), "readonly",
                  prefill=lambda p: getattr(services.pending_version(p.id), "progress", "") or "")))]
