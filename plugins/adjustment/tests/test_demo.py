"""``gentou demo`` adds a 峰值变更 draft once a demo project's 事业合伙立项 is approved, and is idempotent."""
import sqlalchemy as sa

from core.extensions import db
from core.models import Project, User
from core.models.user import utcnow
from core.processes.models import APPROVED, ProcessInstance
from core.tenancy import tenant
from plugins.adjustment.models import Round
from tests.conftest import login


def test_demo_shows_a_peak_change_in_draft(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["gentou", "demo"]).exit_code == 0
    with app.app_context(), tenant(None):
        from core.models import GroupCompany
        group = db.session.scalar(sa.select(GroupCompany).order_by(GroupCompany.id).limit(1))
    with app.app_context(), tenant(group.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 0  # nothing approved yet
        project = db.session.scalar(sa.select(Project).where(Project.code == "TA-JYYF"))
        kj = db.session.scalar(sa.select(User).where(User.username == "hhkj"))
        db.session.add(ProcessInstance(project_id=project.id, kind="coinvest_initiation", state=APPROVED,
                                       initiator_id=kj.id, started_at=utcnow(), completed_at=utcnow()))
        db.session.commit()
        project_id = project.id
    for _ in range(2):
        result = runner.invoke(args=["gentou", "demo"])
        assert result.exit_code == 0, result.output
    with app.app_context(), tenant(group.id):
        [round_] = db.session.scalars(sa.select(Round)).all()
        assert round_.kind == "peak" and round_.new_peak == round_.old_peak * 11 / 10
        assert sum(float(s["stake"]) for s in round_.shareholders) == 100
    page = login(app.test_client(), "hhkj", "gentou-demo-2026").get(f"/adjustment/projects/{project_id}")
    assert "峰值变更 #1" in page.get_data(as_text=True)
