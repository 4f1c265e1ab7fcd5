"""模板管理: the template's name is limited to its column, with a message and nothing saved."""
import sqlalchemy as sa

from core.extensions import db
from core.tenancy import tenant
from plugins.agreements.models import AgreementTemplate
from plugins.agreements.tests.test_agreements import world  # noqa: F401  (fixture)
from tests.conftest import login, save


def test_a_template_name_longer_than_its_column_is_refused(app, world):
    admin = login(app.test_client(), world["admin"])
    assert 'name="name" maxlength="120"' in admin.get("/agreements/admin/templates").get_data(as_text=True)
    response = save(admin, "/agreements/admin/templates", {"name": "模" * 121, "html": "<p>{{ partner.name }}</p>",
                                                           "css": ""})
    assert response.status_code == 200 and "模板名称最多 120 个字" in response.get_data(as_text=True)
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalars(sa.select(AgreementTemplate.version)).all() == [1]
