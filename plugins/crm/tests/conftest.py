"""An app that installs subscription and crm, queued on the test Redis; a fake CRM per test; helpers
that confirm, refund and reverse payments through subscription's own services (its events)."""
import datetime as dt
import os
import secrets
from decimal import Decimal

import pytest
import redis

from core import apiclient, settings
from core.extensions import db
from core.tenancy import tenant
from plugins.crm import client as crm_client
from plugins.crm.models import CrmPayment
from plugins.crm.tests import fake_crm as F
from tests.conftest import clean_database, client, ctx, database_url, make_app, reset_database  # noqa: F401
from tests.factories import make_tenant

PLUGINS = ["plugins.subscription", "plugins.crm", "tests.sample_plugins.event_recorder"]
REDIS_URL = os.environ.get("GENTOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CONFIG = {"REDIS_URL": REDIS_URL, "CRM_TIMEOUT": (2, 3)}


@pytest.fixture(scope="session")
def app():
    application = make_app(plugins=PLUGINS, **CONFIG)
    reset_database(application)
    yield application


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


def rq_queue():
    from rq import Queue
    return Queue(os.environ["GENTOU_RQ_QUEUE"], connection=redis_client())


@pytest.fixture(autouse=True)
def clean_redis():
    redis_client().flushdb()
    yield
    redis_client().flushdb()


@pytest.fixture
def fake():
    server = F.FakeCRM()
    server.start()
    yield server
    server.stop()
    apiclient.forget_tokens()
    crm_client.forget_operators()


def configure(group_id: int, base_url: str, **overrides) -> None:
    values = {"app_id": F.APP_ID, "app_secret": F.APP_SECRET, "permanent_code": F.PERMANENT_CODE,
              "operator_mobile": F.OPERATOR_MOBILE, "account_id": F.ACCOUNT_ID, "order_id": F.ORDER_ID,
              "api_base": base_url}
    with tenant(group_id):
        settings.save(group_id, "crm", {**values, **overrides})


@pytest.fixture
def world(app, fake):
    """Group AAA with subscription and crm, the CRM configured against the fake, its partner on the
    project's list (投资 30,000.00); group BBB likewise."""
    with app.app_context():
        out = {"fake": fake}
        for code, prefix in (("AAA", ""), ("BBB", "b_")):
            t = make_tenant(code, modules=["subscription", "crm"])
            with tenant(t.group.id):
                configure(t.group.id, fake.url)
                sub = subscription_for(t.project.id, t.partner.id)
                db.session.commit()
            out.update({f"{prefix}group": t.group.id, f"{prefix}project": t.project.id,
                        f"{prefix}partner": t.partner.id, f"{prefix}admin": t.admin.username,
                        f"{prefix}accountant": t.accountant.username, f"{prefix}outsider": t.outsider.username,
                        f"{prefix}subscription": sub.id})
        return out


def subscription_for(project_id: int, user_id: int):
    from plugins.subscription.models import Subscription
    sub = Subscription(token=secrets.token_hex(16), project_id=project_id, user_id=user_id, tier="realestate",
                       min_amount=Decimal("10000.00"), max_amount=Decimal("50000.00"), deadline=dt.date(2026, 12, 31),
                       subscribed_amount=Decimal("30000.00"), investment=Decimal("30000.00"))
    db.session.add(sub)
    db.session.flush()
    return sub


def confirm(app, world, amount: str, on=dt.date(2026, 11, 20), group="group", subscription="subscription") -> int:
    """缴款确认 through subscription's service (it emits PaymentConfirmed); committed; the payment's id."""
    from plugins.subscription import payments
    from plugins.subscription.models import Subscription
    with app.app_context(), tenant(world[group]):
        sub = db.session.get(Subscription, world[subscription])
        payment = payments.confirm(sub, on, Decimal(amount), "test")
        db.session.commit()
        return payment.id


def reverse(app, world, payment_id: int, reason: str = "重复录入") -> None:
    from plugins.subscription import payments
    from plugins.subscription.models import Payment
    with app.app_context(), tenant(world["group"]):
        payments.reverse(db.session.get(Payment, payment_id), reason, "test")
        db.session.commit()


def run_worker(application) -> None:
    """An RQ worker in this process until the queue is empty (delayed jobs stay scheduled)."""
    from core.worker import make_worker
    make_worker(application, redis_client()).work(burst=True, with_scheduler=False)


def rows(app, world, group="group") -> list[CrmPayment]:
    with app.app_context(), tenant(world[group]):
        found = db.session.scalars(db.select(CrmPayment).order_by(CrmPayment.id)).all()
        db.session.expunge_all()
        return found


def scheduled() -> list[tuple[float, dict]]:
    """The jobs waiting in RQ's scheduler: (seconds from now, the job's kwargs)."""
    from rq.registry import ScheduledJobRegistry
    registry = ScheduledJobRegistry(queue=rq_queue())
    now = dt.datetime.now(dt.UTC)
    out = []
    for job_id in registry.get_job_ids():
        job = rq_queue().fetch_job(job_id)
        at = registry.get_scheduled_time(job_id)
        out.append(((at - now).total_seconds(), job.args[2]))
    return out


def run_due_now(application, fake=None) -> None:
    """Time passes: every scheduled job and row is due now (and the rate-limit windows, ours in Redis
    and the fake's, are over); the worker runs them."""
    from rq.registry import ScheduledJobRegistry
    connection = redis_client()
    for key in connection.scan_iter("gentou:ratelimit:*"):
        connection.delete(key)
    if fake is not None:
        with fake.lock:
            fake.endpoint_times.clear()
            fake.token_times.clear()
    registry = ScheduledJobRegistry(queue=rq_queue())
    queue = rq_queue()
    for job_id in registry.get_job_ids():
        registry.remove(job_id)
        queue.enqueue_job(queue.fetch_job(job_id))
    with application.app_context(), tenant(None):
        db.session.execute(db.update(CrmPayment).values(next_attempt_at=None))
        db.session.commit()
    run_worker(application)


def worker_app(database: str, redis_url: str):
    """The app of a worker process (``flask --app``)."""
    return make_app(plugins=PLUGINS, SQLALCHEMY_DATABASE_URI=database, **{**CONFIG, "REDIS_URL": redis_url})


def run_worker_processes(count: int, seconds: float = 120) -> list[str]:
    """``count`` RQ worker processes (``gentou worker --burst``) on this test database and Redis, at once,
    until the queue is empty; their outputs."""
    import subprocess
    import sys
    import tempfile
    spec = f"plugins.crm.tests.conftest:worker_app({database_url()!r}, {REDIS_URL!r})"
    args = [sys.executable, "-m", "flask", "--app", spec, "gentou", "worker", "--burst"]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    logs = [tempfile.TemporaryFile() for _ in range(count)]
    processes = [subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT) for log in logs]
    outputs = []
    for process, log in zip(processes, logs):
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.seek(0)
        outputs.append(log.read().decode(errors="replace"))
        log.close()
    return outputs
