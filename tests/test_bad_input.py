"""Bad input to the host's forms: a message in the user's language, 200/400, nothing saved, no file left."""
import io
import os

import pytest
import sqlalchemy as sa

from core import settings
from core.extensions import db
from core.models import User
from core.processes.models import Attachment, ProcessInstance, Review
from core.tenancy import tenant
from tests.conftest import login, post
from tests.factories import make_tenant


@pytest.fixture
def world(app):
    with app.app_context():
        t = make_tenant("AAA", modules=["ledger"])
        return {"group": t.group.id, "project": t.project.id, "accountant": t.accountant.username,
                "admin": t.admin.username, "hh": t.business_admin.username}


def test_a_crafted_role_is_refused_in_chinese_and_no_user_is_made(app, world):
    admin = login(app.test_client(), world["admin"])
    response = post(admin, "/admin/users/new", {"username": "zhangsan", "name": "张三", "company_id": "0",
                                                "roles": ["superuser"], "password": "long-enough-9"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "“superuser”不是有效的选项" in page and "is not a valid choice" not in page
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(User.id).where(User.username == "zhangsan")) is None


def test_admin_text_fields_are_limited_to_their_columns(app, world):
    admin = login(app.test_client(), world["admin"])
    form = admin.get("/admin/users/new").get_data(as_text=True)
    assert 'maxlength="60"' in form and 'maxlength="20"' in form  # 账号/姓名, 手机
    response = post(admin, "/admin/users/new", {"username": "lisi", "name": "李" * 61, "company_id": "0",
                                                "mobile": "1" * 21, "password": "long-enough-9"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.count("最多 60 个字") == 1 and "最多 20 个字" in page
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(User.id).where(User.username == "lisi")) is None


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999", "-1", "1.5"])
def test_an_integer_setting_takes_ascii_digits_only(app, world, value):
    admin = login(app.test_client(), world["admin"])
    page = post(admin, "/admin/modules/ledger/settings", {"retries": value}).get_data(as_text=True)
    assert "格式不正确：重试次数" in page
    with app.app_context():
        assert settings.values(world["group"], "ledger")["retries"] == "3"


def test_a_refused_start_leaves_no_attachment_on_disk(app, world):
    folder = os.path.join(app.config["ATTACHMENT_DIR"], str(world["group"]))
    kj = login(app.test_client(), world["accountant"])
    assert post(kj, f"/processes/projects/{world['project']}/start/ledger_calc", {},
                content_type="multipart/form-data").status_code == 302
    stored_before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    response = post(kj, f"/processes/projects/{world['project']}/start/ledger_calc",
                    {"attachments": [(io.BytesIO(b"%PDF-1.4 x"), "计算表.pdf")]}, content_type="multipart/form-data",
                    follow_redirects=True)
    assert response.status_code == 200 and "离职退休测算已发起，不能重复发起" in response.get_data(as_text=True)
    assert (set(os.listdir(folder)) if os.path.isdir(folder) else set()) == stored_before
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance)) == 1


def test_comments_and_reasons_longer_than_their_columns_are_refused(app, world):
    kj, hh = login(app.test_client(), world["accountant"]), login(app.test_client(), world["hh"])
    post(kj, f"/processes/projects/{world['project']}/start/ledger_calc", {}, content_type="multipart/form-data")
    with app.app_context(), tenant(world["group"]):
        process_id = db.session.scalar(sa.select(ProcessInstance.id))
    assert 'name="comment" maxlength="500"' in hh.get(f"/processes/{process_id}").get_data(as_text=True)
    assert 'name="reason" maxlength="500"' in hh.get(f"/processes/projects/{world['project']}").get_data(as_text=True)
    page = post(hh, f"/processes/{process_id}/decide", {"decision": "approve", "comment": "意" * 501},
                follow_redirects=True).get_data(as_text=True)
    assert "审批意见最多 500 个字" in page
    page = post(hh, f"/processes/{process_id}/reset", {"reason": "因" * 501}, follow_redirects=True).get_data(as_text=True)
    assert "重置原因最多 500 个字" in page
    entry_id = int(post(kj, f"/ledger/projects/{world['project']}/entries", {"amount": "5.00", "note": "测算"}).data)
    review_id = int(post(kj, f"/ledger/entries/{entry_id}/submit").data)
    assert 'name="comment" maxlength="500"' in hh.get("/reviews/").get_data(as_text=True)
    page = post(hh, f"/reviews/{review_id}/decide", {"decision": "pass", "comment": "同" * 501},
                follow_redirects=True).get_data(as_text=True)
    assert "审核意见最多 500 个字" in page
    with app.app_context(), tenant(world["group"]):
        assert db.session.get(ProcessInstance, process_id).state == "running"
        assert db.session.get(Review, review_id).state == "submitted"


@pytest.mark.parametrize("value", ["²", "99999999999999999999"])
def test_ids_in_query_and_form_values_are_read_strictly(app, world, value):
    admin = login(app.test_client(), world["admin"])
    assert admin.get(f"/admin/notices?project={value}").status_code == 200
    assert admin.get(f"/admin/notices?batch={value}").status_code == 200
    response = post(admin, f"/admin/authorisations/{world['project']}", {"city_accountant": [value]})
    assert response.status_code in (302, 200)


def test_every_wtforms_form_of_the_app_speaks_the_users_language(app):
    from flask_wtf import FlaskForm

    from core.forms import Form

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    ours = {c for c in subclasses(FlaskForm) if c.__module__.startswith(("core.", "plugins."))}
    assert {"LoginForm", "PasswordForm", "UserForm", "ProjectForm"} <= {c.__name__ for c in ours}
    assert [c.__name__ for c in ours if not issubclass(c, Form)] == []


def test_every_decimal_column_round_trips_exactly(app):
    """A plain Numeric would come back from SQLite as a float; every decimal column is an ExactNumeric."""
    from core.money import ExactNumeric
    columns = [(f"{t.name}.{c.name}", c.type) for t in db.metadata.sorted_tables for c in t.columns]
    assert "ledger_entry.amount" in [name for name, kind in columns if isinstance(kind, ExactNumeric)]
    assert [name for name, kind in columns if isinstance(kind, sa.Numeric)] == []


def test_a_process_form_refuses_an_amount_beyond_the_column(app, world):
    kj, hh = login(app.test_client(), world["accountant"]), login(app.test_client(), world["hh"])
    post(kj, f"/processes/projects/{world['project']}/start/ledger_calc", {}, content_type="multipart/form-data")
    with app.app_context(), tenant(world["group"]):
        calc_id = db.session.scalar(sa.select(ProcessInstance.id))
    post(hh, f"/processes/{calc_id}/decide", {"decision": "approve", "comment": "同意"})
    response = post(kj, f"/processes/projects/{world['project']}/start/ledger_exit",
                    {"amount": "99999999999999999999", "ratio": "-1"}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "本次分配金额不能大于 9,999,999,999,999,999.99" in page and "本次分配比例不能为负数" in page
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance)) == 1
