"""A fake DingTalk (oapi) of the contract in ../shared/EXTERNAL_APIS.md, served on 127.0.0.1 over HTTP.

It answers the way DingTalk does (HTTP 200 with an errcode), checks what it is sent (token,
agent id, the comma-separated userid_list, the robot's signature, the 20-a-minute robot limit),
records every call, and can be told to fail the next calls of a path. As strict as the service
about work notices: the same content reaches a user once a day (a repeat is listed in
getsendresult's forbidden_list with 143106 and not delivered), a task finishes a moment after
it was accepted (getsendprogress), users can be refused with a chosen code (143103, 143105...),
an answer can come after the client gave up although the call took effect, and tokens can
expire in the middle of a run.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import struct
import threading
import time
import uuid

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

APP_KEY, APP_SECRET, AGENT_ID, CORP_ID = "dingappkey", "dingappsecret", 310804070, "dingcorp01"
ROBOT_TOKEN, ROBOT_SECRET = "robot-token-1", "SECfake0123456789"
CALLBACK_TOKEN, AES_KEY = "cbtoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class FakeDingTalk:
    def __init__(self, token_ttl: int = 7200):
        self.lock = threading.Lock()
        self.token_ttl = token_ttl
        self.calls: list[tuple[str, dict, dict]] = []    # (path, query, JSON body)
        self.times: list[tuple[str, float]] = []         # (path, arrival time.time())
        self.tokens: dict[str, float] = {}               # token -> expiry (time.time())
        self.users: dict[str, dict] = {}                 # userid -> {"mobile", "name", "dept_id_list"}
        self.codes: dict[str, tuple[str, float]] = {}    # auth code -> (userid, expiry)
        self.tasks: dict[int, dict] = {}                 # task_id -> {"userids", "msg", "at", "delivered", ...}
        self.seen: set[tuple[str, str]] = set()          # (userid, content) delivered today
        self.refusals: dict[str, list[int]] = {}         # userid -> codes of its next sends (forbidden_list)
        self.finish_after = 0.3                          # seconds from acceptance until a task is done
        self.late: dict[str, list[float]] = {}           # path -> answer delays of its next calls (it still acts)
        self.expire_after: int | None = None             # calls until every token expires
        self.robot_times: list[float] = []               # arrival of each robot message accepted
        self.robot_messages: list[dict] = []
        self.robot_blocked_until = 0.0
        self.process_codes = {"PROC-PEAK"}
        self.instances: dict[str, dict] = {}
        self.failures: dict[str, list] = {}              # path -> [HTTP status or JSON answer, ...]
        self._task_ids = itertools.count(256271667526)
        self.server = None

    # Serving ---------------------------------------------------------------------------------
    def start(self) -> str:
        self.server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_Quiet)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_json(silent=True) if request.method == "POST" else None
        with self.lock:
            self.calls.append((request.path, dict(request.args), body or {}))
            self.times.append((request.path, time.time()))
            queued = self.failures.get(request.path)
            failure = queued.pop(0) if queued else None
            delays = self.late.get(request.path)
            delay = delays.pop(0) if delays else 0.0
            if self.expire_after is not None:
                self.expire_after -= 1
                if self.expire_after < 0:
                    self.expire_after = None
                    self.expire_tokens()
        if isinstance(failure, int):
            return Response("upstream error", status=failure)(environ, start_response)
        if failure is not None:
            return self._json(failure)(environ, start_response)
        handler = getattr(self, "_" + request.path.strip("/").replace("/", "_"), None)
        if handler is None:
            return Response("not found", status=404)(environ, start_response)
        with self.lock:
            answer = handler(request, body or {})
        time.sleep(delay)  # it has acted; the answer comes late
        return self._json(answer)(environ, start_response)

    @staticmethod
    def _json(data: dict) -> Response:
        return Response(json.dumps(data, ensure_ascii=False), content_type="application/json")

    # Test helpers ----------------------------------------------------------------------------
    def count(self, path: str) -> int:
        return sum(1 for p, _, _ in self.calls if p == path)

    def bodies(self, path: str) -> list[dict]:
        return [b for p, _, b in self.calls if p == path]

    def queries(self, path: str) -> list[dict]:
        return [q for p, q, _ in self.calls if p == path]

    def fail_next(self, path: str, *answers) -> None:
        """The next calls of ``path`` get these answers (an HTTP status, or a JSON body; None: the real one)."""
        self.failures.setdefault(path, []).extend(answers)

    def answer_late(self, path: str, *seconds: float) -> None:
        """The next calls of ``path`` take effect at once, their answers come these seconds later."""
        self.late.setdefault(path, []).extend(seconds)

    def refuse(self, userid: str, *codes: int) -> None:
        """The next work notices to ``userid`` are not delivered; getsendresult lists each code."""
        self.refusals.setdefault(userid, []).extend(codes)

    def add_user(self, userid: str, mobile: str = "", name: str = "", dept: int = 1) -> None:
        self.users[userid] = {"userid": userid, "mobile": mobile, "name": name or userid, "dept_id_list": [dept]}

    def issue_code(self, userid: str, ttl: float = 300) -> str:
        code = uuid.uuid4().hex
        self.codes[code] = (userid, time.time() + ttl)
        return code

    def expire_tokens(self) -> None:
        self.tokens = {t: 0.0 for t in self.tokens}

    def delivered(self) -> list[str]:
        """Every userid a work notice was delivered to, once per delivery."""
        with self.lock:
            return [u for task in self.tasks.values() for u in task["delivered"]]

    # The API ---------------------------------------------------------------------------------
    def _token_error(self, request, topapi: bool) -> dict | None:
        token = request.args.get("access_token", "")
        if token not in self.tokens:
            return ({"errcode": 88, "errmsg": "鉴权异常", "sub_code": "40014", "sub_msg": "不合法的access_token"}
                    if topapi else {"errcode": 40014, "errmsg": "不合法的access_token"})
        if self.tokens[token] < time.time():
            return ({"errcode": 88, "errmsg": "鉴权异常", "sub_code": "42001", "sub_msg": "access_token已过期"}
                    if topapi else {"errcode": 42001, "errmsg": "access_token超时"})
        return None

    def _gettoken(self, request, body):
        if (request.args.get("appkey"), request.args.get("appsecret")) != (APP_KEY, APP_SECRET):
            return {"errcode": 40096, "errmsg": "不合法的appKey或appSecret"}
        token = uuid.uuid4().hex
        self.tokens[token] = time.time() + self.token_ttl
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_ttl}

    def _topapi(self, request, answer: dict) -> dict:
        """The token checked first, then ``answer`` (an error when it has an errcode)."""
        error = self._token_error(request, topapi=True)
        if error or "errcode" in answer:
            return error or answer
        return {"errcode": 0, "errmsg": "ok", "request_id": uuid.uuid4().hex, **answer}

    def _topapi_message_corpconversation_asyncsend_v2(self, request, body):
        userids = body.get("userid_list")
        if body.get("agent_id") != AGENT_ID:
            return self._topapi(request, {"errcode": 400002, "errmsg": "agent_id不合法"})
        if not isinstance(userids, str) or not userids:
            return self._topapi(request, {"errcode": 40035, "errmsg": "userid_list须为逗号分隔的字符串"})
        ids = userids.split(",")
        if len(ids) > 100 or len(json.dumps(body.get("msg"), ensure_ascii=False).encode()) > 2048:
            return self._topapi(request, {"errcode": 40035, "errmsg": "参数错误：接收者超过100人或消息超过2048字节"})
        answer = self._topapi(request, {"task_id": next(self._task_ids)})
        if answer["errcode"] == 0:
            content = json.dumps(body["msg"], ensure_ascii=False, sort_keys=True)
            task = {"userids": ids, "msg": body["msg"], "at": time.time(), "delivered": [], "invalid": [],
                    "forbidden": []}
            for userid in ids:
                refusals = self.refusals.get(userid)
                if userid not in self.users:
                    task["invalid"].append(userid)
                elif refusals:
                    task["forbidden"].append((userid, refusals.pop(0)))
                elif (userid, content) in self.seen:
                    task["forbidden"].append((userid, 143106))
                else:
                    self.seen.add((userid, content))
                    task["delivered"].append(userid)
            self.tasks[answer["task_id"]] = task
        return answer

    def _finished(self, task: dict | None) -> bool:
        return task is not None and time.time() >= task["at"] + self.finish_after

    def _topapi_message_corpconversation_getsendprogress(self, request, body):
        task = self.tasks.get(body.get("task_id"))
        if task is None:
            return self._topapi(request, {"errcode": 40035, "errmsg": "task_id不存在"})
        done = self._finished(task)
        return self._topapi(request, {"progress": {"progress_in_percent": 100 if done else 50,
                                                   "status": 2 if done else 1}})

    def _topapi_message_corpconversation_getsendresult(self, request, body):
        task = self.tasks.get(body.get("task_id"))
        if not self._finished(task):  # nothing known yet
            return self._topapi(request, {"send_result": {}})
        forbidden = task["forbidden"]
        return self._topapi(request, {"send_result": {
            "invalid_user_id_list": list(task["invalid"]), "forbidden_user_id_list": [u for u, _ in forbidden],
            "forbidden_list": [{"code": str(code), "count": 1, "userid": u} for u, code in forbidden],
            "failed_user_id_list": [], "read_user_id_list": [], "unread_user_id_list": list(task["delivered"])}})

    def _topapi_v2_user_getuserinfo(self, request, body):
        if self._token_error(request, topapi=True):
            return self._token_error(request, topapi=True)
        userid, until = self.codes.pop(body.get("code", ""), (None, 0.0))  # one use only
        if userid is None or until < time.time():
            return {"errcode": 40078, "errmsg": "不存在的临时授权码"}
        user = self.users[userid]
        return self._topapi(request, {"result": {"userid": userid, "unionid": f"u-{userid}", "name": user["name"]}})

    def _topapi_v2_user_get(self, request, body):
        user = self.users.get(body.get("userid"))
        return self._topapi(request, {"result": user} if user else {"errcode": 60121, "errmsg": "找不到该用户"})

    def _topapi_v2_user_getbymobile(self, request, body):
        found = next((u for u in self.users.values() if u["mobile"] and u["mobile"] == body.get("mobile")), None)
        return self._topapi(request, {"result": {"userid": found["userid"]}} if found
                            else {"errcode": 60121, "errmsg": "找不到该用户"})

    def _topapi_processinstance_create(self, request, body):
        if body.get("process_code") not in self.process_codes:
            return self._topapi(request, {"errcode": 820001, "errmsg": "审批模板不存在"})
        if body.get("originator_user_id") not in self.users or body.get("agent_id") != AGENT_ID:
            return self._topapi(request, {"errcode": 60121, "errmsg": "找不到该用户"})
        answer = self._topapi(request, {"process_instance_id": str(uuid.uuid4())})
        if answer["errcode"] == 0:
            self.instances[answer["process_instance_id"]] = body
        return answer

    def _robot_send(self, request, body):
        now = time.time()
        if request.args.get("access_token") != ROBOT_TOKEN:
            return {"errcode": 300001, "errmsg": "token is not exist"}
        try:
            stamp = int(request.args.get("timestamp", ""))
        except ValueError:
            return {"errcode": 310000, "errmsg": "sign not match, more: timestamp missing"}
        if abs(now * 1000 - stamp) > 3600 * 1000:
            return {"errcode": 310000, "errmsg": "invalid timestamp"}
        expected = base64.b64encode(hmac.new(ROBOT_SECRET.encode(), f"{stamp}\n{ROBOT_SECRET}".encode(),
                                             hashlib.sha256).digest()).decode()
        if request.args.get("sign") != expected:
            return {"errcode": 310000, "errmsg": "sign not match"}
        recent = [t for t in self.robot_times if t > now - 60]
        if now < self.robot_blocked_until or len(recent) >= 20:
            self.robot_blocked_until = max(self.robot_blocked_until, now + 600)
            return {"errcode": 660026, "errmsg": "send too fast, exceed 20 times per minute"}
        self.robot_times.append(now)
        self.robot_messages.append(body)
        return {"errcode": 0, "errmsg": "ok"}

    # The event callback, built the way DingTalk builds it ------------------------------------
    @staticmethod
    def envelope(event: dict, owner: str = CORP_ID, token: str = CALLBACK_TOKEN, aes_key: str = AES_KEY):
        """(query, JSON body) of an encrypted event callback."""
        key = base64.b64decode(aes_key + "=")
        message = json.dumps(event).encode()
        plain = os.urandom(16) + struct.pack(">I", len(message)) + message + owner.encode()
        pad = 32 - len(plain) % 32
        plain += bytes([pad] * pad)
        encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
        encrypted = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
        timestamp, nonce = str(int(time.time() * 1000)), uuid.uuid4().hex[:8]
        signature = hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()
        return {"signature": signature, "timestamp": timestamp, "nonce": nonce}, {"encrypt": encrypted}

    @staticmethod
    def open_reply(reply: dict, token: str = CALLBACK_TOKEN, aes_key: str = AES_KEY) -> tuple[str, str]:
        """(message, owner) of our reply, after checking its signature."""
        expected = hashlib.sha1("".join(sorted([token, reply["timeStamp"], reply["nonce"], reply["encrypt"]]))
                                .encode()).hexdigest()
        assert reply["msg_signature"] == expected, "reply signature"
        key = base64.b64decode(aes_key + "=")
        decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        plain = decryptor.update(base64.b64decode(reply["encrypt"])) + decryptor.finalize()
        plain = plain[:-plain[-1]]
        (length,) = struct.unpack(">I", plain[16:20])
        return plain[20:20 + length].decode(), plain[20 + length:].decode()
