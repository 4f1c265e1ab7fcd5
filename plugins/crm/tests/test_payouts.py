"""A batch paid (分配) through the distribution module reaches the CRM dated its 分配日期, not the day it is sent."""
import datetime as dt
from decimal import Decimal

import pytest

from core.extensions import db
from core.modules import enable
from core.tenancy import tenant
from core.ui import SHANGHAI
from plugins.crm.tests.conftest import CONFIG, configure, rows, run_worker
from plugins.distribution.tests import helpers as dist
from tests.conftest import login, make_app, post, reset_database, save
from tests.sample_plugins.event_recorder.hooks import EVENTS

PLUGINS = ["plugins.subscription", "plugins.distribution", "plugins.crm", "tests.sample_plugins.event_recorder"]
PAID = dt.date(2024, 1, 15)
DISTRIBUTED = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def app():
    application = make_app(plugins=PLUGINS, **CONFIG)
    reset_database(application)
    yield application


def test_a_payout_is_dated_the_batchs_distribution_date(app, fake):
    with app.app_context():
        world = dist.make_world("AAA", partners=[("shiwei", "史伟", "realestate", "746428.00", PAID),
                                                 ("jintao", "金涛", "city", "288940.00", PAID)])
        with tenant(world["group"]):
            enable(world["group"], "crm")
            configure(world["group"], fake.url)
            db.session.commit()
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    batch = dist.new_batch(app, world, kj, "principal")
    assert save(kj, dist.batch_url(world, batch), {"distributed_on": DISTRIBUTED.isoformat(), "note": ""},
                page=dist.page_url(world, batch)).status_code == 302
    assert post(kj, dist.batch_url(world, batch, "compute")).status_code == 302
    dist.approve(app, world, kj, hh, batch, "distribution_principal")
    run_worker(app)  # the 分配通知 (its date has passed), then the CRM sync
    payouts = rows(app, world)
    assert sorted(r.user_id for r in payouts) == sorted(world["users"].values())
    assert {(r.kind, r.state, r.paid_on) for r in payouts} == {("payout", "synced", DISTRIBUTED)}
    [paid] = [e for e in EVENTS if type(e).__name__ == "DistributionPaid" and e.batch_id == batch]
    assert paid.distributed_on == DISTRIBUTED.isoformat()
    assert {r.user_id: r.amount for r in payouts} == {u: -Decimal(a) for u, a in zip(paid.user_ids, paid.amounts)}
    midnight = int(dt.datetime.combine(DISTRIBUTED, dt.time(), SHANGHAI).timestamp() * 1000)
    sent = fake.payments()
    assert len(sent) == 2 and {o["payment_time"] for o in sent} == {midnight}
    assert sorted(o["payment_amount"] for o in sent) == sorted(f"{r.amount:.2f}" for r in payouts)
