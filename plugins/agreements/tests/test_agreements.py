"""Agreements: generated on confirmation, rendered in Chinese, signed, sealed, verified, downloaded."""
import datetime as dt
import io
import os
import re
import subprocess
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core import roles
from core.events import emit
from core.extensions import db
from core.models import AuditLog
from core.money import to_chinese_upper
from core.tenancy import tenant
from plugins.agreements.models import Agreement, Seal
from plugins.subscription.events import SubscriptionConfirmed
from plugins.subscription.models import Initiation, Subscription, TierRatio
from tests.conftest import login, post, save
from tests.factories import make_tenant, make_user


@pytest.mark.parametrize("amount, upper", [("0.01", "壹分"), ("10.00", "壹拾元整"), ("1000000.00", "壹佰万元整"),
                                           ("288940.00", "贰拾捌万捌仟玖佰肆拾元整"),
                                           ("2889397.00", "贰佰捌拾捌万玖仟叁佰玖拾柒元整"),
                                           ("1.05", "壹元零伍分"), ("100000001.10", "壹亿零壹元壹角")])
def test_chinese_capital_numerals(amount, upper):
    assert to_chinese_upper(Decimal(amount)) == upper


def confirmed_partners(group_id, project_id, count, first_name="金涛", prefix="p"):
    """Partners with a confirmed investment (as after 事业合伙立项), confirmed by the event."""
    rows = []
    for i in range(count):
        user = make_user(f"{prefix}{project_id}_{i:03d}", [roles.PARTNER], name=first_name if i == 0 else f"合伙人{i}")
        rows.append(Subscription(project_id=project_id, user_id=user.id, tier="realestate", min_amount=Decimal("1"),
                                 max_amount=Decimal("9999999"), deadline=dt.date(2030, 1, 1),
                                 subscribed_amount=Decimal("288940.00"), investment=Decimal("288940.00"),
                                 self_funded=Decimal("173364.00"), financed=Decimal("115576.00"),
                                 share=Decimal("0.963133"), token=f"{prefix}-{project_id}-{i}"))
    db.session.add_all(rows)
    db.session.flush()
    return rows


@pytest.fixture
def world(app):
    with app.app_context():
        t = make_tenant("AAA", modules=["subscription", "agreements", "event_recorder"])
        with tenant(t.group.id):
            db.session.add(Initiation(project_id=t.project.id, capital_peak=Decimal("30000000.00"),
                                      financing_ratio=Decimal("40"), payee_name="泰安锦艺置业有限公司",
                                      payee_bank="建设银行", payee_account="3705", payment_deadline=dt.date(2030, 1, 31)))
            db.session.add(TierRatio(project_id=t.project.id, tier="realestate", ratio=Decimal("3.310")))
            partner, other = confirmed_partners(t.group.id, t.project.id, 2)
            from plugins.agreements.services import generate_seal
            generate_seal(t.group)
            db.session.commit()
            for row in (partner, other):
                emit(SubscriptionConfirmed(group_id=t.group.id, project_id=t.project.id, subscription_id=row.id,
                                           user_id=row.user_id, investment="288940.00"))
            db.session.commit()  # the generation jobs run after this commit (inline: no Redis)
            tokens = {a.user.username: a.token for a in db.session.scalars(sa.select(Agreement))}
        return {"group": t.group.id, "project": t.project.id, "partner": partner.user.username,
                "other": other.user.username, "tokens": tokens, "kj": t.accountant.username,
                "outsider": t.outsider.username, "admin": t.admin.username, "subscription": partner.id}


def pdf_text(data: bytes, tmp_path) -> tuple[str, str]:
    path = tmp_path / "a.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return text, fonts


def sign(app, world, password="correct-horse-9"):
    """Sign from the partner's 协议下载 page, as shown there (the form carries the version's SHA-256)."""
    client = login(app.test_client(), world["partner"])
    token = world["tokens"][world["partner"]]
    shown = re.search(rf'action="/agreements/{token}/sign".*?name="sha256" value="(\w+)"',
                      client.get("/agreements/me").get_data(as_text=True), re.S)
    page = post(client, f"/agreements/{token}/sign", {"password": password, "sha256": shown.group(1) if shown else ""},
                follow_redirects=True).get_data(as_text=True)
    return client, page


def verify_page(app, data: bytes) -> str:
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/agreements/verify").get_data(as_text=True))
    return client.post("/agreements/verify", data={"csrf_token": token.group(1), "file": (io.BytesIO(data), "a.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)


def test_generated_on_confirmation_in_chinese_with_the_font_embedded(app, world, tmp_path):
    assert set(world["tokens"]) == {world["partner"], world["other"]}
    client = login(app.test_client(), world["partner"])
    response = client.get(f"/agreements/{world['tokens'][world['partner']]}/download")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text, fonts = pdf_text(response.data, tmp_path)
    assert "金涛" in text and "贰拾捌万捌仟玖佰肆拾元整" in text and "泰安锦艺置业有限公司" in text
    assert "NotoSerifCJK" in fonts.replace("-", "") or "NotoSansCJK" in fonts.replace("-", "")
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # every font embedded


def test_sign_seal_verify_and_tampering(app, world, tmp_path):
    _client, page = sign(app, world, password="wrong-password")
    assert "密码不正确，未签署" in page
    client, page = sign(app, world)
    assert "协议已签署并加盖电子印章" in page
    data = client.get(f"/agreements/{world['tokens'][world['partner']]}/download").data
    text, _fonts = pdf_text(data, tmp_path)
    assert "签署页" in text and world["partner"] in text and "密码确认" in text
    with app.app_context(), tenant(world["group"]):
        row = db.session.scalar(sa.select(Agreement).where(Agreement.token == world["tokens"][world["partner"]]))
        import hashlib
        assert row.state == "sealed" and row.sha256 == hashlib.sha256(data).hexdigest()
    page = verify_page(app, data)
    assert "验证通过" in page and "AAA集团" in page and "AAA项目" in page and "金涛" in page
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    result = app.test_cli_runner().invoke(args=["gentou", "verify", str(path)])
    assert result.exit_code == 0 and "OK: 印章完整有效" in result.output and "合伙人：金涛" in result.output
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 0x01
    path.write_bytes(bytes(tampered))
    result = app.test_cli_runner().invoke(args=["gentou", "verify", str(path)])
    assert result.exit_code == 1 and ("TAMPERED" in result.output), result.output
    assert "文件已被篡改" in verify_page(app, bytes(tampered))
    unsigned = login(app.test_client(), world["other"]).get(f"/agreements/{world['tokens'][world['other']]}/download")
    assert "验证未通过" in verify_page(app, unsigned.data) and "没有电子印章" in verify_page(app, unsigned.data)
    _client, page = sign(app, world)
    assert "该协议已签署或已被取代" in page


def test_downloads_only_for_the_partner_and_authorised_staff(app, world):
    token = world["tokens"][world["partner"]]
    assert login(app.test_client(), world["other"]).get(f"/agreements/{token}/download").status_code == 404
    assert login(app.test_client(), world["other"]).get(f"/agreements/{token}/view").status_code == 404
    assert post(login(app.test_client(), world["other"]), f"/agreements/{token}/sign",
                {"password": "correct-horse-9"}).status_code == 404
    assert login(app.test_client(), world["outsider"]).get(f"/agreements/{token}/download").status_code == 404
    assert login(app.test_client(), world["kj"]).get(f"/agreements/{token}/download").status_code == 200
    with app.app_context():
        b = make_tenant("BBB", modules=["subscription", "agreements"])
        b_admin = b.admin.username
    assert login(app.test_client(), b_admin).get(f"/agreements/{token}/download").status_code == 404
    mine = login(app.test_client(), world["other"]).get("/agreements/me").get_data(as_text=True)
    assert world["tokens"][world["other"]] in mine and token not in mine


def test_bad_or_unsafe_templates_are_refused(app, world):
    admin = login(app.test_client(), world["admin"])
    page = admin.get("/agreements/admin/templates").get_data(as_text=True)
    assert "partner.…" in page and "v1" in page
    for html, message in [("<p>{{ partner.nmae }}</p>", "未知占位符：{{ partner.nmae }}"),
                          ("<p>{{ secret_key }}</p>", "未知占位符：{{ secret_key }}"),
                          ("<p>{{ config.SECRET_KEY }}</p>", "未知占位符：{{ config.SECRET_KEY }}"),
                          ("<p>{{ partner.name.__class__.__mro__ }}</p>", "模板无法渲染"),
                          ("{% include '/etc/passwd' %}", "模板无法渲染"),
                          ("<p>{{ partner.name </p>", "模板语法错误")]:
        page = post(admin, "/agreements/admin/templates", {"name": "坏模板", "html": html, "css": ""}).get_data(as_text=True)
        assert message in page, (html, message)
    good = "<h1>补充条款</h1><p>{{ partner.name }}：{{ investment.amount_upper }}，{{ plan.capital_peak|money }}</p>"
    assert save(admin, "/agreements/admin/templates", {"name": "新模板", "html": good, "css": "h1 {color: red}"}
                ).status_code == 302
    page = admin.get("/agreements/admin/templates").get_data(as_text=True)
    assert "v2 新模板" in page
    template_id = re.findall(r"/agreements/admin/templates/(\d+)/preview.pdf", page)[0]
    preview = admin.get(f"/agreements/admin/templates/{template_id}/preview.pdf")
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF")
    assert login(app.test_client(), world["kj"]).get("/agreements/admin/templates").status_code == 403


def test_seal_key_is_encrypted_never_downloadable_nor_logged(app, world):
    with app.app_context(), tenant(world["group"]):
        seal = db.session.scalar(sa.select(Seal))
        assert seal.pkcs12.startswith("enc:") and seal.passphrase.startswith("enc:")
        logged = db.session.scalars(sa.select(AuditLog).where(AuditLog.record_table == "agreements_seal")).all()
        assert logged and all("pkcs12" not in (r.after or {}) and "passphrase" not in (r.after or {}) for r in logged)
    rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("agreements.")]
    readable = [r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("agreements.")
                and "seal" in r.rule and "GET" in r.methods]
    assert readable == ["/agreements/g/<group_code>/seal.pem"] and len(rules) >= 10
    pem = app.test_client().get("/agreements/g/AAA/seal.pem").get_data(as_text=True)
    assert "BEGIN CERTIFICATE" in pem and "PRIVATE" not in pem and "ENCRYPTED" not in pem


def test_changed_figures_issue_a_supplementary_agreement(app, world):
    sign(app, world)
    with app.app_context(), tenant(world["group"]):
        row = db.session.scalar(sa.select(Subscription).where(Subscription.id == world["subscription"]))
        row.investment = Decimal("300000.00")  # e.g. after a peak change
        emit(SubscriptionConfirmed(group_id=world["group"], project_id=world["project"], subscription_id=row.id,
                                   user_id=row.user_id, investment="300000.00"))
        db.session.commit()
        versions = db.session.scalars(sa.select(Agreement).where(Agreement.subscription_id == world["subscription"])
                                      .order_by(Agreement.version)).all()
        assert [(a.version, a.state, a.supplementary) for a in versions] == [(1, "superseded", False),
                                                                             (2, "generated", True)]
        old_token = versions[0].token
    client = login(app.test_client(), world["partner"])
    assert client.get(f"/agreements/{old_token}/download").status_code == 200
    mine = client.get("/agreements/me").get_data(as_text=True)
    assert "已被补充协议取代" in mine and "补充协议" in mine


def test_every_route_is_404_for_another_group(app, world):
    with app.app_context():
        b = make_tenant("BBB", modules=["subscription", "agreements"])
        with tenant(b.group.id):
            b_kj = make_user("bbb_all", list(roles.ALL))
            db.session.commit()
        with tenant(world["group"]):
            template_id = db.session.scalar(sa.select(sa.func.max(Agreement.template_id)))
    client = login(app.test_client(), "bbb_all")
    ids = {"project_id": world["project"], "token": world["tokens"][world["partner"]], "template_id": template_id,
           "generation_id": 1}
    for rule in app.url_map.iter_rules():
        public = getattr(app.view_functions[rule.endpoint], "gentou_public", False)  # e.g. a group's seal certificate
        if rule.endpoint.startswith("agreements.") and rule.arguments and not public:
            path = rule.build(ids, append_unknown=False)[1]
            if "GET" in rule.methods:
                assert client.get(path).status_code == 404, path
            if "POST" in rule.methods:
                assert post(client, path, {"password": "correct-horse-9"}).status_code == 404, path


def test_batch_of_fifty_through_a_real_worker(app, world):
    import redis
    from core.worker import make_worker
    from tests.conftest import make_app as build
    url = os.environ.get("GENTOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    queued = build(plugins=[m.package for m in app.extensions["gentou"].installed()], REDIS_URL=url,
                   AGREEMENT_DIR=app.config["AGREEMENT_DIR"])
    with app.app_context(), tenant(world["group"]):
        confirmed_partners(world["group"], world["project"], 48, first_name="批量", prefix="batch")
        db.session.commit()
        db.session.execute(sa.delete(Agreement))  # the batch generates all 50 afresh
        db.session.commit()
    kj = login(queued.test_client(), world["kj"])
    assert post(kj, f"/agreements/projects/{world['project']}/batch").status_code == 302
    progress_url = re.search(r'data-progress-url="([^"]+)"', kj.get(f"/agreements/projects/{world['project']}")
                             .get_data(as_text=True)).group(1)
    started = kj.get(progress_url).get_json()
    assert started["done"] == 0 and started["finished"] is False
    make_worker(queued, connection).work(burst=True, with_scheduler=False)
    assert kj.get(progress_url).get_json() == {"total": 50, "done": 50, "failed": 0, "finished": True,
                                               "text": "已生成 50 / 50，0 份失败"}
    connection.flushdb()
