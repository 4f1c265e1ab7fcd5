"""A sliding-window rate limit shared by every worker (Redis), or by one process (no Redis).

A slot counts from when it is taken until the send it guards has finished (``hold`` moves
the slot's time to the end of the send), so however long a send takes, no more than
``limit`` sends arrive at the other side within any ``period``. Nobody sleeps on it: a sender
over the limit is told when a slot frees and comes back then.
"""
from __future__ import annotations

import contextlib
import threading
import time
import uuid

# KEYS[1]: the window's sorted set. ARGV: window seconds, limit, member. Uses the Redis clock.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""
_TOUCH = """
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) + tonumber(t[2]) / 1000000, ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1]) * 1000))
return 1
"""

_local_windows: dict[str, dict[str, float]] = {}
_local_lock = threading.Lock()


def _acquire(name: str, limit: int, period: float, member: str, redis_client) -> float:
    if redis_client is not None:
        return max(0.0, float(redis_client.eval(_ACQUIRE, 1, f"gentou:ratelimit:{name}", period, limit, member)))
    with _local_lock:
        now, window = time.monotonic(), _local_windows.setdefault(name, {})
        for key in [k for k, at in window.items() if at <= now - period]:
            del window[key]
        if len(window) < limit:
            window[member] = now
            return 0.0
        return min(window.values()) + period - now


def _touch(name: str, period: float, member: str, redis_client) -> None:
    if redis_client is not None:
        redis_client.eval(_TOUCH, 1, f"gentou:ratelimit:{name}", period, member)
        return
    with _local_lock:
        window = _local_windows.setdefault(name, {})
        if member in window:
            window[member] = time.monotonic()


@contextlib.contextmanager
def hold(name: str, limit: int, period: float, redis_client=None):
    """Take a slot now and hold it for the block. Never waits: yields 0.0 when the slot was taken,
    else the seconds until one frees (and holds nothing), for the caller to come back then."""
    member = uuid.uuid4().hex
    wait = _acquire(name, limit, period, member, redis_client)
    if wait > 0:
        yield wait
        return
    try:
        yield 0.0
    finally:
        _touch(name, period, member, redis_client)
