"""The host's fixtures with an app that installs dingtalk (and the ledger sample for its process kinds),
a fake DingTalk per test, and a clean Redis test database."""
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import redis

from core import roles, settings
from core.extensions import db
from core.tenancy import tenant
from plugins.dingtalk import client as dingtalk_client
from plugins.dingtalk.services import bind
from plugins.dingtalk.tests import fake_dingtalk as F
from tests.conftest import clean_database, client, ctx, database_url, make_app  # noqa: F401  (shared fixtures)
from tests.factories import make_tenant, make_user

PLUGINS = ["plugins.dingtalk", "tests.sample_plugins.ledger", "tests.sample_plugins.event_recorder"]
REDIS_URL = os.environ.get("GENTOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
FAST = {"NOTICE_BACKOFF_BASE": 0.0, "NOTICE_PENDING_GRACE": 0, "DINGTALK_RESULT_DELAY": 0,
        "DINGTALK_ROBOT_BLOCKED": 0.0, "DINGTALK_TIMEOUT": (2, 5)}


@pytest.fixture(scope="session")
def app():
    application = make_app(plugins=PLUGINS, DINGTALK_TIMEOUT=(2, 5))
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application


def queued(**config):
    """An app that hands jobs to RQ on the test Redis."""
    return make_app(plugins=PLUGINS, **{"REDIS_URL": REDIS_URL, **FAST, **config})


def worker_app(database, redis_url, **config):
    """For ``flask --app`` in worker processes."""
    return make_app(plugins=PLUGINS, SQLALCHEMY_DATABASE_URI=database, REDIS_URL=redis_url, **{**FAST, **config})


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


def rq_queue():
    """This test session's queue (tests.conftest names one per session)."""
    from rq import Queue
    return Queue(os.environ["GENTOU_RQ_QUEUE"], connection=redis_client())


@pytest.fixture(autouse=True)
def clean_redis():
    redis_client().flushdb()
    yield
    redis_client().flushdb()


@pytest.fixture
def fake():
    server = F.FakeDingTalk()
    server.finish_after = 0.0  # tasks done at once, unless a test asks for DingTalk's delay
    server.url = server.start()
    yield server
    server.stop()
    dingtalk_client._local_tokens.clear()


def configure(group_id: int, base_url: str, **overrides) -> None:
    """Fill the company's DingTalk settings with the fake's credentials; the caller commits."""
    values = {"corp_id": F.CORP_ID, "app_key": F.APP_KEY, "app_secret": F.APP_SECRET, "agent_id": str(F.AGENT_ID),
              "robot_token": F.ROBOT_TOKEN, "robot_secret": F.ROBOT_SECRET, "callback_token": F.CALLBACK_TOKEN,
              "callback_aes_key": F.AES_KEY, "api_base": base_url, "app_url": "https://gt.example.com",
              "process_codes": "ledger_calc=PROC-PEAK"}
    with tenant(group_id):
        settings.save(group_id, "dingtalk", {**values, **overrides})


@pytest.fixture
def world(app, fake):
    """Group AAA with dingtalk configured against the fake; its partner bound (``dt-aaa_p``); group BBB too."""
    with app.app_context():
        a = make_tenant("AAA", modules=["dingtalk", "ledger"])
        b = make_tenant("BBB", modules=["dingtalk", "ledger"])
        with tenant(a.group.id):
            configure(a.group.id, fake.url)
            for user in (a.partner, a.accountant, a.admin):
                bind(user, f"dt-{user.username}", "test")
                fake.add_user(f"dt-{user.username}", name=user.name)
            unbound = make_user("aaa_unbound", [roles.PARTNER], name="未绑定合伙人")
            db.session.commit()
        with tenant(b.group.id):
            configure(b.group.id, fake.url)
            db.session.commit()
        return {"group": a.group.id, "project": a.project.id, "partner": a.partner.id, "admin": a.admin.username,
                "accountant": a.accountant.username, "accountant_id": a.accountant.id, "hh": a.business_admin.username,
                "unbound": unbound.id, "b_group": b.group.id, "b_admin": b.admin.username, "fake": fake}


def run_worker(application) -> None:
    """An RQ worker in this process until the queue is empty (the fake answers from its own thread)."""
    from core.worker import make_worker
    make_worker(application, redis_client()).work(burst=True, with_scheduler=False)


def start_workers(count: int, burst: bool = True, **config) -> list:
    """``count`` worker processes on this test database and Redis (``config`` over FAST), their output
    to a file each (a pipe nobody reads until the end would fill up and block them)."""
    extra = "".join(f", {key}={value!r}" for key, value in config.items())
    spec = f"plugins.dingtalk.tests.conftest:worker_app({database_url()!r}, {REDIS_URL!r}{extra})"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    args = [sys.executable, "-m", "flask", "--app", spec, "gentou", "worker"] + (["--burst"] if burst else [])
    workers = []
    for _ in range(count):
        log = tempfile.TemporaryFile()
        workers.append((subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    return workers


def wait_for(workers: list, seconds: float = 180) -> list[str]:
    """Wait for the workers to exit (killed after ``seconds``); their outputs."""
    outputs = []
    for process, log in workers:
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.seek(0)
        outputs.append(log.read().decode(errors="replace"))
        log.close()
    return outputs


@contextlib.contextmanager
def listening_workers(count: int, **config):
    """``count`` worker processes, all listening before the block runs; stopped after it. Yields their
    outputs, after the block; during it, ``outputs.processes`` are the running processes."""
    from rq import Worker
    workers = start_workers(count, burst=False, **config)
    deadline = time.monotonic() + 60
    while len(Worker.all(queue=rq_queue())) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    outputs = Outputs(process for process, _log in workers)
    try:
        yield outputs
    finally:
        for process, _log in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        outputs += wait_for(workers, 60)


class Outputs(list):
    def __init__(self, processes):
        super().__init__()
        self.processes = list(processes)


def wait_until(predicate, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.2)
    return predicate()
