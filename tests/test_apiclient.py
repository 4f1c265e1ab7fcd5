"""core.apiclient against a tiny fake served by tests.fake_service over real HTTP."""
import pytest
import redis as redis_lib

from core import apiclient
from core.apiclient import ApiClient, ApiError
from tests.fake_service import FakeService

import os

REDIS_URL = os.environ.get("GENTOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Fake(FakeService):
    routes = {("POST", "/token"): "token", ("GET", "/things"): "things"}

    def __init__(self):
        super().__init__()
        self.issued = []

    def token(self, request, body):
        if body.get("secret") != "s3cret":
            return 403, {"code": 401, "message": "bad secret"}
        self.issued.append(f"tok{len(self.issued) + 1}")
        return {"token": self.issued[-1], "ttl": 7200}

    def things(self, request, body):
        if request.args.get("token") != self.issued[-1]:
            return {"code": 42, "message": "token expired"}
        return {"code": 0, "items": [1, 2]}


class Client(ApiClient):
    service = "fake"
    expired_codes = frozenset({42})

    def __init__(self, base, secret, **kw):
        super().__init__(base, "key", secret, **kw)
        self.secret = secret

    def fetch_token(self):
        data = self.json_of(self.http("POST", "/token", json={"secret": self.secret}))
        return data["token"], data["ttl"]

    def things(self):
        def call(token):
            data = self.json_of(self.http("GET", "/things", params={"token": token}))
            if data.get("code"):
                raise ApiError(data["code"], data["message"], service="fake")
            return data["items"]
        return self.with_token(call)


@pytest.fixture
def fake():
    server = Fake()
    server.start()
    yield server
    server.stop()
    apiclient.forget_tokens()


@pytest.mark.parametrize("use_redis", [False, True])
def test_token_reused_then_refreshed_once_on_expired_code(fake, use_redis):
    r = redis_lib.Redis.from_url(REDIS_URL) if use_redis else None
    client = Client(fake.url, "s3cret", redis=r)
    if r is not None:
        r.delete(client.cache_key)
    assert client.things() == [1, 2] and client.things() == [1, 2]
    assert fake.count("/token") == 1
    fake.issued.append("rotated")  # the service forgot our token
    assert client.things() == [1, 2]
    assert fake.count("/token") == 2 and fake.count("/things") == 4
    if r is not None:
        r.delete(client.cache_key)


def test_errors_classified_and_never_carry_the_url(fake):
    client = Client(fake.url, "wrong")
    with pytest.raises(ApiError) as bad:
        client.things()
    assert bad.value.status == 403 and bad.value.permanent and bad.value.code == 401
    assert "wrong" not in str(bad.value) and "127.0.0.1" not in str(bad.value)
    fake.fail_next("/token", 502)
    with pytest.raises(ApiError) as outage:
        Client(fake.url, "s3cret").things()
    assert outage.value.retryable and outage.value.status == 502
    fake.answer_late("/token", 1.0)
    with pytest.raises(ApiError) as late:
        Client(fake.url, "s3cret", timeout=(1, 0.3)).things()
    assert late.value.timeout and late.value.retryable
    with pytest.raises(ApiError) as unreachable:
        Client("http://127.0.0.1:9/x?key=s3cret", "s3cret", timeout=(0.5, 0.5)).things()
    assert unreachable.value.retryable and "s3cret" not in str(unreachable.value)


def test_backoff_values():
    assert [apiclient.backoff(n) for n in range(1, 7)] == [30.0, 120.0, 600.0, 1800.0, 3600.0, None]
