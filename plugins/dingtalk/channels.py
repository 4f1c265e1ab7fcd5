"""Two notice channels: work notifications to each partner, and the group robot."""
from __future__ import annotations

import json
import time
import urllib.parse

from flask import current_app
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

from core import outbox
from core.channels import Channel, PermanentError, TransientError
from core.extensions import db
from core.jobs import enqueue, perform_later
from core.models import Notice
from core.tenancy import current_group_id
from plugins.dingtalk import services
from plugins.dingtalk.client import TIMEOUT, TOO_FAST, DingTalkError, robot_send

PER_CALL = 100            # userids per asyncsend_v2 call: safe everywhere
MAX_MSG_BYTES = 2048
CHECK_JOB = "dingtalk.check_send_result"
RESULT_DELAY = 5          # seconds after a send before its progress is first asked
PER_MINUTE_WAIT = 60.0    # seconds before users over DingTalk's per-minute limit are sent to again
MAX_CHECKS = 8            # an unfinished task asked about at most this often; then its result is taken as it is
PROGRESS_DONE = 2
DUPLICATE = 143106        # the same content to the same user today: delivered already
PER_MINUTE = {143103, 143104}
RESULT_LISTS = {"invalid_user_id_list": _l("钉钉用户无效（invalid）"),
                "forbidden_user_id_list": _l("钉钉拒绝发送（forbidden）"),
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


def batch_text(batch_id: int | None, channel: str, body: str, url: str) -> str:
    """What a work notice says: the body when the whole batch shares it; when each recipient has his
    own (amounts), a pointer to the app, where he sees his figures after sign-in. Either way one text
    for the whole batch, and its number makes it unique (DingTalk drops same-day repeats, 143106)."""
    if batch_id is None:
        return body
    bodies = db.session.scalar(db.select(db.func.count(db.distinct(Notice.body)))
                               .where(Notice.batch_id == batch_id, Notice.channel == channel))
    if bodies > 1:
        body = (_("您的个人信息（如金额）请点击“查看详情”，登录后查看。") if url
                else _("您的个人信息（如金额）请登录跟投系统查看。"))
    return f"{body}\n\n{_('通知编号：%(number)s', number=batch_id)}"


class WorkNoticeChannel(Channel):
    """工作通知: one message per business notice (batch), identical for every recipient, sent to 100
    userids a call; a partner without a bound userid fails here ("未绑定钉钉账号") and still has the
    inbox copy. A failed call affects only its own notices."""

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
                key = (m.batch_id, m.title, m.link, m.body if m.batch_id is None else "")
                same.setdefault(key, (m.body, {}))[1].setdefault(bound[m.recipient_id], []).append(m.id)
        for (batch_id, title, link, _body), (body, by_userid) in same.items():
            url = back_link(cfg, group_id, link)
            msg = work_message(title, batch_text(batch_id, self.name, body, url), url)
            userids = list(by_userid)
            for start in range(0, len(userids), PER_CALL):
                chunk = userids[start:start + PER_CALL]
                pairs = [[u, n] for u in chunk for n in by_userid[u]]
                try:
                    task_id = client.send_work_notice(chunk, msg)
                except DingTalkError as exc:
                    results.update((n, _error(exc)) for _u, n in pairs)
                    continue
                results.update((n, task_id) for _u, n in pairs)
                enqueue(CHECK_JOB, group_id, task_id=task_id, sent_at=time.time(), notices=pairs)
        return results


def check_send_result(task_id: str, sent_at: float, notices: list, attempt: int = 1) -> int:
    """The job after a send: its result, once DingTalk has finished the task: getsendresult answers
    for every user of the task, or else getsendprogress says done (until then it comes back later,
    asking the progress first).
    Then each listed user's notices by what DingTalk said: a same-day duplicate (143106) was
    delivered by an earlier call; per-minute limits (143103/143104) and failures are sent again
    later; the rest failed. Returns the count of notices no longer counted as delivered."""
    group_id = current_group_id()
    delay = current_app.config.get("DINGTALK_RESULT_DELAY", RESULT_DELAY)
    again = {"task_id": task_id, "sent_at": sent_at, "notices": notices, "attempt": attempt + 1}
    wait = sent_at + delay - time.time()
    if wait > 0:
        perform_later(CHECK_JOB, group_id, wait, **{**again, "attempt": attempt})
        return 0
    client = services.client_for(group_id)
    try:
        # First the result (usually final by now); a task seen unfinished: its progress first.
        result = client.send_result(task_id) if attempt == 1 else {}
        if not _answers_everyone(result, notices):
            done = client.send_progress(task_id).get("status") == PROGRESS_DONE
            if not done and attempt < MAX_CHECKS:
                perform_later(CHECK_JOB, group_id, max(delay, 1.0) * attempt, **again)
                return 0
            result = client.send_result(task_id)
    except DingTalkError as exc:
        if exc.retryable and attempt < MAX_CHECKS:
            perform_later(CHECK_JOB, group_id, exc.retry_after or max(delay, 1.0) * attempt, **again)
            return 0
        raise
    return _apply_result(group_id, result, notices)


def _answers_everyone(result: dict, notices: list) -> bool:
    """Every user of the task is in one of the result's lists: DingTalk has finished with it."""
    listed = {u for key in ("read_user_id_list", "unread_user_id_list", "invalid_user_id_list",
                            "forbidden_user_id_list", "failed_user_id_list") for u in _listed(result, key)}
    listed |= {str(item.get("userid", "")) for item in result.get("forbidden_list") or [] if isinstance(item, dict)}
    return {str(userid) for userid, _n in notices} <= listed


def _listed(result: dict, key: str) -> list[str]:
    listed = result.get(key) or []
    return [str(u).strip() for u in (listed.split(",") if isinstance(listed, str) else listed) if str(u).strip()]


def _apply_result(group_id: int, result: dict, notices: list) -> int:
    by_userid: dict[str, list[int]] = {}
    for userid, notice_id in notices:
        by_userid.setdefault(str(userid), []).append(notice_id)
    codes = {str(item.get("userid", "")): int(item.get("code") or 0) for item in result.get("forbidden_list") or []
             if isinstance(item, dict)}
    failed, later = {}, {}
    for userid in _listed(result, "invalid_user_id_list"):
        failed[userid] = str(RESULT_LISTS["invalid_user_id_list"])
    for userid in set(_listed(result, "forbidden_user_id_list")) | set(codes):
        code = codes.get(userid)
        if code == DUPLICATE:
            continue  # delivered by an earlier call of ours (one that timed out, or a worker that died)
        if code in PER_MINUTE:
            later[userid] = (DingTalkError(code, "").reason, PER_MINUTE_WAIT)
        elif code:
            failed[userid] = DingTalkError(code, _("钉钉拒绝发送")).reason
        else:
            failed[userid] = str(RESULT_LISTS["forbidden_user_id_list"])
    for userid in _listed(result, "failed_user_id_list"):
        later.setdefault(userid, (str(RESULT_LISTS["failed_user_id_list"]), 0.0))
    count = 0
    for userid, reason in failed.items():
        count += sum(outbox.mark_failed(n, reason) for n in by_userid.get(userid, []))
    for userid, (reason, wait) in later.items():
        count += outbox.send_again(group_id, by_userid.get(userid, []), reason, wait)
    return count


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
