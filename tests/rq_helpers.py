"""The test Redis and an RQ worker in this process, for tests of jobs handed to RQ."""
import os

import redis

REDIS_URL = os.environ.get("GENTOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


def flush_redis():
    """For an autouse fixture: the test Redis database empty before and after each test."""
    redis_client().flushdb()
    yield
    redis_client().flushdb()


def run_worker(application) -> None:
    """An RQ worker in this process until the queue is empty (a fake answers from its own thread)."""
    from core.worker import make_worker
    make_worker(application, redis_client()).work(burst=True, with_scheduler=False)
