"""The 合思 client against the fake over HTTP: the token, paging, limits and errors."""
import pytest

from core import apiclient
from plugins.ekuaibao.client import Client, EkuaibaoError
from plugins.ekuaibao.tests import fake_ekuaibao as F

TOKEN = "/api/openapi/v1/auth/getAccessToken"


def test_token_reused_then_refreshed_once_when_it_expired(app, fake):
    with app.app_context():
        client = Client(fake.url, F.APP_KEY, F.APP_SECURITY)
        assert [p["id"] for p in client.platforms()] == [F.PLATFORM]
        assert len(client.entities(F.PLATFORM)) == 2
        assert fake.count(TOKEN) == 1
        fake.expire_tokens()  # the service says 401: one new token, the call once more
        assert [p["id"] for p in client.platforms()] == [F.PLATFORM]
        assert fake.count(TOKEN) == 2
        assert fake.count("/api/openapi/v2/datalink/getPlatform") == 3


def test_a_token_about_to_expire_is_replaced_before_it_is_refused(app, fake):
    fake.token_ttl = apiclient.REFRESH_EARLY + 2  # the cache keeps it for half its life only
    with app.app_context():
        client = Client(fake.url, F.APP_KEY, F.APP_SECURITY)
        client.platforms()
        apiclient._local_tokens[client.cache_key] = (apiclient._local_tokens[client.cache_key][0], 0.0)
        client.platforms()
    assert fake.count(TOKEN) == 2 and not [q for q in fake.queries("/api/openapi/v2/datalink/getPlatform")
                                           if q["accessToken"] not in fake.tokens]


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
