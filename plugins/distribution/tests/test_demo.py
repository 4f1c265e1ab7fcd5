"""The demo (./dev.sh run) shows the stage: 马鞍山-林语春风 with an approved, notified 本金分配 and a computed profit batch."""
import sqlalchemy as sa

from core.extensions import db
from core.models import Project
from tests.conftest import login


def test_demo_shows_the_distribution_stage(app):
    result = app.test_cli_runner().invoke(args=["gentou", "demo"])
    assert result.exit_code == 0, result.output
    assert app.test_cli_runner().invoke(args=["gentou", "demo"]).exit_code == 0  # idempotent
    with app.app_context():
        project = db.session.scalar(sa.select(Project.id).where(Project.code == "MAS-LYCF"))
    staff = login(app.test_client(), "zykj", "gentou-demo-2026")
    page = staff.get(f"/distribution/projects/{project}/batches").get_data(as_text=True)
    assert "本金分配" in page and "第1次利润分配" in page and "1,410,990.00" in page
    mine = login(app.test_client(), "shiwei", "gentou-demo-2026").get("/distribution/me").get_data(as_text=True)
    assert "马鞍山-林语春风" in mine and "746,428.00" in mine and "已发送" in mine
    assert "分配通知" in login(app.test_client(), "shiwei", "gentou-demo-2026").get("/me/messages").get_data(as_text=True)
