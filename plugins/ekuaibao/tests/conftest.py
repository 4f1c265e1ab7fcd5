"""An app that installs ekuaibao, a fake 合思 per test, group AAA configured against it (BBB too)."""

import pytest

from core import apiclient, settings
from core.extensions import db
from core.tenancy import tenant
from plugins.ekuaibao.client import forget_pairs
from plugins.ekuaibao.models import EkuaibaoRecord
from plugins.ekuaibao.tests import fake_ekuaibao as F
from tests.conftest import clean_database, client, ctx, make_app, reset_database  # noqa: F401
from tests.rq_helpers import REDIS_URL, flush_redis, redis_client, run_worker  # noqa: F401
from tests.factories import make_tenant

PLUGINS = ["plugins.ekuaibao"]
TIMEOUT = (3, 6)  # generous on a loaded machine; the late answers below come after 9 s


@pytest.fixture(scope="session")
def app():
    application = make_app(plugins=PLUGINS, EKUAIBAO_TIMEOUT=TIMEOUT)
    reset_database(application)  # every table, whatever plugins another test session made them for
    yield application


def queued(**config):
    """An app that hands jobs to RQ on the test Redis."""
    return make_app(plugins=PLUGINS, **{"REDIS_URL": REDIS_URL, "EKUAIBAO_TIMEOUT": TIMEOUT, **config})


clean_redis = pytest.fixture(autouse=True)(flush_redis)


@pytest.fixture
def fake():
    server = F.FakeEkuaibao()
    server.start()
    yield server
    server.stop()
    apiclient.forget_tokens()
    forget_pairs()


def configure(group_id: int, base_url: str, **overrides) -> None:
    values = {"app_key": F.APP_KEY, "app_security": F.APP_SECURITY, "api_base": base_url, "platform_id": F.PLATFORM,
              "project_entity_id": F.PROJECT_ENTITY, "partner_entity_id": F.PARTNER_ENTITY}
    with tenant(group_id):
        settings.save(group_id, "ekuaibao", {**values, **overrides})


@pytest.fixture
def world(app, fake):
    """Groups AAA and BBB with ekuaibao configured against the fake, nothing pushed yet."""
    with app.app_context():
        a = make_tenant("AAA", modules=["ekuaibao"])
        b = make_tenant("BBB", modules=["ekuaibao"])
        for t in (a, b):
            with tenant(t.group.id):
                configure(t.group.id, fake.url)
                db.session.execute(db.delete(EkuaibaoRecord))  # what make_tenant queued before the settings
                db.session.commit()
        fake.calls.clear()
        return {"group": a.group.id, "project": a.project.id, "partner": a.partner.id, "admin": a.admin.username,
                "partner_username": a.partner.username, "b_group": b.group.id, "fake": fake,
                "city": a.city.id, "batch": a.batch.id}
