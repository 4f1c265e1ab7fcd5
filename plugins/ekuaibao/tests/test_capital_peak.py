"""The project's 资金峰值 reaches 合思 from the module that keeps it (the ``capital_peaks`` hook), when enabled."""
from decimal import Decimal

from core.extensions import db
from core.models import Project
from core.modules import disable
from core.tenancy import tenant
from plugins.ekuaibao.models import EkuaibaoRecord
from plugins.ekuaibao.tests import fake_ekuaibao as F
from plugins.ekuaibao.tests.conftest import TIMEOUT, configure
from tests.conftest import make_app, reset_database
from tests.factories import make_tenant

PEAK = f"E_{F.PROJECT_ENTITY}_capitalPeak"


def test_the_capital_peak_comes_from_the_subscription_module_while_it_is_enabled(app, fake):
    both = make_app(plugins=["plugins.subscription", "plugins.ekuaibao"], EKUAIBAO_TIMEOUT=TIMEOUT)
    reset_database(both)
    with both.app_context():
        from plugins.subscription.models import Initiation
        t = make_tenant("AAA", modules=["subscription", "ekuaibao"])
        group_id, project_id = t.group.id, t.project.id
        with tenant(group_id):
            configure(group_id, fake.url)
            db.session.add(Initiation(project_id=project_id, capital_peak=Decimal("123456789.01")))
            db.session.get(Project, project_id).name = "泰安-锦艺誉峯"
            db.session.commit()
        assert fake.instances[F.PROJECT_ENTITY]["AAA-P1"]["form"][PEAK] == "123456789.01"

        with tenant(group_id):
            disable(group_id, "subscription")
            db.session.execute(db.update(EkuaibaoRecord).values(digest=""))  # sent again, whatever it was
            db.session.get(Project, project_id).name = "泰安项目"
            db.session.commit()
        assert PEAK not in fake.instances[F.PROJECT_ENTITY]["AAA-P1"]["form"]
        db.session.remove()
    reset_database(app)
