"""A test channel whose receiving side is a Redis list, so duplicates would show."""
import os
import time

import redis

from core.channels import Channel, PermanentError, TransientError

RECEIVED = "gentou:test:received"


def receiver() -> redis.Redis:
    return redis.Redis.from_url(os.environ.get("GENTOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))


def fail_next(key: str, times: int) -> None:
    """Make the next ``times`` sends of notice ``key`` fail with a transient error."""
    receiver().set(f"gentou:test:fail:{key}", times)


def reject(key: str) -> None:
    receiver().set(f"gentou:test:reject:{key}", 1)


class EchoChannel(Channel):
    name = "ledger_echo"
    label = "回声（测试）"

    def send_one(self, message):
        r = receiver()
        if r.get(f"gentou:test:reject:{message.key}"):
            raise PermanentError("收件人无效")
        if int(r.get(f"gentou:test:fail:{message.key}") or 0) > 0:
            r.decr(f"gentou:test:fail:{message.key}")
            raise TransientError("503 Service Unavailable")
        r.rpush(RECEIVED, message.key)
        r.rpush("gentou:test:received_at", repr(time.time()))
        return f"echo-{message.id}"


class ThrottledChannel(EchoChannel):
    name = "ledger_throttled"
    rate_limit = (5, 2.0)


class RobotChannel(EchoChannel):
    name = "ledger_robot"
    group_wide = True
