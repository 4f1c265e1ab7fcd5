"""Two notice channels: work notifications to each partner, and the group robot."""
from __future__ import annotations

import json
import time
import urllib.parse

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import outbox
from core.channels import Channel, PermanentError, TransientError
from core.jobs import enqueue
from core.tenancy import current_group_id
from plugins.dingtalk import services
from plugins.dingtalk.client import TIMEOUT, TOO_FAST, DingTalkError, robot_send

PER_CALL = 100            # userids per asyncsend_v2 call: safe everywhere
MAX_MSG_BYTES = 2048
CHECK_JOB = "dingtalk.check_send_result"
RESULT_LISTS = {"invalid_user_id_list": _l("钉钉用户无效（invalid）"),
                "forbidden_user_id_list": _l("钉钉拒绝发送：超过发送上限或重复内容（forbidden）"),
                "failed_user_id_list": _l("钉钉发送失败（failed）")}


def _error(exc: DingTalkError) -> Exception:
    return TransientError(exc.reason, retry_after=exc.retry_after) if exc.retryable else PermanentError(exc.reason)


def back_link(cfg: dict, group_id: int, link: str) -> str:
    """An absolute link that signs the reader in through the micro app, then opens ``link``."""
    if not link or not cfg["app_url"]:
        return ""
    query = urllib.parse.urlencode({"next": link})
    return f"{cfg['app_url'].rstrip('/')}/dingtalk/g/{services.group_code(group_id)}/app?{query}"


def _fit(build, title: str, body: str) -> dict:
    """The message built with as much of ``body`` as fits in DingTalk's 2048 bytes."""
    msg = build(f"#### {title}\n\n{body}")
    while len(json.dumps(msg, ensure_ascii=False).encode()) > MAX_MSG_BYTES and body:
        body = body[:max(0, len(body) - max(8, len(body) // 8))]
        msg = build(f"#### {title}\n\n{body}…")
    return msg


def work_message(title: str, body: str, url: str) -> dict:
    if url:
        return _fit(lambda text: {"msgtype": "action_card", "action_card": {
            "title": title, "markdown": text, "single_title": _("查看详情"), "single_url": url}}, title, body)
    return _fit(lambda text: {"msgtype": "markdown", "markdown": {"title": title, "text": text}}, title, body)


class WorkNoticeChannel(Channel):
    """工作通知: one asyncsend_v2 call per identical message and 100 userids; a partner without a
    bound userid fails here ("未绑定钉钉账号") and still has the inbox copy."""

    name = "dingtalk_work"
    label = _l("钉钉工作通知")
    personal = True

    def send(self, messages):
        group_id = messages[0].group_id
        cfg = services.config(group_id)
        try:
            client = services.client_for(group_id, cfg, "agent_id")
        except services.NotConfigured as exc:
            return {m.id: PermanentError(exc.reason) for m in messages}
        bound = services.userids(m.recipient_id for m in messages)
        results, same = {}, {}
        for m in messages:
            if m.recipient_id not in bound:
                results[m.id] = PermanentError(_("未绑定钉钉账号"))
            else:
                same.setdefault((m.title, m.body, m.link), {}).setdefault(bound[m.recipient_id], []).append(m.id)
        stop = None  # an error no further call of this app can escape now (credentials, outage, limit)
        for (title, body, link), by_userid in same.items():
            msg = work_message(title, body, back_link(cfg, group_id, link))
            userids = list(by_userid)
            for start in range(0, len(userids), PER_CALL):
                chunk = userids[start:start + PER_CALL]
                pairs = [[u, n] for u in chunk for n in by_userid[u]]
                if stop is not None:
                    results.update((n, stop) for _, n in pairs)
                    continue
                try:
                    task_id = client.send_work_notice(chunk, msg)
                except DingTalkError as exc:
                    error = _error(exc)
                    stop = error if exc.retryable or exc.about_app else None
                    results.update((n, error) for _, n in pairs)
                    continue
                results.update((n, task_id) for _, n in pairs)
                enqueue(CHECK_JOB, group_id, task_id=task_id, sent_at=time.time(), notices=pairs)
        return results


def check_send_result(task_id: str, sent_at: float, notices: list, attempt: int = 1) -> int:
    """The job after a send: getsendresult, and the notices of users it lists as failed. Returns their count."""
    group_id = current_group_id()
    wait = sent_at + current_app.config.get("DINGTALK_RESULT_DELAY", 60) - time.time()
    if wait > 0 and services.later(CHECK_JOB, group_id, wait, task_id=task_id, sent_at=sent_at, notices=notices,
                                   attempt=attempt):
        return 0
    try:
        result = services.client_for(group_id).send_result(task_id)
    except DingTalkError as exc:
        if exc.retryable and attempt < 5 and services.later(
                CHECK_JOB, group_id, exc.retry_after or 60.0 * attempt, task_id=task_id, sent_at=sent_at,
                notices=notices, attempt=attempt + 1):
            return 0
        raise
    by_userid: dict[str, list[int]] = {}
    for userid, notice_id in notices:
        by_userid.setdefault(userid, []).append(notice_id)
    failed = 0
    for key, reason in RESULT_LISTS.items():
        listed = result.get(key) or []
        for userid in listed.split(",") if isinstance(listed, str) else listed:
            for notice_id in by_userid.get(str(userid).strip(), []):
                failed += outbox.mark_failed(notice_id, str(reason))
    return failed


class RobotChannel(Channel):
    """群机器人: process results and admin alerts to the group, signed afresh, at most 20 a minute."""

    name = "dingtalk_robot"
    label = _l("钉钉群机器人")
    group_wide = True
    rate_limit = (20, 60.0)

    def send_one(self, message):
        cfg = services.config(message.group_id)
        try:
            services.require(cfg, "robot_token", "robot_secret")
        except services.NotConfigured as exc:
            raise PermanentError(exc.reason) from None
        url = back_link(cfg, message.group_id, message.link)
        text = f"#### {message.title}\n\n{message.body}" + (f"\n\n[{_('查看详情')}]({url})" if url else "")
        payload = {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}
        try:
            robot_send(cfg["api_base"], cfg["robot_token"], cfg["robot_secret"], payload,
                       current_app.config.get("DINGTALK_TIMEOUT", TIMEOUT))
        except DingTalkError as exc:
            if exc.code in TOO_FAST:  # over the limit the robot is blocked for 10 minutes
                raise TransientError(exc.reason, retry_after=current_app.config.get("DINGTALK_ROBOT_BLOCKED", 600.0))
            raise _error(exc) from None
        return None
