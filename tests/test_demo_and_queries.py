"""The demo command, create-user, and query counts of the list pages."""
import pytest
import sqlalchemy as sa

from core import roles
from core.extensions import db
from core.models import AuditLog, Company, GroupCompany, Project, ProjectAuthorisation, User
from core.tenancy import tenant
from tests.conftest import login
from tests.factories import make_tenant, make_user

MANUAL_PROJECTS = ["昆明-城市之光", "靖江项目", "泰安-锦艺誉峯", "马鞍山-林语春风", "株洲-锦湘悦", "江阴项目", "常州项目"]


def counts(app):
    with app.app_context():
        return [db.session.scalar(sa.select(sa.func.count()).select_from(m))
                for m in (GroupCompany, Company, Project, User, ProjectAuthorisation, AuditLog)]


def test_demo_creates_the_manual_group_and_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["gentou", "demo"])
    assert first.exit_code == 0, first.output
    assert "gentou-demo-2026" in first.output and "hhadmin" in first.output
    after_first = counts(app)
    second = runner.invoke(args=["gentou", "demo", "--lang", "en"])
    assert second.exit_code == 0
    assert "Business admin" in second.output and "Business admin" not in first.output  # the role, as chosen
    assert counts(app) == after_first
    with app.app_context():
        group = db.session.scalar(sa.select(GroupCompany).where(GroupCompany.code == "JINYI"))
        with tenant(group.id):
            assert sorted(db.session.scalars(sa.select(Project.name))) == sorted(MANUAL_PROJECTS)
            held = {r for u in db.session.scalars(sa.select(User)) for r in u.roles}
    assert held == set(roles.ALL)
    client = login(app.test_client(), "hhkj", "gentou-demo-2026")
    home = client.get("/").get_data(as_text=True)
    assert "江阴项目" in home and "昆明-城市之光" not in home


def test_create_user_from_the_cli(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["gentou", "create-group", "ACME", "阿克米集团", "--short-name", "阿克米"])
    bad = runner.invoke(args=["gentou", "create-user", "--company", "ACME", "--username", "zs", "--name", "张三",
                              "--role", "admin", "--password", "short"])
    assert bad.exit_code != 0 and "password too short" in bad.output
    unknown = runner.invoke(args=["gentou", "create-user", "--company", "NOPE", "--username", "zs", "--name", "张三",
                                  "--role", "admin", "--password", "long-enough-1"])
    assert unknown.exit_code != 0 and "unknown group company 'NOPE'" in unknown.output
    ok = runner.invoke(args=["gentou", "create-user", "--company", "ACME", "--username", "zs", "--name", "张三",
                             "--role", "admin", "--password", "long-enough-1"])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(args=["gentou", "create-user", "--company", "ACME", "--username", "zs", "--name", "张三",
                                "--role", "admin", "--password", "long-enough-1"])
    assert again.exit_code != 0 and "taken" in again.output
    assert login(app.test_client(), "zs", "long-enough-1").get("/admin/projects").status_code == 200


class QueryCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1


def queries_for(app, client, url):
    with app.app_context():
        engine = db.engine
    client.get(url)  # warm caches that do not depend on the rows
    with QueryCounter(engine) as counter:
        assert client.get(url).status_code == 200
    return counter.count


def add_rows(app, group_id, n):
    from tests.factories import _HASH
    with app.app_context(), tenant(group_id):
        city = db.session.scalar(sa.select(Company).where(Company.kind == "city"))
        db.session.add_all([Project(code=f"Q{i:05d}", name=f"项目{i}", company_id=city.id) for i in range(n)])
        users = [User(username=f"q{group_id}_{i:05d}", name=f"用户{i}", password_hash=_HASH, company_id=city.id)
                 for i in range(n)]
        db.session.add_all(users)
        db.session.flush()
        for user in users:
            user.set_roles([roles.PARTNER, roles.CITY_ACCOUNTANT])
        db.session.commit()


def test_list_pages_issue_the_same_queries_for_10_and_1000_rows(app):
    with app.app_context():
        small, large = make_tenant("SML"), make_tenant("LRG")
        ids = (small.group.id, small.admin.username, large.group.id, large.admin.username)
    add_rows(app, ids[0], 10)
    add_rows(app, ids[2], 1000)
    few_client, many_client = login(app.test_client(), ids[1]), login(app.test_client(), ids[3])
    for url in ["/admin/projects", "/admin/users", "/admin/projects?page=3&q=项目", "/admin/users?role=partner",
                "/admin/audit-log", "/"]:
        few = queries_for(app, few_client, url)
        many = queries_for(app, many_client, url)
        assert few == many, (url, few, many)
        assert few <= 10, (url, few)


def add_work(app, group_id, n):
    """``n`` projects, each with a review waiting, one sent back and an in-app process to decide."""
    import datetime as dt

    from core.processes.models import ProcessInstance, Review
    add_rows(app, group_id, n)
    with app.app_context(), tenant(group_id):
        accountant = db.session.scalar(sa.select(User).where(User.username.like("%\\_kj", escape="\\")))
        now = dt.datetime(2026, 1, 1)
        for i, project in enumerate(db.session.scalars(sa.select(Project).where(Project.code.like("Q%"))).all()):
            db.session.add_all([
                Review(record_table="ledger_entry", record_id=project.id * 2, project_id=project.id, title=f"台账 {i}",
                       state="submitted", submitted_by=accountant.username, submitted_at=now),
                Review(record_table="ledger_entry", record_id=project.id * 2 + 1, project_id=project.id,
                       title=f"退回 {i}", state="returned", submitted_by=accountant.username, submitted_at=now, comment="有误"),
                ProcessInstance(project_id=project.id, kind="ledger_calc", state="running",
                                initiator_id=accountant.id, started_at=now),
                ProjectAuthorisation(user_id=accountant.id, project_id=project.id, role=roles.CITY_ACCOUNTANT)])
        db.session.commit()


def test_home_todo_lists_issue_the_same_queries_for_10_and_1000_items(app):
    with app.app_context():
        small, large = make_tenant("SML", modules=["ledger"]), make_tenant("LRG", modules=["ledger"])
        users = [(t.group.id, t.business_admin.username, t.accountant.username) for t in (small, large)]
    add_work(app, users[0][0], 10)
    add_work(app, users[1][0], 1000)
    for role in (1, 2):
        few_client, many_client = login(app.test_client(), users[0][role]), login(app.test_client(), users[1][role])
        few, many = queries_for(app, few_client, "/"), queries_for(app, many_client, "/")
        assert few == many, (role, few, many)
        assert few <= 14, (role, few)
    admin_home = login(app.test_client(), users[1][1]).get("/").get_data(as_text=True)
    assert admin_home.count("台账 ") == 20 and "更多…" in admin_home and admin_home.count("/processes/") >= 20
    accountant_home = login(app.test_client(), users[1][2]).get("/").get_data(as_text=True)
    assert "退回的方案" in accountant_home and accountant_home.count("退回 ") == 20
