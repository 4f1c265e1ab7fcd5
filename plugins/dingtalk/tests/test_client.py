"""The client on its own against the fake: the token's life, token-invalid answers, timeouts."""
import socket
import time

import pytest

from plugins.dingtalk.client import Client, DingTalkError
from plugins.dingtalk.tests import fake_dingtalk as F
from plugins.dingtalk.tests.conftest import redis_client

USER_GET = "/topapi/v2/user/get"


def client_of(fake, redis=None, **kwargs) -> Client:
    return Client(fake.url, F.APP_KEY, F.APP_SECRET, str(F.AGENT_ID), redis=redis, **kwargs)


@pytest.mark.parametrize("shared", [False, True], ids=["in-process", "redis"])
def test_the_token_is_refreshed_before_it_expires(ctx, fake, shared):
    fake.token_ttl = 4  # the client keeps it for half of that
    fake.add_user("dt-1")
    client = client_of(fake, redis_client() if shared else None)
    for _ in range(5):
        client.user("dt-1")
    assert fake.count("/gettoken") == 1
    time.sleep(2.2)
    client.user("dt-1")
    assert fake.count("/gettoken") == 2 and fake.count(USER_GET) == 6  # no call was refused on the way


def test_each_token_invalid_answer_refreshes_once_and_retries_once(ctx, fake):
    fake.add_user("dt-1")
    client = client_of(fake)
    for answer in ({"errcode": 40001, "errmsg": "不合法的access_token"}, {"errcode": 42001, "errmsg": "超时"},
                   {"errcode": 33001, "errmsg": "无效的企业"}, {"errcode": 88, "errmsg": "鉴权异常", "sub_code": "40014"},
                   {"errcode": 88, "errmsg": "鉴权异常", "sub_code": "42001"}):
        fake.fail_next(USER_GET, answer)
        assert client.user("dt-1")["userid"] == "dt-1"
    assert fake.count("/gettoken") == 1 + 5 and fake.count(USER_GET) == 10
    fake.fail_next(USER_GET, {"errcode": 40014, "errmsg": "x"}, {"errcode": 40014, "errmsg": "x"})
    with pytest.raises(DingTalkError) as refused:
        client.user("dt-1")
    assert refused.value.token_invalid and fake.count("/gettoken") == 7 and fake.count(USER_GET) == 12


def test_other_errors_carry_dingtalks_code_and_are_not_retried_here(ctx, fake):
    client = client_of(fake)
    fake.fail_next(USER_GET, {"errcode": 88, "errmsg": "限流", "sub_code": "90018"})
    with pytest.raises(DingTalkError) as limited:
        client.user("dt-1")
    assert (limited.value.code, limited.value.sub_code, limited.value.retryable) == (88, "90018", True)
    assert limited.value.retry_after == 60.0 and fake.count("/gettoken") == 1
    with pytest.raises(DingTalkError) as unknown:
        client.user("nobody")
    assert (unknown.value.code, unknown.value.retryable, unknown.value.reason) == (60121, False,
                                                                                 "钉钉中找不到该用户 (60121)")
    fake.fail_next(USER_GET, 500)
    with pytest.raises(DingTalkError) as outage:
        client.user("dt-1")
    assert (outage.value.code, outage.value.status, outage.value.retryable) == (None, 500, True)
    assert fake.count(USER_GET) == 3


def test_every_call_has_a_timeout(ctx):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        client = Client(f"http://127.0.0.1:{silent.getsockname()[1]}", "k", "s", "1", timeout=(0.5, 0.5))
        started = time.monotonic()
        with pytest.raises(DingTalkError) as timed_out:
            client.fetch_token()
        assert time.monotonic() - started < 3
        assert timed_out.value.retryable and timed_out.value.reason == "无法连接钉钉：钉钉接口超时"
    finally:
        silent.close()
