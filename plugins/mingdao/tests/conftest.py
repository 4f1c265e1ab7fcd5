"""An app that installs mingdao (and subscription, for payments), a fake 明道云 per test, group AAA mapped."""
import datetime as dt
import secrets
from decimal import Decimal

import pytest

from core import apiclient, settings
from core.events import emit
from core.extensions import db
from core.models.user import utcnow
from core.tenancy import tenant
from plugins.mingdao.models import MingdaoRecord
from plugins.mingdao.tests import fake_mingdao as F
from tests.conftest import clean_database, client, ctx, make_app, reset_database  # noqa: F401
from tests.rq_helpers import REDIS_URL, flush_redis, redis_client, run_worker  # noqa: F401
from tests.factories import make_tenant

PLUGINS = ["plugins.subscription", "plugins.mingdao"]
TIMEOUT = (3, 6)  # generous on a loaded machine; the late answers below come after 9 s
RATE = (45, 1.0)  # the fake refuses more than 50 calls a second
PROJECT_MAP = "code=p_code, name=p_name, company=p_company, land_acquired_on=p_land, capital_peak=p_peak"
PAYMENT_MAP = ("code=m_code, project=m_project, partner=m_partner, partner_code=m_account, kind=m_kind, "
               "amount=m_amount, paid_on=m_paid_on, state=m_state")
PAYOUT_MAP = ("code=d_code, project=d_project, partner=d_partner, partner_code=d_account, batch=d_batch, "
              "amount=d_amount, paid_on=d_paid_on")


@pytest.fixture(scope="session")
def app():
    application = make_app(plugins=PLUGINS, MINGDAO_TIMEOUT=TIMEOUT, MINGDAO_RATE=RATE)
    reset_database(application)  # every table, whatever plugins another test session made them for
    yield application


def queued(**config):
    return make_app(plugins=PLUGINS, **{"REDIS_URL": REDIS_URL, "MINGDAO_TIMEOUT": TIMEOUT, "MINGDAO_RATE": RATE, **config})


clean_redis = pytest.fixture(autouse=True)(flush_redis)


@pytest.fixture
def fake():
    server = F.FakeMingdao()
    server.start()
    yield server
    server.stop()
    apiclient.forget_tokens()


def configure(group_id: int, base_url: str, **overrides) -> None:
    values = {"app_key": F.APP_KEY, "sign": F.SIGN, "api_base": base_url, "project_worksheet_id": F.PROJECTS,
              "project_controls": PROJECT_MAP, "payment_worksheet_id": F.PAYMENTS, "payment_controls": PAYMENT_MAP,
              "payout_worksheet_id": F.PAYOUTS, "payout_controls": PAYOUT_MAP}
    with tenant(group_id):
        settings.save(group_id, "mingdao", {**values, **overrides})


@pytest.fixture
def world(app, fake):
    with app.app_context():
        a = make_tenant("AAA", modules=["subscription", "mingdao"])
        b = make_tenant("BBB", modules=["subscription", "mingdao"])
        for t in (a, b):
            with tenant(t.group.id):
                configure(t.group.id, fake.url)
                db.session.execute(db.delete(MingdaoRecord))  # what make_tenant queued before the settings
                db.session.commit()
        fake.calls.clear()
        return {"group": a.group.id, "project": a.project.id, "partner": a.partner.id, "admin": a.admin.username,
                "partner_username": a.partner.username, "b_group": b.group.id, "fake": fake, "city": a.city.id}


def confirm_payment(group_id: int, project_id: int, user_id: int, amount: str, twice: bool = False) -> int:
    """A payment of ``user_id`` confirmed (缴款确认) and its PaymentConfirmed emitted (twice: delivered twice)."""
    from plugins.subscription.events import PaymentConfirmed
    from plugins.subscription.models import Payment, Subscription
    with tenant(group_id):
        sub = db.session.scalar(db.select(Subscription).where(Subscription.project_id == project_id,
                                                              Subscription.user_id == user_id))
        if sub is None:
            sub = Subscription(token=secrets.token_hex(16), project_id=project_id, user_id=user_id, tier="city",
                               min_amount=Decimal("0"), max_amount=Decimal("1000000"), deadline=dt.date(2026, 12, 31))
            db.session.add(sub)
            db.session.flush()
        payment = Payment(subscription_id=sub.id, project_id=project_id, paid_on=dt.date(2026, 11, 2),
                          amount=Decimal(amount), recorded_by="test", recorded_at=utcnow())
        db.session.add(payment)
        db.session.flush()
        event = PaymentConfirmed(group_id=group_id, project_id=project_id, subscription_id=sub.id,
                                 payment_id=payment.id, amount=amount, paid_total=amount)
        emit(event)
        if twice:
            emit(event)
        db.session.commit()
        return payment.id
