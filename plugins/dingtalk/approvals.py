"""OA approvals (审批) in DingTalk: start an instance per process, take the decision from the event callback."""
from __future__ import annotations

import logging
import urllib.parse

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

from core import outbox
from core.audit import record_action
from core.extensions import db
from core.models import Project
from core.processes import service
from core.processes.models import RUNNING, ProcessInstance
from plugins.dingtalk import services
from plugins.dingtalk.client import DingTalkError

log = logging.getLogger("gentou.dingtalk")
CREATE_JOB = "dingtalk.create_approval"
MAX_ATTEMPTS = 5


class DingTalkApprovals:
    """The company's approval provider once process codes are set; a kind without one stays in the app."""

    name = "dingtalk"
    label = _l("钉钉审批")

    def __init__(self, codes: dict[str, str], corp_id: str):
        self.codes, self.corp_id = codes, corp_id

    def start(self, instance: ProcessInstance, kind) -> str:
        if kind.code not in self.codes:
            instance.provider = service.InAppProvider.name  # no DingTalk template for this kind
            return ""
        from core.jobs import enqueue
        enqueue(CREATE_JOB, instance.group_id, process_id=instance.id)
        return ""

    def url(self, instance: ProcessInstance) -> str | None:
        if not instance.external_id:
            return None
        return ("https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?"
                + urllib.parse.urlencode({"corpid": self.corp_id, "showmenu": "false", "dd_progress": "false"})
                + "#/approval?procInstId=" + urllib.parse.quote(instance.external_id))


def provider_for(group_id: int) -> DingTalkApprovals | None:
    cfg = services.config(group_id)
    try:
        codes = services.parse_process_codes(cfg["process_codes"])
    except ValueError:
        log.warning("group %s: process codes of DingTalk cannot be read", group_id)
        return None
    if not codes or not cfg["app_key"]:
        return None
    return DingTalkApprovals(codes, cfg["corp_id"])


def form_values(instance: ProcessInstance, kind, project: Project) -> list[dict]:
    """The form of the DingTalk template, its components named in Chinese as in the template:
    项目, the kind's fields by label, 情况说明 (a job runs in the default locale, zh)."""
    values = [{"name": "项目", "value": project.name}]
    for field in (kind.fields if kind else ()):
        values.append({"name": str(field.label), "value": str(instance.form_data.get(field.name, ""))})
    values.append({"name": "情况说明", "value": instance.description or "-"})
    return values


def create_approval(process_id: int, attempt: int = 1) -> str:
    """The job: create the DingTalk instance of a started process and keep its id."""
    instance = db.session.scalar(db.select(ProcessInstance).where(ProcessInstance.id == process_id))
    if instance is None or instance.state != RUNNING or instance.provider != DingTalkApprovals.name \
            or instance.external_id:
        return ""
    cfg = services.config(instance.group_id)
    try:
        code = services.parse_process_codes(cfg["process_codes"]).get(instance.kind)
        if not code:
            raise services.NotConfigured(_("未设置该流程的钉钉审批模板编码"))
        client = services.client_for(instance.group_id, cfg, "agent_id")
        originator = services.userids([instance.initiator_id]).get(instance.initiator_id)
        if not originator:
            raise services.NotConfigured(_("发起人未绑定钉钉账号"))
        dept_ids = client.user(originator).get("dept_id_list") or [-1]
        project = db.session.get(Project, instance.project_id)
        instance.external_id = client.create_approval(code, originator, int(dept_ids[0]),
                                                      form_values(instance, service.kinds().get(instance.kind), project))
    except DingTalkError as exc:
        if exc.retryable and attempt < MAX_ATTEMPTS and services.later(
                CREATE_JOB, instance.group_id, exc.retry_after or 30.0 * attempt, process_id=process_id,
                attempt=attempt + 1):
            return ""
        _fall_back(instance, exc.reason)
    except (services.NotConfigured, ValueError) as exc:
        _fall_back(instance, str(exc))
    return instance.external_id


def _fall_back(instance: ProcessInstance, reason: str) -> None:
    """The instance cannot go to DingTalk: a business admin decides it in the app; the initiator is told why."""
    instance.provider = service.InAppProvider.name
    kind = service.kinds().get(instance.kind)
    label = str(kind.label) if kind else instance.kind
    record_action(db.session, instance.group_id, "fallback", "core_process", instance.id,
                  _("%(label)s未能在钉钉发起，改为系统内审批", label=label), after={"reason": reason})
    outbox.notify(instance.group_id, [instance.initiator_id], _("%(label)s未能在钉钉发起", label=label),
                  _("原因：%(reason)s。已改为在本系统中由业务管理员审批。", reason=reason),
                  link=f"/processes/{instance.id}", kind="dingtalk.approval_fallback", project_id=instance.project_id)
    log.warning("process %s stays in the app: %s", instance.id, reason)


def handle_event(event: dict) -> bool:
    """An approval finished or was withdrawn (bpms_instance_change): complete the process once."""
    kind = event.get("type")
    if event.get("EventType") != "bpms_instance_change" or kind not in ("finish", "terminate"):
        return False
    pid = str(event.get("processInstanceId") or "")
    instance = db.session.scalar(db.select(ProcessInstance).where(
        ProcessInstance.external_id == pid, ProcessInstance.provider == DingTalkApprovals.name)) if pid else None
    if instance is None:
        log.info("DingTalk approval %r matches no process: ignored", pid)
        return False
    approved = kind == "finish" and event.get("result") == "agree"
    comment = event.get("remark") or (_("钉钉审批同意") if approved else _("钉钉审批拒绝") if kind == "finish"
                                      else _("钉钉审批已撤销"))
    return service.complete(instance, approved, _("钉钉审批"), str(comment), callback_key=f"dingtalk:{pid}:{kind}",
                            payload=event)
