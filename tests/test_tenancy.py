"""Tenant isolation and role checks on every route that takes an id."""
from decimal import Decimal

import pytest

from core import roles
from core.extensions import db
from core.models import Batch, Company, InboxMessage, Notice, Project, User
from core.tenancy import CrossTenantWrite, tenant
from tests.conftest import login, post
from tests.factories import make_tenant, make_user
from tests.sample_plugins.ledger.models import LedgerEntry


@pytest.fixture
def world(app):
    with app.app_context():
        a = make_tenant("AAA", modules=["ledger"])
        b = make_tenant("BBB", modules=["ledger"])
        with tenant(a.group.id):
            entry = LedgerEntry(project_id=a.project.id, amount=Decimal("1.00"), note="A的台账")
            db.session.add(entry)
            db.session.commit()
            from core import outbox
            batch = outbox.notify(a.group.id, [a.admin.id], "A的通知")
            db.session.commit()
            notice = db.session.scalar(db.select(Notice).where(Notice.batch_id == batch.id))
            notice.state = "failed"
            db.session.commit()
            message = db.session.scalar(db.select(InboxMessage))
            from core.processes.models import ProcessInstance, Review
            process = ProcessInstance(project_id=a.project.id, kind="ledger_disclosure", initiator_id=a.accountant.id,
                                      started_at=notice.created_at, form_data={})
            review = Review(record_table="ledger_entry", record_id=entry.id, project_id=a.project.id,
                            title="A的送审", state="submitted")
            db.session.add_all([process, review])
            from core.processes import attachments
            with app.test_request_context():
                attachment = attachments.store(a.group.id, a.project.id, "a.pdf", b"%PDF-1.4 A", "aaa_kj")
            db.session.add(attachment)
            db.session.commit()
        ids = {"project_id": a.project.id, "company_id": a.city.id, "batch_id": a.batch.id,
               "user_id": a.accountant.id, "entry_id": entry.id, "notice_id": notice.id,
               "notice_batch_id": batch.id, "message_id": message.id, "process_id": process.id,
               "review_id": review.id, "code": "ledger_disclosure", "token": attachment.token,
               "group_code": a.group.code}
        # B's admin also holds every other role, so only tenancy can stop them.
        with tenant(b.group.id):
            db.session.get(User, b.admin.id).set_roles(roles.ALL)
            db.session.commit()
        return {"ids": ids, "a_admin": a.admin.username, "b_admin": b.admin.username, "a_group": a.group.id}


NOT_TENANT_DATA = {"filename", "name"}  # static files; module names are the same for every company


def id_rules(app):
    return [r for r in app.url_map.iter_rules() if r.arguments - NOT_TENANT_DATA]


def test_every_id_route_is_covered(app, world):
    unknown = {a for r in id_rules(app) for a in r.arguments} - set(world["ids"])
    assert not unknown, f"add these id kinds to the tenancy test: {unknown}"
    assert len(id_rules(app)) >= 7


def snapshot(app, group_id):
    with app.app_context(), tenant(group_id):
        return [db.session.scalar(db.select(db.func.count()).select_from(m)) for m in
                (Project, Company, Batch, User, LedgerEntry, Notice, InboxMessage)], \
            db.session.scalars(db.select(Project.name)).all()


def test_user_of_another_group_gets_404_for_every_id_route(app, world):
    b_client, a_client = app.test_client(), app.test_client()
    login(b_client, world["b_admin"])
    login(a_client, world["a_admin"])
    before = snapshot(app, world["a_group"])
    checked = 0
    for rule in id_rules(app):
        url = rule.build({k: world["ids"][k] for k in rule.arguments}, append_unknown=False)[1]
        if "GET" in rule.methods:
            assert b_client.get(url).status_code == 404, url
            assert a_client.get(url).status_code == 200, f"{url} must open for its own group"
        if "POST" in rule.methods:
            response = post(b_client, url, {"name": "篡改", "code": "HACK", "amount": "1", "company_id": "1",
                                            "username": "hacker", "kind": "city", "parent_id": "0",
                                            "decision": "approve", "reason": "篡改", "unlocked": "1"})
            assert response.status_code == 404, url
        checked += 1
    assert checked == len(id_rules(app))
    assert snapshot(app, world["a_group"]) == before


def test_lists_show_only_the_own_group(app, world):
    client = login(app.test_client(), world["b_admin"])
    for url in ("/admin/projects", "/admin/users", "/admin/companies", "/admin/batches", "/ledger/", "/"):
        page = client.get(url).get_data(as_text=True)
        assert "AAA" not in page and "A的台账" not in page, url
    assert "BBB项目" in client.get("/admin/projects").get_data(as_text=True)


def test_search_cannot_reach_another_group(app, world):
    client = login(app.test_client(), world["b_admin"])
    page = client.get("/admin/projects?q=AAA").get_data(as_text=True)
    assert "没有符合条件的项目" in page


def test_cross_tenant_write_is_refused(app, world):
    with app.app_context():
        with tenant(world["a_group"]):
            project = db.session.scalar(db.select(Project))
        other = db.session.scalar(db.select(User).where(User.username == world["b_admin"]))
        with tenant(other.group_id):
            project.name = "被改"
            with pytest.raises(CrossTenantWrite):
                db.session.flush()
        db.session.rollback()


def test_accountant_not_authorised_on_a_project_cannot_open_it(app, world):
    with app.app_context():
        a_group = world["a_group"]
        with tenant(a_group):
            project_id = db.session.scalar(db.select(Project.id))
    authorised = login(app.test_client(), "aaa_kj")
    assert post(authorised, f"/ledger/projects/{project_id}/entries", {"amount": "5"}).status_code == 201
    outsider = login(app.test_client(), "aaa_kj2")
    assert post(outsider, f"/ledger/projects/{project_id}/entries", {"amount": "5"}).status_code == 404


def test_non_admins_cannot_open_the_admin_screens(app, world):
    for username in ("aaa_kj", "aaa_hh", "aaa_p"):
        client = login(app.test_client(), username)
        for url in ("/admin/projects", "/admin/users", "/admin/modules", "/admin/audit-log"):
            assert client.get(url).status_code == 403, (username, url)
        assert post(client, "/admin/modules/ledger/disable").status_code == 403


def test_admin_menu_only_for_admins(app, world):
    page = login(app.test_client(), "aaa_kj").get("/").get_data(as_text=True)
    assert "后台管理" not in page
    page = login(app.test_client(), "aaa_admin").get("/").get_data(as_text=True)
    assert "后台管理" in page


def test_anonymous_is_sent_to_sign_in(client, world):
    for url in ("/", "/admin/projects"):
        response = client.get(url)
        assert response.status_code in (302, 403) and (response.status_code == 403 or "/login" in response.headers["Location"])


def test_accountant_sees_only_authorised_projects_on_home(app, world):
    with app.app_context(), tenant(world["a_group"]):
        city = db.session.scalar(db.select(Company).where(Company.kind == "city"))
        db.session.add(Project(code="AAA-P2", name="未授权项目", company_id=city.id))
        make_user("aaa_solo", [roles.CITY_ACCOUNTANT])
        db.session.commit()
    page = login(app.test_client(), "aaa_kj").get("/").get_data(as_text=True)
    assert "AAA项目" in page and "未授权项目" not in page
    page = login(app.test_client(), "aaa_hh").get("/").get_data(as_text=True)
    assert "AAA项目" in page and "未授权项目" in page


def test_a_relationship_read_after_the_tenant_block_stays_in_the_row_s_company(app):
    """Criteria travel with rows to the relationships loaded later; the group is then the row's own."""
    import sqlalchemy as sa
    from core.models import UserRole
    with app.app_context():
        a, b = make_tenant("AAA"), make_tenant("BBB")
        a_id, b_id, admin_id = a.group.id, b.group.id, a.admin.id
        with tenant(b_id):  # a role row of B pointing at A's admin: only a cross-tenant read could return it
            db.session.execute(sa.insert(UserRole).values(group_id=b_id, user_id=admin_id, role=roles.PARTNER))
            db.session.commit()
        db.session.expunge_all()
        with tenant(a_id):
            admin = db.session.scalar(db.select(User).where(User.username == "aaa_admin"))
            assert "role_rows" not in admin.__dict__
        assert [r.role for r in admin.role_rows] == [roles.ADMIN]  # lazy load outside the block
        with tenant(a_id):
            assert db.session.scalar(db.select(Project).where(Project.group_id == b_id)) is None
        with tenant(b_id):
            assert db.session.scalars(db.select(UserRole.role).where(UserRole.user_id == admin_id)).all() \
                == [roles.PARTNER]


def test_a_bulk_update_or_delete_touches_only_the_current_company_s_rows(app):
    import sqlalchemy as sa
    from core.models import UserRole
    with app.app_context():
        a, b = make_tenant("AAA"), make_tenant("BBB")
        a_id, b_id = a.group.id, b.group.id
        with tenant(a_id):
            db.session.execute(sa.update(Project).values(is_open=False))
            db.session.execute(sa.delete(UserRole).where(UserRole.role == roles.PARTNER))
            db.session.commit()
        with tenant(None):
            opened = dict(db.session.execute(sa.select(Project.group_id, Project.is_open)).all())
            partners = set(db.session.scalars(sa.select(UserRole.group_id).where(UserRole.role == roles.PARTNER)))
    assert opened == {a_id: False, b_id: True}
    assert partners == {b_id}
