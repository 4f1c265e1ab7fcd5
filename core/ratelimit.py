"""A sliding-window rate limit shared by every worker (Redis), or by one process (no Redis)."""
from __future__ import annotations

import collections
import threading
import time
import uuid

# Keys: the window's sorted set. Args: window seconds, limit, member. Uses the Redis clock.
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

_local_windows: dict[str, collections.deque] = collections.defaultdict(collections.deque)
_local_lock = threading.Lock()


def acquire(name: str, limit: int, period: float, redis_client=None) -> float:
    """Take one slot of ``name``; 0.0 if taken, else the seconds to wait before trying again."""
    if redis_client is not None:
        wait = redis_client.eval(_ACQUIRE, 1, f"gentou:ratelimit:{name}", period, limit, uuid.uuid4().hex)
        return max(0.0, float(wait))
    with _local_lock:
        now, window = time.monotonic(), _local_windows[name]
        while window and window[0] <= now - period:
            window.popleft()
        if len(window) < limit:
            window.append(now)
            return 0.0
        return window[0] + period - now


def wait_for_slot(name: str, limit: int, period: float, redis_client=None, max_wait: float = 70.0) -> bool:
    """Block until a slot is free (at most ``max_wait`` seconds); False if it did not come."""
    deadline = time.monotonic() + max_wait
    while True:
        wait = acquire(name, limit, period, redis_client)
        if wait <= 0:
            return True
        if time.monotonic() + wait > deadline:
            return False
        time.sleep(min(wait + 0.01, max(0.0, deadline - time.monotonic())))
