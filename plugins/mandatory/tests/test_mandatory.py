"""强投名单: entries by user and by role propose partners; the minimum holds in 个人中心 and in 测算;
removal needs a reason; the .xlsx import is all or none; tenancy and roles on every new route."""
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from core import roles
from core.extensions import db
from core.models import AuditLog
from core.tenancy import tenant
from plugins.mandatory.excel import HEADERS
from plugins.mandatory.models import MandatoryEntry, MandatoryWaiver
from plugins.subscription.models import Initiation, Subscription, TierRatio
from plugins.subscription.services import allocate
from tests.conftest import login, post, save
from tests.factories import make_tenant, make_user

D = Decimal
FAR = "2030-12-31"


@pytest.fixture
def world(app):
    with app.app_context():
        a = make_tenant("AAA", modules=["subscription", "mandatory"])
        b = make_tenant("BBB", modules=["subscription", "mandatory"])
        c = make_tenant("CCC", modules=["subscription"])
        ids = {}
        with tenant(a.group.id):
            for name, extra, company in (("zong", [roles.CITY_ACCOUNTANT], a.city), ("zhang", [], a.realestate),
                                         ("li", [], a.city), ("chen", [], a.city),
                                         ("wang", [roles.CITY_ACCOUNTANT], a.realestate)):
                ids[name] = make_user(name, [roles.PARTNER] + extra, name=f"{name}总", company_id=company.id).id
            db.session.add_all([Initiation(project_id=a.project.id, capital_peak=D("1000000.00")),
                                TierRatio(project_id=a.project.id, tier="city", ratio=D("1.000")),
                                TierRatio(project_id=a.project.id, tier="realestate", ratio=D("0.500"))])
            db.session.commit()
        return {"a": a.group.id, "b": b.group.id, "project": a.project.id, "city": a.city.id,
                "realestate": a.realestate.id, "admin": a.admin.username, "kj": a.accountant.username,
                "partner": a.partner.username, "b_admin": b.admin.username, "b_kj": b.accountant.username,
                "c_admin": c.admin.username, "c_kj": c.accountant.username, "c_project": c.project.id, **ids}


def entry(client, **fields):
    data = {"include_children": "1", "tier": "city", "min_kind": "amount", "valid_from": "2019-01-01", **fields}
    return post(client, "/mandatory/new", data)


def listed(app, world) -> dict[str, Subscription]:
    with app.app_context(), tenant(world["a"]):
        rows = db.session.scalars(sa.select(Subscription).options(sa.orm.joinedload(Subscription.user))).all()
        return {s.user.username: s for s in rows}


def mandatory_world(app, world):
    """By user: zhang at the 置业集团 for its companies' projects, 2,000.00 in the 置业集团 tier. By role:
    the 城市公司经营会计 of the city company, 30 % of the city tier's pot (10,000.00) = 3,000.00."""
    admin = login(app.test_client(), world["admin"])
    assert entry(admin, company_id=world["realestate"], username="zhang", tier="realestate",
                 minimum="2,000").status_code == 302
    assert entry(admin, company_id=world["city"], role=roles.CITY_ACCOUNTANT, min_kind="percent",
                 minimum="30").status_code == 302
    # Not proposed: an entry no longer valid on the project's 拿地时间 (2019-10-21), and a parent's entry
    # that leaves its companies' projects out.
    assert entry(admin, company_id=world["city"], username="li", minimum="1000", valid_to="2019-06-30").status_code == 302
    assert entry(admin, company_id=world["realestate"], username="chen", minimum="1000",
                 include_children="").status_code == 302
    return admin


def test_entries_by_user_and_by_role_propose_partners_for_a_new_project(app, world):
    admin = mandatory_world(app, world)
    assert "zhang总（zhang）" in admin.get("/mandatory/").get_data(as_text=True)
    kj = login(app.test_client(), world["kj"])
    page = kj.get(f"/subscription/projects/{world['project']}/partners").get_data(as_text=True)
    proposed = page.split("待列入的合伙人")[1].split("</table>")[0]
    assert "zhang总" in proposed and "zong总" in proposed and "2,000.00" in proposed and "3,000.00" in proposed
    assert "li总" not in proposed and "chen总" not in proposed and "wang总" not in proposed  # wang: not of the city company
    # A required partner added by hand cannot get a lower bound below the minimum.
    page = post(kj, f"/subscription/projects/{world['project']}/partners", {
        "username": "zong", "tier": "city", "min_amount": "1000", "max_amount": "9000", "deadline": FAR})
    assert "zong总 是强投合伙人，认购下限不能低于 3,000.00" in page.get_data(as_text=True)
    response = post(kj, f"/subscription/projects/{world['project']}/partners/required",
                    {"max_amount": "2,500", "deadline": FAR}, follow_redirects=True)
    assert "已列入 2 名合伙人" in response.get_data(as_text=True)
    rows = listed(app, world)
    assert (rows["zhang"].tier, rows["zhang"].min_amount, rows["zhang"].max_amount) == ("realestate", D("2000.00"),
                                                                                      D("2500.00"))
    assert (rows["zong"].tier, rows["zong"].min_amount, rows["zong"].max_amount) == ("city", D("3000.00"),
                                                                                  D("3000.00"))
    page = kj.get(f"/subscription/projects/{world['project']}/partners").get_data(as_text=True)
    assert "待列入的合伙人" not in page and page.count(">强投</span>") == 2
    # A group company without the module proposes nobody and has no 强投名单 tab.
    c_admin = login(app.test_client(), world["c_admin"])
    assert c_admin.get("/mandatory/").status_code == 404
    assert "强投名单" not in c_admin.get("/admin/users").get_data(as_text=True)
    assert "强投名单" in admin.get("/admin/users").get_data(as_text=True)


def test_leaving_a_required_partner_out_needs_a_reason_and_is_audited(app, world):
    mandatory_world(app, world)
    kj = login(app.test_client(), world["kj"])
    base = f"/subscription/projects/{world['project']}/partners"
    page = post(kj, f"{base}/required/{world['zhang']}/waive", {"reason": " "}, follow_redirects=True)
    assert "请填写不列入的原因" in page.get_data(as_text=True)
    assert post(kj, f"{base}/required/{world['li']}/waive", {"reason": "x"}).status_code == 404  # not proposed
    assert post(kj, f"{base}/required/{world['zhang']}/waive", {"reason": "已调任"}).status_code == 302
    post(kj, f"{base}/required", {"max_amount": "9000", "deadline": FAR})
    zong = listed(app, world)["zong"]
    assert set(listed(app, world)) == {"zong"}
    page = post(kj, f"{base}/{zong.id}/delete", {}, follow_redirects=True).get_data(as_text=True)
    assert "zong总 是强投合伙人，移出须填写原因" in page and "zong" in listed(app, world)
    assert post(kj, f"{base}/{zong.id}/delete", {f"reason_{zong.id}": "本人申请豁免，总经理批准"}).status_code == 302
    assert listed(app, world) == {}
    assert "待列入的合伙人" not in kj.get(base).get_data(as_text=True)  # neither is proposed again
    with app.app_context(), tenant(world["a"]):
        waivers = {w.user_id: w.reason for w in db.session.scalars(sa.select(MandatoryWaiver))}
        assert waivers == {world["zhang"]: "已调任", world["zong"]: "本人申请豁免，总经理批准"}
        audited = db.session.scalars(sa.select(AuditLog).where(AuditLog.record_table == "mandatory_waiver")).all()
        assert len(audited) == 2 and all(a.actor == world["kj"] and a.action == "create" for a in audited)
        assert db.session.scalar(sa.select(AuditLog).where(AuditLog.record_table == "subscription_subscription",
                                                           AuditLog.action == "delete"))


def test_the_minimum_is_enforced_in_the_personal_centre(app, world):
    mandatory_world(app, world)
    kj = login(app.test_client(), world["kj"])
    post(kj, f"/subscription/projects/{world['project']}/partners/required", {"max_amount": "9000", "deadline": FAR})
    # The list's import refuses a lower bound below the minimum too.
    sheet = workbook([["li", "", "城市公司", 0, 9000, FAR], ["zong", "", "城市公司", 1000, 9000, FAR]],
                     headers=["账号", "姓名", "层级", "认购下限", "认购上限", "截至日期"])
    response = post(kj, f"/subscription/projects/{world['project']}/partners/import",
                    {"file": (io.BytesIO(sheet), "合伙名单.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "第3行：zong总 是强投合伙人，认购下限不能低于 3,000.00" in response.get_data(as_text=True)
    assert set(listed(app, world)) == {"zong", "zhang"}
    with app.app_context(), tenant(world["a"]):  # the bounds were lowered since (by hand in the database)
        db.session.execute(sa.update(Subscription).values(min_amount=D("0.00")))
        db.session.commit()
    zong = login(app.test_client(), "zong")
    row = listed(app, world)["zong"]
    page = save(zong, f"/subscription/me/{row.token}", {"amount": "2,999.99"}, page="/subscription/me",
                follow_redirects=True).get_data(as_text=True)
    assert "您是强投合伙人，认购金额不能低于 3,000.00" in page
    assert listed(app, world)["zong"].subscribed_amount is None
    save(zong, f"/subscription/me/{row.token}", {"amount": "3,000"}, page="/subscription/me")
    assert listed(app, world)["zong"].subscribed_amount == D("3000.00")


def test_allocate_keeps_the_minimums_and_scales_the_voluntary_part_first():
    subscribed, floors = [D("6000.00"), D("5000.00"), D("3000.01")], [D("3000.00"), D("0"), D("0")]
    shares = allocate(subscribed, D("10000.00"), floors)
    assert sum(shares) == D("10000.00") and shares[0] >= D("3000.00")
    # 3,000.00 kept; 7,000.00 shared over the voluntary parts 3,000.00 : 5,000.00 : 3,000.01, largest remainder.
    assert shares == [D("3000.00") + D("1909.09"), D("3181.81"), D("1909.10")]
    assert all(s <= sub and s == s.quantize(D("0.01")) for s, sub in zip(shares, subscribed))
    # Minimums above the pot: they alone are shared, voluntary partners get nothing.
    assert allocate([D("3000"), D("3000"), D("1000")], D("5000.00"), [D("3000"), D("3000"), D("0")]) == [
        D("2500.00"), D("2500.00"), D("0.00")]
    # A minimum is kept only up to what the partner subscribed; under the pot nothing changes.
    assert allocate([D("100.00"), D("900.00")], D("500.00"), [D("300.00"), D("0")]) == [D("100.00"), D("400.00")]
    assert allocate([D("1.00"), D("2.00")], D("5.00"), [D("1.00"), D("0")]) == [D("1.00"), D("2.00")]


def test_cesuan_scales_a_tier_with_mandatory_and_voluntary_partners_to_the_cent(app, world):
    mandatory_world(app, world)
    kj = login(app.test_client(), world["kj"])
    base = f"/subscription/projects/{world['project']}"
    post(kj, f"{base}/partners/required", {"max_amount": "9000", "deadline": FAR})
    for name in ("li", "chen"):
        post(kj, f"{base}/partners", {"username": name, "tier": "city", "min_amount": "0", "max_amount": "9000",
                                      "deadline": FAR})
    amounts = {"zong": D("6000.00"), "li": D("5000.00"), "chen": D("3000.01"), "zhang": D("2000.00")}
    with app.app_context(), tenant(world["a"]):
        for s in db.session.scalars(sa.select(Subscription).options(sa.orm.joinedload(Subscription.user))):
            s.subscribed_amount = amounts[s.user.username]
        db.session.commit()
    page = post(kj, f"{base}/subscriptions/propose", {}, follow_redirects=True).get_data(as_text=True)
    assert "已测算" in page and "未认购" not in page
    rows = listed(app, world)
    city = [rows[n].investment for n in ("zong", "li", "chen")]
    assert sum(city) == D("10000.00")  # the city tier's pot, to the cent
    assert rows["zong"].investment >= D("3000.00") and rows["zhang"].investment == D("2000.00")
    # The voluntary part is scaled alike: 7,000.00 over 3,000.00 + 5,000.00 + 3,000.01.
    assert city == [D("4909.09"), D("3181.81"), D("1909.10")]
    page = kj.get(f"{base}/subscriptions").get_data(as_text=True)
    assert page.count(">强投</span>") == 2 and page.count(">自愿</span>") == 2
    kinds = re.findall(r"其中(强投|自愿)</td><td class=\"money\">([\d,.]+)</td><td class=\"money\">([\d,.]+)</td>", page)
    investment = {k: D(inv.replace(",", "")) for k, _sub, inv in kinds}
    assert investment["强投"] == rows["zong"].investment + D("2000.00")
    assert investment["强投"] + investment["自愿"] == D("12000.00")
    payments = kj.get(f"{base}/payments").get_data(as_text=True)
    assert "其中强投" in payments and "其中自愿" in payments and payments.count(">强投</span>") == 2


def test_a_required_partner_who_did_not_subscribe_is_reported_before_cesuan(app, world):
    mandatory_world(app, world)
    kj = login(app.test_client(), world["kj"])
    base = f"/subscription/projects/{world['project']}"
    post(kj, f"{base}/partners/required", {"max_amount": "9000", "deadline": "2020-01-31"})
    page = kj.get(f"{base}/subscriptions").get_data(as_text=True)
    assert "以下合伙人须认购但截至日期前未认购：zhang总、zong总" in page
    page = post(kj, f"{base}/subscriptions/propose", {}, follow_redirects=True).get_data(as_text=True)
    assert page.count("以下合伙人须认购但截至日期前未认购") == 2  # the flash after 测算 and the page


def workbook(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes):
    return post(client, "/mandatory/import", {"file": (io.BytesIO(data), "强投名单.xlsx")},
                content_type="multipart/form-data")


def count(app, world) -> int:
    with app.app_context(), tenant(world["a"]):
        return db.session.scalar(sa.select(sa.func.count()).select_from(MandatoryEntry))


def test_the_import_with_a_bad_row_imports_nothing_and_names_the_rows(app, world):
    admin = login(app.test_client(), world["admin"])
    good = ["AAA城市公司", "是", "zhang", "", "", "城市公司", "金额", 5000, dt.date(2019, 1, 1), "", "-1+1 待定"]
    bad = workbook([good,
                    ["BBB城市公司", "是", "zhang", "", "", "城市公司", "金额", 5000, "2019-01-01", "", ""],
                    ["AAA城市公司", "是", "nobody", "", "", "城市公司", "金额", 5000, "2019-01-01", "", ""],
                    ["AAA城市公司", "是", "", "", "城市公司经营会计", "城市公司", "层级额度比例", 120, "2019-01-01", "", ""],
                    ["AAA城市公司", "是", "zhang", "", "", "总部", "金额", 5000, "2019-01-01", "", ""],
                    ["AAA城市公司", "是", "zhang", "", "", "城市公司", "金额", "abc", "2019-01-01", "2018-01-01", ""],
                    good])
    response = upload(admin, bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "未导入任何数据" in page
    problems = re.findall(r"<li>(第\d+行：.*?)</li>", page)
    assert [p.split("：")[0] for p in problems] == ["第3行", "第4行", "第5行", "第6行", "第7行", "第8行"]
    assert "公司“BBB城市公司”无效" in problems[0]  # another group's company is unknown here
    assert "没有账号为 nobody 的合伙人" in problems[1] and "须在 0 至 100 之间" in problems[2]
    assert "层级“总部”无效" in problems[3] and "结束日期不能早于起始日期" in problems[4]
    assert "与第2行重复" in problems[5]
    assert count(app, world) == 0
    assert upload(admin, workbook([good, ["AAA城市公司", "否", "", "", "城市公司经营会计", "城市公司", "层级额度比例",
                                          "12.5", "2019-01-01", "2030-12-31", ""]])).status_code == 302
    assert count(app, world) == 2
    exported = admin.get("/mandatory/export.xlsx")
    sheet = load_workbook(io.BytesIO(exported.data)).active
    assert [c.value for c in sheet[1]] == HEADERS
    first = [c.value for c in sheet[2]]
    assert first[:3] == ["AAA城市公司", "是", "zhang"] and first[7] == "5000.00" and first[10] == "'-1+1 待定"
    assert all(c.data_type == "s" for c in sheet[2] if c.value)  # formula-safe: written as text
    response = upload(admin, exported.data)
    assert response.status_code == 302 and count(app, world) == 2
    page = admin.get("/mandatory/").get_data(as_text=True)
    assert "-1+1 待定" in page and "层级额度的 12.500%" in page
    with app.app_context(), tenant(world["a"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
            AuditLog.record_table == "mandatory_entry")) == 2  # the re-import changed nothing
    assert "不是有效的 Excel" in upload(admin, b"not a workbook").get_data(as_text=True)


def test_the_entry_form_checks_every_field_and_edits_carry_the_version(app, world):
    admin = login(app.test_client(), world["admin"])
    response = entry(admin, company_id="99999", username="zhang", role=roles.CITY_ACCOUNTANT, tier="x",
                     min_kind="amount", minimum="-1", valid_from="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("请选择公司", "请填写账号或选择岗位角色（二选一）", "请选择层级", "最低认购额不能为负数", "请填写起始日期"):
        assert message in page, message
    assert count(app, world) == 0
    entry(admin, company_id=world["city"], username="zhang", minimum="100")
    with app.app_context(), tenant(world["a"]):
        entry_id = db.session.scalar(sa.select(MandatoryEntry.id))
    url = f"/mandatory/{entry_id}"
    assert save(admin, url, {"company_id": world["city"], "username": "zhang", "tier": "city", "min_kind": "amount",
                             "minimum": "200", "valid_from": "2019-01-01"}).status_code == 302
    stale = post(admin, url, {"company_id": world["city"], "username": "zhang", "tier": "city", "min_kind": "amount",
                              "minimum": "300", "valid_from": "2019-01-01", "version": "1"}, follow_redirects=True)
    assert "该记录已被他人修改" in stale.get_data(as_text=True)
    with app.app_context(), tenant(world["a"]):
        assert db.session.scalar(sa.select(MandatoryEntry.min_amount)) == D("200.00")
        log = db.session.scalar(sa.select(AuditLog).where(AuditLog.record_table == "mandatory_entry",
                                                          AuditLog.action == "update"))
        assert (log.actor, log.before["min_amount"], log.after["min_amount"]) == (world["admin"], "100.00", "200.00")
    assert save(admin, f"{url}/delete", {}, page="/mandatory/").status_code == 302
    assert count(app, world) == 0


def test_tenant_isolation_and_roles_on_every_new_route(app, world):
    mandatory_world(app, world)
    with app.app_context(), tenant(world["a"]):
        entry_id = db.session.scalar(sa.select(MandatoryEntry.id))
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("mandatory.")]
    assert len(rules) == 6
    paths = [(r.build({"entry_id": entry_id}, append_unknown=False)[1], r.methods) for r in rules]
    b_admin = login(app.test_client(), world["b_admin"])
    for path, methods in paths:
        if "{}".format(entry_id) in path:
            if "GET" in methods:
                assert b_admin.get(path).status_code == 404, path
            assert post(b_admin, path, {"minimum": "1"}).status_code == 404, path
    assert "zhang" not in b_admin.get("/mandatory/").get_data(as_text=True)
    sheet = load_workbook(io.BytesIO(b_admin.get("/mandatory/export.xlsx").data)).active
    assert sheet.max_row == 1
    for username in (world["kj"], world["partner"], "zong"):
        other = login(app.test_client(), username)
        for path, methods in paths:
            if "GET" in methods:
                assert other.get(path).status_code == 403, (username, path)
            if "POST" in methods:
                assert post(other, path, {}).status_code == 403, (username, path)
    assert count(app, world) == 4
    # The stage's new routes: another group's accountant and one not authorised on the project get 404, a
    # partner 403.
    base = f"/subscription/projects/{world['project']}/partners/required"
    for username, status in ((world["b_kj"], 404), ("zong", 404), (world["partner"], 403)):
        client = login(app.test_client(), username)
        assert post(client, base, {"max_amount": "1", "deadline": FAR}).status_code == status
        assert post(client, f"{base}/{world['zhang']}/waive", {"reason": "x"}).status_code == status
    assert listed(app, world) == {}
    with app.app_context(), tenant(world["a"]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MandatoryWaiver)) == 0


def test_the_required_partners_cost_the_same_queries_for_10_and_1000_people(app, world):
    """required_partners uses a fixed number of queries: the 合伙名单 and 认购明细 pages do not grow with it."""
    import time

    from tests.factories import _HASH
    from tests.test_demo_and_queries import queries_for
    from core.models import User, UserRole
    admin = login(app.test_client(), world["admin"])
    entry(admin, company_id=world["city"], role=roles.CITY_ACCOUNTANT, min_kind="percent", minimum="1")
    kj = login(app.test_client(), world["kj"])
    pages = [f"/subscription/projects/{world['project']}/partners", f"/subscription/projects/{world['project']}/subscriptions"]

    def add_people(start, n):
        with app.app_context(), tenant(world["a"]):
            users = [User(username=f"m{i}", name=f"强投{i}", password_hash=_HASH, company_id=world["city"])
                     for i in range(start, start + n)]
            db.session.add_all(users)
            db.session.flush()
            db.session.add_all([UserRole(user_id=u.id, role=r) for u in users
                                for r in (roles.PARTNER, roles.CITY_ACCOUNTANT)])
            db.session.commit()

    add_people(0, 10)
    few = [queries_for(app, kj, page) for page in pages]
    add_people(10, 990)
    many = [queries_for(app, kj, page) for page in pages]
    assert few == many, (few, many)
    started = time.perf_counter()
    page = kj.get(pages[0]).get_data(as_text=True)
    assert "待列入的合伙人（1001）" in page  # zong and the 1,000
    assert time.perf_counter() - started < 5
