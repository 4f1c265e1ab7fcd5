"""The 合思 client against the fake over HTTP: the token, paging, limits and errors."""
import logging

import pytest

from core import apiclient
from plugins.ekuaibao.client import Client, EkuaibaoError
from plugins.ekuaibao.tests import fake_ekuaibao as F
from tests.rq_helpers import redis_client

TOKEN, REFRESH, PLATFORMS = F.TOKEN_PATH, F.REFRESH_PATH, "/api/openapi/v2/datalink/getPlatform"


def lapse(client: Client) -> None:
    """The cached accessToken reaches its early-renewal time (the token itself still lives)."""
    apiclient._local_tokens[client.cache_key] = (apiclient._local_tokens[client.cache_key][0], 0.0)


def test_a_token_the_service_refused_is_replaced_by_a_new_one_not_refreshed(app, fake):
    with app.app_context():
        client = Client(fake.url, F.APP_KEY, F.APP_SECURITY)
        assert [p["id"] for p in client.platforms()] == [F.PLATFORM]
        assert len(client.entities(F.PLATFORM)) == 2
        assert fake.count(TOKEN) == 1
        fake.expire_tokens()  # the service says 401: a refresh would be refused, so a new token, the call once more
        assert [p["id"] for p in client.platforms()] == [F.PLATFORM]
        assert fake.count(TOKEN) == 2 and fake.count(REFRESH) == 0
        assert fake.count(PLATFORMS) == 3


def test_a_token_about_to_expire_is_renewed_with_its_refresh_token(app, fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.token_ttl = apiclient.REFRESH_EARLY + 120  # cached for half its life, refreshable for all of it
    with app.app_context():
        client = Client(fake.url, F.APP_KEY, F.APP_SECURITY)
        client.platforms()
        [first] = fake.live_tokens()
        [(refresh, _of)] = fake.refresh_tokens.items()
        lapse(client)
        client.platforms()
        assert (fake.count(TOKEN), fake.count(REFRESH)) == (1, 1)
        assert fake.queries(REFRESH) == [{"accessToken": first, "refreshToken": refresh, "powerCode": "219904"}]
        [second] = fake.live_tokens()
        assert second != first and fake.queries(PLATFORMS)[-1]["accessToken"] == second
        lapse(client)  # the refreshed pair is refreshed in its turn; the used one is never sent again
        client.platforms()
    assert (fake.count(TOKEN), fake.count(REFRESH)) == (1, 2)
    assert fake.queries(REFRESH)[1]["accessToken"] == second and fake.queries(REFRESH)[1]["refreshToken"] != refresh
    assert [q["accessToken"] for q in fake.queries(PLATFORMS)] == [first, second, *fake.live_tokens()]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "refreshToken" in logged  # urllib3 logged the calls, scrubbed of every token
    assert not [t for t in [*fake.tokens, *fake.refresh_tokens] if t in logged]


def test_a_refused_refresh_falls_back_to_a_new_access_token(app, fake):
    with app.app_context():
        client = Client(fake.url, F.APP_KEY, F.APP_SECURITY)
        client.platforms()
        # The accessToken expired before we came back to refresh it: the refresh is refused (403 未授权).
        fake.expire_tokens()
        lapse(client)
        client.platforms()
        assert (fake.count(TOKEN), fake.count(REFRESH)) == (2, 1)
        # The refreshToken was used up elsewhere: refused too.
        with fake.lock:
            fake.refresh_tokens = dict.fromkeys(fake.refresh_tokens, "")
        lapse(client)
        client.platforms()
        assert (fake.count(TOKEN), fake.count(REFRESH)) == (3, 2)
        # The refusal as an HTTP 200 carrying the error code, and as a bare status: the same.
        fake.fail_next(REFRESH, F.UNAUTHORIZED, 403)
        for _ in range(2):
            lapse(client)
            client.platforms()
        assert (fake.count(TOKEN), fake.count(REFRESH)) == (5, 4)
    assert fake.count(PLATFORMS) == 5  # every call went through with the token it was given: none refused


def test_a_refresh_whose_answer_was_lost_is_not_taken_for_a_refusal(app, fake):
    with app.app_context():
        client = Client(fake.url, F.APP_KEY, F.APP_SECURITY, timeout=(1, 0.5))
        client.platforms()
        lapse(client)
        fake.answer_late(REFRESH, 3.0)  # the service refreshes; the answer comes after our timeout
        with pytest.raises(EkuaibaoError) as late:
            client.platforms()
        assert late.value.timeout and late.value.retryable and fake.count(TOKEN) == 1
        client.platforms()  # the pair it still holds was used up: refused, then a new accessToken
    assert (fake.count(TOKEN), fake.count(REFRESH)) == (2, 2)


def test_workers_share_the_refresh_pair_through_redis(app, fake):
    with app.app_context():
        one, two = (Client(fake.url, F.APP_KEY, F.APP_SECURITY, redis=redis_client()) for _ in range(2))
        one.platforms()
        pair_ttl = redis_client().ttl(one.pair_key)
        assert 0 < pair_ttl <= 7200 - 30 and redis_client().ttl(one.cache_key) <= 7200 - apiclient.REFRESH_EARLY
        redis_client().delete(one.cache_key)  # its early-renewal time came
        two.platforms()
        one.platforms()
    assert (fake.count(TOKEN), fake.count(REFRESH)) == (1, 1)
    [token] = fake.live_tokens()
    assert [q["accessToken"] for q in fake.queries(PLATFORMS)][1:] == [token, token]


def test_pages_of_at_most_100_are_read_to_the_end(app, fake):
    fake.platforms += [{"id": f"P{n:03d}", "name": f"应用{n}", "type": "DATALINK", "active": True} for n in range(230)]
    with app.app_context():
        platforms = Client(fake.url, F.APP_KEY, F.APP_SECURITY).platforms()
    assert len(platforms) == 231
    assert [int(q["count"]) for q in fake.queries("/api/openapi/v2/datalink/getPlatform")] == [100, 100, 100]
    with app.app_context(), pytest.raises(ValueError):
        Client(fake.url, F.APP_KEY, F.APP_SECURITY).add(F.PROJECT_ENTITY, [{}] * 101)


def test_errors_carry_the_services_code_and_message_and_no_secret(app, fake):
    with app.app_context():
        with pytest.raises(EkuaibaoError) as bad:
            Client(fake.url, F.APP_KEY, "wrong-security").platforms()
        assert bad.value.status == 403 and bad.value.permanent
        assert "appKey或appSecurity错误" in bad.value.reason and "wrong-security" not in bad.value.reason
        fake.answer_late(TOKEN, 4.0)
        with pytest.raises(EkuaibaoError) as late:
            Client(fake.url, F.APP_KEY, F.APP_SECURITY, timeout=(1, 0.5)).platforms()
        assert late.value.timeout and late.value.retryable
        fake.rate_limit = 0
        with pytest.raises(EkuaibaoError) as limited:
            Client(fake.url, F.APP_KEY, F.APP_SECURITY).platforms()
        assert limited.value.status == 429 and limited.value.retryable
