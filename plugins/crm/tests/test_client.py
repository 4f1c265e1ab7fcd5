"""The CRM client against the fake over HTTP: the token shared by every worker, fetched at most 10 times
a minute and never twice at once; paging checked before a call; the fake as strict as the CRM."""
import threading

import redis
import requests

from plugins.crm.client import Client, CrmError
from plugins.crm.tests import fake_crm as F
from plugins.crm.tests.conftest import REDIS_URL

WORKERS = 8


def worker_client(fake) -> Client:
    """A client as a worker process has it: its own session and Redis connection, nothing else shared."""
    return Client(fake.url, F.APP_ID, F.APP_SECRET, F.PERMANENT_CODE, redis=redis.Redis.from_url(REDIS_URL),
                  timeout=(2, 5))


def in_workers(app, fake, work) -> list:
    results, lock = [], threading.Lock()

    def run():
        with app.app_context():
            client = worker_client(fake)
            for outcome in work(client):
                with lock:
                    results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_workers_share_one_token(app, fake):
    fake.answer_late(F.TOKEN_PATH, 0.3)  # a slow token call: the others wait for it, none calls too
    tokens = in_workers(app, fake, lambda client: [client.token()])
    assert len(tokens) == WORKERS and len(set(tokens)) == 1
    assert fake.count(F.TOKEN_PATH) == 1 and fake.violations == []


def test_token_calls_at_most_10_a_minute_never_two_at_once_across_workers(app, fake):
    fake.answer_late(F.TOKEN_PATH, *[0.2] * 20)  # each call takes a while: an overlap would be seen

    def twice(client):
        for _ in range(2):
            try:
                yield client.fresh_token()
            except CrmError as exc:
                yield exc

    results = in_workers(app, fake, twice)
    refused = [r for r in results if isinstance(r, CrmError)]
    assert len(results) == 16 and len(refused) == 6
    assert all(e.rate_limited and e.retryable and 0 < e.retry_after <= 60 and e.code is None for e in refused)
    assert fake.count(F.TOKEN_PATH) == 10 and fake.violations == []


def test_the_fake_refuses_what_the_crm_refuses(fake):
    """Two token calls at once and an 11th in a minute are refused; paging outside the rules answers
    10013; an unknown operator or a limit over 1000 answers 10006; an unknown field 320001400."""
    fake.answer_late(F.TOKEN_PATH, 0.5)
    credentials = {"appId": F.APP_ID, "appSecret": F.APP_SECRET, "permanentCode": F.PERMANENT_CODE}
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(
        requests.post(fake.url + F.TOKEN_PATH, json=credentials, timeout=5).json())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a["errorCode"] for a in answers) == [0, 14001] and len(fake.violations) == 1
    token = next(a for a in answers if a["errorCode"] == 0)["corpAccessToken"]
    for _ in range(8):
        assert requests.post(fake.url + F.TOKEN_PATH, json=credentials, timeout=5).json()["errorCode"] == 0
    assert requests.post(fake.url + F.TOKEN_PATH, json=credentials, timeout=5).json()["errorCode"] == 14001

    def query(**info):
        body = {"corpAccessToken": token, "corpId": F.CORP_ID, "currentOpenUserId": F.OPERATOR_ID,
                "data": {"dataObjectApiName": "PaymentObj", "search_query_info": info}}
        return requests.post(fake.url + "/cgi/crm/v2/data/query", json=body, timeout=5).json()["errorCode"]

    assert query(limit=100, offset=0) == 0
    assert query(limit=100, offset=50) == 10013 and query(limit=100, offset=10100) == 10013
    assert query(limit=1001, offset=0) == 10006
    assert query(limit=10, offset=0, filters=[{"field_name": "remark", "field_values": ["x"], "operator": "REGEX"}]) \
        == 10006
    body = {"corpAccessToken": token, "corpId": F.CORP_ID, "currentOpenUserId": F.OPERATOR_ID,
            "data": {"object_data": {"dataObjectApiName": "PaymentObj", "account_id": F.ACCOUNT_ID,
                                     "payment_amount": "1.00", "payment_time": 1795104000000,
                                     "owner": [F.OPERATOR_ID], "colour": "red"}}}
    assert requests.post(fake.url + "/cgi/crm/v2/data/create", json=body, timeout=5).json()["errorCode"] == 320001400
    body["data"]["object_data"].pop("colour")
    body["data"]["object_data"]["payment_amount"] = "1.001"
    assert requests.post(fake.url + "/cgi/crm/v2/data/create", json=body, timeout=5).json()["errorCode"] == 320001400
    body["corpAccessToken"] = "not-a-token"
    assert requests.post(fake.url + "/cgi/crm/v2/data/create", json=body, timeout=5).json()["errorCode"] == 20016


def test_the_client_never_sends_a_page_outside_the_rules(app, fake):
    with app.app_context():
        client = worker_client(fake)
        for limit, offset in ((101, 0), (100, 50), (100, 10100), (0, 0)):
            try:
                client.query(F.OPERATOR_ID, "PaymentObj", [], limit, offset)
            except ValueError:
                continue
            raise AssertionError(f"limit {limit} offset {offset} was sent")
        assert fake.calls == []
        assert client.query(F.OPERATOR_ID, "PaymentObj", [], 100, 10000)["offset"] == 10000
