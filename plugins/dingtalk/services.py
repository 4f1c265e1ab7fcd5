"""The company's DingTalk settings, its client, bindings of users to DingTalk userids."""
from __future__ import annotations

import logging
import re
import time

from flask import current_app
from core.i18n import gettext as _

from core import settings
from core.extensions import db
from core.jobs import perform_later, redis_connection
from core.models import GroupCompany, User
from core.models.user import utcnow
from core.tenancy import current_group_id
from plugins.dingtalk.client import TIMEOUT, Client, DingTalkError
from plugins.dingtalk.models import DingTalkBinding

PLUGIN = "dingtalk"
BIND_JOB = "dingtalk.bind_users"
log = logging.getLogger("gentou.dingtalk")
USERID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class NotConfigured(Exception):
    """A setting the call needs is empty; ``reason`` names it."""

    @property
    def reason(self) -> str:
        return str(self)


def config(group_id: int) -> dict[str, str]:
    return settings.values(group_id, PLUGIN)


def require(cfg: dict, *keys: str) -> None:
    labels = {s.key: str(s.label) for s in settings.declared(PLUGIN)}
    missing = [labels[k] for k in keys if not cfg.get(k)]
    if missing:
        raise NotConfigured(_("钉钉设置不完整，请填写：%(fields)s", fields="、".join(missing)))


def client_for(group_id: int, cfg: dict | None = None, *needed: str) -> Client:
    """The company's client; NotConfigured when AppKey, AppSecret (or ``needed``) are empty."""
    cfg = cfg if cfg is not None else config(group_id)
    require(cfg, "app_key", "app_secret", *needed)
    return Client(cfg["api_base"], cfg["app_key"], cfg["app_secret"], cfg["agent_id"], redis=redis_connection(),
                  timeout=current_app.config.get("DINGTALK_TIMEOUT", TIMEOUT))


def parse_process_codes(text: str) -> dict[str, str]:
    """``capital_peak=PROC-X, coinvest_initiation=PROC-Y`` (commas, semicolons or lines) → {kind: code}."""
    codes = {}
    for item in re.split(r"[,，;；\n]+", text or ""):
        if not item.strip():
            continue
        kind, sep, code = (part.strip() for part in item.partition("="))
        if not sep or not kind or not code:
            raise ValueError(item.strip())
        codes[kind] = code
    return codes


def valid_process_codes(text: str) -> bool:
    try:
        codes = parse_process_codes(text)
    except ValueError:
        return False
    return set(codes) <= set(current_app.extensions["gentou"].processes)


def group_code(group_id: int) -> str:
    return db.session.scalar(db.select(GroupCompany.code).where(GroupCompany.id == group_id))


def userids(user_ids) -> dict[int, str]:
    """{Gentou user id: DingTalk userid} of those bound, in one query."""
    return dict(db.session.execute(db.select(DingTalkBinding.user_id, DingTalkBinding.userid)
                                   .where(DingTalkBinding.user_id.in_(set(user_ids)))).all())


def bind(user: User, userid: str, actor: str) -> None:
    """Bind (or re-bind) ``user``; ValueError with the reason when ``userid`` is bad or taken."""
    if not USERID.match(userid):
        raise ValueError(_("钉钉 userid 只能包含字母、数字、下划线和连字符（最多 64 个）"))
    holder = db.session.scalar(db.select(DingTalkBinding).where(DingTalkBinding.userid == userid))
    if holder is not None and holder.user_id != user.id:
        raise ValueError(_("钉钉 userid %(userid)s 已绑定到 %(name)s", userid=userid, name=holder.user.name))
    row = db.session.scalar(db.select(DingTalkBinding).where(DingTalkBinding.user_id == user.id))
    if row is None:
        db.session.add(DingTalkBinding(user_id=user.id, userid=userid, bound_at=utcnow(), bound_by=actor))
    elif row.userid != userid:
        row.userid, row.bound_at, row.bound_by = userid, utcnow(), actor


def unbind(user: User) -> bool:
    row = db.session.scalar(db.select(DingTalkBinding).where(DingTalkBinding.user_id == user.id))
    if row is not None:
        db.session.delete(row)
    return row is not None


def bind_by_mobile(group_id: int, actor: str) -> tuple[list[tuple[User, str]], list[tuple[User, str]]]:
    """Look every active unbound user up by mobile (getbymobile) and bind those found.

    Returns (bound: [(user, userid)], not bound: [(user, reason)]); the caller commits. A
    rate-limit answer waits and asks again; bad credentials stop the run (DingTalkError).
    """
    client = client_for(group_id)
    taken = dict(db.session.execute(db.select(DingTalkBinding.userid, DingTalkBinding.user_id)).all())
    bound_ids = set(taken.values())
    users = db.session.scalars(db.select(User).where(User.active.is_(True)).order_by(User.username)).all()
    bound, missing = [], []
    for user in users:
        if user.id in bound_ids:
            continue
        if not user.mobile:
            missing.append((user, _("未填写手机号")))
            continue
        userid = _lookup(client, user.mobile)
        if userid is None:
            missing.append((user, _("钉钉中找不到手机号 %(mobile)s", mobile=user.mobile)))
        elif userid in taken:
            other = db.session.get(User, taken[userid])
            missing.append((user, _("手机号对应的钉钉账号已绑定到 %(name)s", name=other.name if other else "?")))
        else:
            db.session.add(DingTalkBinding(user_id=user.id, userid=userid, bound_at=utcnow(), bound_by=actor))
            taken[userid] = user.id
            bound.append((user, userid))
    return bound, missing


def bind_users_job(actor_id: int) -> int:
    """The 按手机号绑定 button's job: bind, then tell the admin who was not found. Returns the count bound."""
    from core import outbox
    group_id = current_group_id()
    try:
        bound, missing = bind_by_mobile(group_id, f"job:{actor_id}")
    except (NotConfigured, DingTalkError) as exc:
        outbox.notify(group_id, [actor_id], _("钉钉账号绑定失败"), exc.reason, link="/dingtalk/bindings",
                      kind="dingtalk.bind_users")
        return 0
    body = "\n".join(f"{user.name}（{user.username}）：{reason}" for user, reason in missing)
    outbox.notify(group_id, [actor_id], _("钉钉账号绑定：新绑定 %(bound)s 人，%(missing)s 人未绑定",
                                          bound=len(bound), missing=len(missing)),
                  body, link="/dingtalk/bindings?unbound=1", kind="dingtalk.bind_users")
    return len(bound)


def _lookup(client: Client, mobile: str, attempts: int = 4) -> str | None:
    for attempt in range(1, attempts + 1):
        try:
            return client.userid_by_mobile(mobile)
        except DingTalkError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            wait = min(exc.retry_after or 2.0 ** attempt, current_app.config.get("DINGTALK_MAX_WAIT", 60.0))
            log.info("getbymobile: %s, waiting %.0fs", exc, wait)
            time.sleep(wait)
    return None


def later(name: str, group_id: int, delay: float, **kwargs) -> bool:
    """From inside a job: run job ``name`` again in ``delay`` seconds (RQ's scheduler).
    False without Redis, where the caller carries on now."""
    if not current_app.config.get("REDIS_URL"):
        return False
    perform_later(name, group_id, delay, **kwargs)
    return True
