"""DingTalk's server API (the wire contract in ../shared/EXTERNAL_APIS.md): one client per app.

Every call has a timeout. The access token is shared by every worker (Redis when configured,
else this process), refreshed before it expires, and once more when DingTalk calls it invalid;
the call is then retried once. Errors carry DingTalk's own ``errcode``/``errmsg`` and a reason
in plain words for the admin.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
import urllib.parse

import requests
from core.i18n import gettext as _

from core.apiclient import CachedToken, _local_tokens  # noqa: F401  (its tests clear _local_tokens)

log = logging.getLogger("gentou.dingtalk")
DEFAULT_BASE = "https://oapi.dingtalk.com"
TIMEOUT = (3.05, 10.0)            # seconds: connect, read
TOKEN_INVALID = {40001, 40014, 42001, 33001}
TOKEN_INVALID_SUB = {"40014", "42001"}  # on topapi/* under errcode 88
BAD_CREDENTIALS = {40096, 40089}
TOO_FAST = {130101, 410100, 660026}     # the group robot: over 20 a minute
RATE_LIMITED = {143103, 143104, 90002, 90006, 90018} | TOO_FAST
RATE_LIMITED_SUB = {str(code) for code in RATE_LIMITED}
IP_NOT_ALLOWED = {60020, 33012}
DAILY_LIMIT = 143105
BUSY = {-1}
NOT_FOUND = {60121}
BAD_CODE = 40078

_session = requests.Session()


class DingTalkError(Exception):
    """DingTalk answered ``errcode`` ≠ 0 (``code`` None: it could not be reached or answered garbage)."""

    def __init__(self, code: int | None, message: str, sub_code: str = "", status: int | None = None):
        super().__init__(f"{message} ({code})" if code is not None else message)
        self.code, self.message, self.sub_code, self.status = code, message, str(sub_code or ""), status

    @property
    def token_invalid(self) -> bool:
        return self.code in TOKEN_INVALID or (self.code == 88 and self.sub_code in TOKEN_INVALID_SUB)

    @property
    def rate_limited(self) -> bool:
        return self.code in RATE_LIMITED or self.sub_code in RATE_LIMITED_SUB

    @property
    def retryable(self) -> bool:
        """Worth trying again later: DingTalk unreachable, busy, or asking us to slow down."""
        if self.code is None:
            return not (self.status and 400 <= self.status < 500 and self.status != 429)
        return self.code in BUSY or self.code == DAILY_LIMIT or self.rate_limited

    @property
    def about_app(self) -> bool:
        """No call of this app can succeed now: its credentials, its IP whitelist or its token."""
        return self.code in BAD_CREDENTIALS | IP_NOT_ALLOWED or self.token_invalid

    @property
    def retry_after(self) -> float | None:
        """How long to wait before trying again, when DingTalk said to slow down."""
        if self.code == DAILY_LIMIT:
            return 3600.0
        return 60.0 if self.rate_limited else None

    @property
    def reason(self) -> str:
        """What went wrong, in plain words for the admin."""
        code = self.code
        if code is None and not self.retryable:
            return _("钉钉接口地址不正确：%(detail)s", detail=self.message)
        if code is None:
            return _("无法连接钉钉：%(detail)s", detail=self.message)
        if code in BAD_CREDENTIALS:
            return _("AppKey 或 AppSecret 不正确 (%(code)s)", code=code)
        if code in IP_NOT_ALLOWED:
            return _("服务器出口IP不在钉钉应用的白名单中 (%(code)s)", code=code)
        if code == BAD_CODE:
            return _("登录码无效、已使用或已过期，请重新打开应用 (%(code)s)", code=code)
        if code in NOT_FOUND:
            return _("钉钉中找不到该用户 (%(code)s)", code=code)
        if code in TOO_FAST:
            return _("机器人发送太快，已被钉钉限流 (%(code)s)", code=code)
        if code == 310000:
            return _("机器人签名、时间戳或关键词校验失败：%(msg)s (%(code)s)", msg=self.message, code=code)
        if code in (143103, 143104):
            return _("超过钉钉每分钟发送上限 (%(code)s)", code=code)
        if code == DAILY_LIMIT:
            return _("超过钉钉每日发送上限 (%(code)s)", code=code)
        if code == 143106:
            return _("相同内容今天已发送给该用户 (%(code)s)", code=code)
        if self.token_invalid:
            return _("钉钉 access_token 无效 (%(code)s)", code=code)
        return f"{self.message} ({code})"


def _call(method: str, url: str, params: dict, body: dict | None, timeout) -> dict:
    """One HTTP call; DingTalk answers HTTP 200 with errcode in the body, anything else is an outage."""
    try:
        response = _session.request(method, url, params=params, json=body, timeout=timeout)
    except requests.Timeout:
        raise DingTalkError(None, _("钉钉接口超时")) from None
    except requests.RequestException as exc:  # its text carries the URL, and the URL a secret: never shown
        raise DingTalkError(None, type(exc).__name__) from None
    if response.status_code != 200:
        raise DingTalkError(None, f"HTTP {response.status_code}", status=response.status_code)
    try:
        data = response.json()
    except ValueError:
        raise DingTalkError(None, _("钉钉的应答不是 JSON")) from None
    code = data.get("errcode", 0)
    if code not in (0, "0"):
        raise DingTalkError(int(code), str(data.get("errmsg", "")), data.get("sub_code", ""))
    return data


class Client(CachedToken):
    """The app's calls: ``base_url`` from the company's settings, token cache in ``redis`` if given."""

    def __init__(self, base_url: str, app_key: str, app_secret: str, agent_id: str = "", redis=None,
                 timeout=TIMEOUT):
        self.base_url = (base_url or DEFAULT_BASE).rstrip("/")
        self.app_key, self.app_secret, self.agent_id = app_key, app_secret, agent_id
        self.redis, self.timeout = redis, timeout
        # Per app; a changed secret or host takes effect at once instead of when the token expires.
        digest = hashlib.sha256(f"{self.base_url}\n{app_secret}".encode()).hexdigest()[:12]
        self.cache_key = f"gentou:dingtalk:token:{app_key}:{digest}"

    # The token (core.apiclient.CachedToken) ---------------------------------------------------
    def fetch_token(self) -> str:
        """Ask DingTalk for a token now (the "test connection" button) and cache it."""
        data = _call("GET", f"{self.base_url}/gettoken", {"appkey": self.app_key, "appsecret": self.app_secret},
                     None, self.timeout)
        self._store(data["access_token"], int(data.get("expires_in", 7200)))
        return data["access_token"]

    def access_token(self, stale: str | None = None) -> str:
        """The shared token; ``stale``: the one DingTalk just refused, replaced unless another worker did."""
        return self.shared_token(self.fetch_token, stale)

    def call(self, path: str, body: dict | None = None) -> dict:
        """POST ``path`` with the token; on a token-invalid answer refresh once and retry once."""
        token = self.access_token()
        try:
            return _call("POST", self.base_url + path, {"access_token": token}, body or {}, self.timeout)
        except DingTalkError as exc:
            if not exc.token_invalid:
                raise
            log.info("DingTalk token refused (%s): refreshing once", exc)
            self._drop(token)
        token = self.access_token(stale=token)
        return _call("POST", self.base_url + path, {"access_token": token}, body or {}, self.timeout)

    # The calls -------------------------------------------------------------------------------
    def userid_by_mobile(self, mobile: str) -> str | None:
        try:
            return self.call("/topapi/v2/user/getbymobile", {"mobile": mobile})["result"]["userid"]
        except DingTalkError as exc:
            if exc.code in NOT_FOUND:
                return None
            raise

    def user_by_code(self, code: str) -> dict:
        """The employee who opened the micro app: ``{"userid", "unionid", "name"}``."""
        return self.call("/topapi/v2/user/getuserinfo", {"code": code})["result"]

    def user(self, userid: str) -> dict:
        return self.call("/topapi/v2/user/get", {"userid": userid})["result"]

    def send_work_notice(self, userids: list[str], msg: dict) -> str:
        """One asyncsend_v2 call (``userids``: at most 100); returns the task id."""
        body = {"agent_id": int(self.agent_id), "userid_list": ",".join(userids), "msg": msg}
        return str(self.call("/topapi/message/corpconversation/asyncsend_v2", body)["task_id"])

    def send_progress(self, task_id: str) -> dict:
        """``{"progress_in_percent", "status"}``: status 2 when DingTalk has finished the task."""
        body = {"agent_id": int(self.agent_id), "task_id": int(task_id)}
        return self.call("/topapi/message/corpconversation/getsendprogress", body).get("progress") or {}

    def send_result(self, task_id: str) -> dict:
        body = {"agent_id": int(self.agent_id), "task_id": int(task_id)}
        return self.call("/topapi/message/corpconversation/getsendresult", body).get("send_result") or {}

    def create_approval(self, process_code: str, originator: str, dept_id: int, values: list[dict]) -> str:
        body = {"agent_id": int(self.agent_id), "process_code": process_code, "originator_user_id": originator,
                "dept_id": dept_id, "form_component_values": values}
        return self.call("/topapi/processinstance/create", body)["process_instance_id"]


def robot_sign(secret: str, timestamp_ms: int) -> str:
    """The robot's signature: urlencode(base64(HMAC-SHA256(secret, f"{ms}\\n{secret}")))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def robot_send(base_url: str, access_token: str, secret: str, payload: dict, timeout=TIMEOUT) -> None:
    """Post one message to a group robot, signed afresh."""
    ms = int(time.time() * 1000)
    query = f"access_token={urllib.parse.quote_plus(access_token)}&timestamp={ms}&sign={robot_sign(secret, ms)}"
    _call("POST", f"{(base_url or DEFAULT_BASE).rstrip('/')}/robot/send?{query}", {}, payload, timeout)
