"""股东登记: identifiers checked by their check character, stakes within the 股权合作, 申请审核 / 审核通过 / 退回."""
import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import AuditLog
from core.tenancy import tenant
from plugins.minority import checks
from plugins.minority.models import MinorityShareholder
from plugins.minority.tests.helpers import (PARTNER, approved, credit_code, decide, id_number, make_world, register,
                                            registration, review_id, url)
from tests.conftest import login, post, save


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world()


def count(world):
    with tenant(world["group"]):
        return db.session.scalar(sa.select(sa.func.count()).select_from(MinorityShareholder))


def test_check_characters_of_real_codes():
    # Published unified social credit codes and the standard's own ID example.
    for code in ("91350100M000100Y43", "9144030071526726XG", "911100007109288314"):
        assert checks.valid_credit_code(code), code
    assert checks.valid_id_number("11010519491231002X")
    assert not checks.valid_credit_code("91350100M000100Y44")      # check character off by one
    assert not checks.valid_credit_code("91350100M000100I43")      # I is not in the code's alphabet
    assert not checks.valid_credit_code("91350100M000100Y4")       # 17 characters
    assert not checks.valid_id_number("110105194912310021")        # check digit wrong
    assert not checks.valid_id_number("11010519491331002" + checks.id_check_char("11010519491331002"))  # 13th month


@pytest.mark.parametrize("kind, number, message", [
    ("company", "91350100M000100Y44", "统一社会信用代码“91350100M000100Y44”无效"),
    ("company", "ABC", "统一社会信用代码“ABC”无效"),
    ("person", "110105194912310021", "身份证号码“110105194912310021”无效"),
    ("person", credit_code(), "身份证号码"),   # a company's code is not a person's ID
    ("company", "", "请填写证件号码"),
])
def test_a_bad_identifier_is_refused_and_nothing_saved(app, world, kind, number, message):
    kj = login(app.test_client(), world["kj"])
    response = post(kj, url(world, "shareholders"), {**registration(kind=kind), "id_number": number})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count(world) == 0


def test_a_company_and_a_person_register_with_valid_identifiers(app, world):
    kj = login(app.test_client(), world["kj"])
    register(kj, world, name="甲公司", kind="company", number=credit_code().lower(), stake="30")
    register(kj, world, name="王五", kind="person", number=id_number()[:-1] + "x", stake="19")
    page = kj.get(url(world, "shareholders")).get_data(as_text=True)
    assert credit_code() in page and id_number() in page   # stored in capitals
    assert "已登记小股东 49.000%" in page and "合计 100.000%" in page
    assert "6222020000000001" not in page and "************0001" in page  # the account masked in the list


def test_stakes_of_all_shareholders_still_add_up_to_100(app, world):
    kj = login(app.test_client(), world["kj"])
    register(kj, world, stake="30")
    response = post(kj, url(world, "shareholders"), registration(name="乙", kind="person", stake="19.001"))
    assert response.status_code == 400
    assert f"{PARTNER}在股权合作中持股 49.000%，已登记 30.000%，本次 19.001% 超出" in response.get_data(as_text=True)
    response = post(kj, url(world, "shareholders"), registration(name="乙", kind="person", stake="19",
                                                                 cooperation="锦艺置业"))
    assert response.status_code == 400 and "请选择对应的股权合作（合作方）" in response.get_data(as_text=True)
    for stake in ("0", "-1", "abc", "101"):
        assert post(kj, url(world, "shareholders"), registration(kind="person", stake=stake)).status_code == 400
    with app.app_context():
        assert count(world) == 1


def test_no_registration_before_the_cooperation_adds_up(app):
    with app.app_context():
        world = make_world("CCC", ours="51", partner="40")
    kj = login(app.test_client(), world["kj"])
    response = post(kj, url(world, "shareholders"), registration())
    assert response.status_code == 400 and "持股比例合计须为 100%" in response.get_data(as_text=True)


def test_the_same_identifier_twice_is_refused(app, world):
    kj = login(app.test_client(), world["kj"])
    register(kj, world, stake="10")
    response = post(kj, url(world, "shareholders"), registration(name="甲公司二", stake="10"))
    assert response.status_code == 400 and "本项目已登记证件号码" in response.get_data(as_text=True)


def test_too_long_text_is_refused_with_the_column_limit(app, world):
    kj = login(app.test_client(), world["kj"])
    assert 'name="name" maxlength="120"' in kj.get(url(world, "shareholders")).get_data(as_text=True)
    response = post(kj, url(world, "shareholders"), registration(name="股" * 121))
    assert response.status_code == 400 and "股东名称最多 120 个字" in response.get_data(as_text=True)


def test_review_send_back_and_pass(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    sid = register(kj, world, stake="20")
    edit = url(world, f"shareholders/{sid}")
    page = url(world, f"shareholders?edit={sid}")
    assert post(kj, url(world, f"shareholders/{sid}/submit")).status_code == 302
    # Under review it cannot change.
    response = save(kj, edit, registration(stake="25"), page=page, follow_redirects=True)
    assert "正在审核或已审核通过" in response.get_data(as_text=True)
    # The business admin sees it on the page with 审核通过 / 退回, and sends it back.
    assert "审核通过" in hh.get(url(world, "shareholders")).get_data(as_text=True)
    decide(hh, world, "minority_shareholder", sid, passed=False, comment="开户行不全")
    shown = kj.get(url(world, "shareholders")).get_data(as_text=True)
    assert "退回" in shown and "开户行不全" in shown
    assert save(kj, edit, registration(stake="25", bank="工商银行福州分行"), page=page).status_code == 302
    assert post(kj, url(world, f"shareholders/{sid}/submit")).status_code == 302
    decide(hh, world, "minority_shareholder", sid)
    with app.app_context(), tenant(world["group"]):
        row = db.session.get(MinorityShareholder, sid)
        assert (str(row.stake), row.bank) == ("25.000", "工商银行福州分行")
        actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.record_table == "minority_shareholder")).all()
    assert {"create", "update", "review:submitted", "review:returned", "review:passed"} <= set(actions)
    # Once passed: no change, no delete.
    assert "正在审核或已审核通过" in save(kj, edit, registration(stake="10"), page=page,
                                       follow_redirects=True).get_data(as_text=True)
    response = post(kj, url(world, f"shareholders/{sid}/delete"), follow_redirects=True)
    assert "已申请审核的股东登记不能删除" in response.get_data(as_text=True)


def test_only_the_business_admin_decides(app, world):
    kj = login(app.test_client(), world["kj"])
    sid = register(kj, world)
    post(kj, url(world, f"shareholders/{sid}/submit"))
    rid = review_id(app, world, "minority_shareholder", sid)
    response = post(kj, f"/reviews/{rid}/decide", {"decision": "pass"}, follow_redirects=True)
    assert "只有业务管理员可以审核" in response.get_data(as_text=True)
    with app.app_context(), tenant(world["group"]):
        from core.processes.models import Review
        assert db.session.scalar(sa.select(Review.state)) == "submitted"


def test_two_saves_of_one_registration(app, world):
    from tests.conftest import STALE, two_saves
    kj = login(app.test_client(), world["kj"])
    sid = register(kj, world)
    page = two_saves(app, world["kj"], url(world, f"shareholders/{sid}"), registration(stake="21"),
                     registration(stake="22"), page=url(world, f"shareholders?edit={sid}"))
    assert STALE in page
    with app.app_context(), tenant(world["group"]):
        assert str(db.session.get(MinorityShareholder, sid).stake) == "21.000"


def test_approved_helper(app, world):
    kj, hh = login(app.test_client(), world["kj"]), login(app.test_client(), world["hh"])
    approved(kj, hh, world)
    assert "审核通过" in kj.get(url(world, "shareholders")).get_data(as_text=True)
