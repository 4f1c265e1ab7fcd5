"""The demo (./dev.sh run) shows 小股东: 靖江项目 with a registered, approved shareholder, one waiting for review,
and an approved 第1次股东分配."""
import sqlalchemy as sa

from core.extensions import db
from core.models import Project
from plugins.minority.models import MinorityBatch
from tests.conftest import login


def test_demo_shows_minority_shareholders_and_their_batch(app):
    result = app.test_cli_runner().invoke(args=["gentou", "demo"])
    assert result.exit_code == 0, result.output
    assert app.test_cli_runner().invoke(args=["gentou", "demo"]).exit_code == 0  # idempotent
    with app.app_context():
        project = db.session.scalar(sa.select(Project.id).where(Project.code == "JJ-01"))
        batch = db.session.scalar(sa.select(MinorityBatch.id).where(MinorityBatch.project_id == project))
    staff = login(app.test_client(), "zykj", "gentou-demo-2026")
    page = staff.get(f"/minority/projects/{project}/shareholders").get_data(as_text=True)
    assert "靖江恒信投资有限公司" in page and "陈建国" in page and "审核通过" in page and "待审核" in page
    page = staff.get(f"/minority/projects/{project}/batches?batch={batch}").get_data(as_text=True)
    # Only the approved shareholder is in the batch: 3,000,000.00 × 25 % = 750,000.00.
    assert "750,000.00" in page and "已锁定" in page and "陈建国" not in page
    admin = login(app.test_client(), "admin", "gentou-demo-2026")
    assert "靖江恒信投资有限公司" in admin.get("/minority/admin/shareholders?q=恒信").get_data(as_text=True)
