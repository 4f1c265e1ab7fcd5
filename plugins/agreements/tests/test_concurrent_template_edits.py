"""模板管理 from two windows: each save is a new version, so a save made from an older version is refused."""
import sqlalchemy as sa

from core.extensions import db
from core.tenancy import tenant
from plugins.agreements.models import AgreementTemplate
from plugins.agreements.tests.test_agreements import world  # noqa: F401 (fixture)
from tests.conftest import STALE, two_saves

PAGE = "/agreements/admin/templates"


def test_the_second_of_two_template_saves_is_told_and_saves_nothing(app, world):
    first = {"name": "第一版", "html": "<p>{{ partner.name }}</p>", "css": ""}
    second = {"name": "第二版", "html": "<p>{{ partner.name }}！</p>", "css": ""}
    page = two_saves(app, world["admin"], PAGE, first, second)
    assert STALE in page
    with app.app_context(), tenant(world["group"]):
        names = db.session.execute(sa.select(AgreementTemplate.version, AgreementTemplate.name)
                                   .order_by(AgreementTemplate.version)).all()
    assert names == [(1, "事业合伙协议"), (2, "第一版")]
