"""The sealed file: the version the partner read, one 甲方, a visible seal, checked against the seal registered
for the group that issued it; templates that would load anything from outside are refused."""
import io
import os
import re
import subprocess
import sys
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core import documents
from core.extensions import db
from core.models import AuditLog
from core.models.user import utcnow
from core.tenancy import tenant
from plugins.agreements import services
from plugins.agreements.models import Agreement, AgreementTemplate, Seal
from plugins.agreements.tests.test_agreements import pdf_text, sign, verify_page, world  # noqa: F401
from plugins.subscription.models import Subscription
from core.config import ROOT
from tests.conftest import database_url, login, post, save
from tests.factories import PASSWORD, make_tenant


def sign_form(page: str, token: str) -> dict:
    """The hidden fields of the 签署 form of one agreement on the partner's 协议下载 page."""
    form = re.search(rf'<form[^>]*action="/agreements/{token}/sign".*?</form>', page, re.S).group(0)
    return dict(re.findall(r'type="hidden" name="(?!csrf_token)([^"]+)" value="([^"]*)"', form))


def signed_file(app, world, tmp_path) -> bytes:
    client, page = sign(app, world)
    assert "协议已签署并加盖电子印章" in page
    return client.get(f"/agreements/{world['tokens'][world['partner']]}/download").data


def cli_verify(app, tmp_path, data: bytes):
    path = tmp_path / "upload.pdf"
    path.write_bytes(data)
    return app.test_cli_runner().invoke(args=["gentou", "verify", str(path)])


def test_a_seal_forged_by_another_group_is_not_green(app, world, tmp_path):
    with app.app_context():
        b_admin = make_tenant("BBB", modules=["subscription", "agreements"]).admin.username
    forged_p12, _pem = documents.make_seal_certificate("AAA集团", b"forged-pass")  # B's self-made "AAA" seal
    admin = login(app.test_client(), b_admin)
    page = post(admin, "/agreements/admin/seal", {"pkcs12": (io.BytesIO(forged_p12), "seal.p12"),
                                                  "passphrase": "forged-pass"}, content_type="multipart/form-data",
                follow_redirects=True).get_data(as_text=True)
    assert "印章证书的单位名称“AAA集团”是另一家集团的名称，不能使用" in page
    with app.app_context(), tenant(None):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Seal).where(Seal.subject.like("%AAA集团%"))) == 1
    unsigned = login(app.test_client(), world["other"]).get(f"/agreements/{world['tokens'][world['other']]}/download")
    forged = documents.seal(unsigned.data, forged_p12, b"forged-pass", reason="AAA集团 事业合伙协议")
    page = verify_page(app, forged)
    assert "验证通过" not in page and "alert-success" not in page and "验证未通过" in page
    assert "不在本系统的签发记录中" in page
    result = cli_verify(app, tmp_path, forged)
    assert result.exit_code == 1 and result.output.startswith("INVALID: "), result.output


def test_a_file_not_in_the_register_is_not_green_even_with_the_groups_own_seal(app, world, tmp_path):
    with app.app_context(), tenant(world["group"]):
        p12, passphrase = services._seal_material(services.active_seal())
    unsigned = login(app.test_client(), world["other"]).get(f"/agreements/{world['tokens'][world['other']]}/download")
    resealed = documents.seal(unsigned.data, p12, passphrase, reason="outside the signing flow")
    page = verify_page(app, resealed)
    assert "验证通过" not in page and "不在本系统的签发记录中" in page
    result = cli_verify(app, tmp_path, resealed)
    assert result.exit_code == 1 and "INVALID: " in result.output


def test_the_public_downloads_the_groups_seal_certificate_and_checks_with_it(app, world, tmp_path):
    sealed = signed_file(app, world, tmp_path)
    page = verify_page(app, sealed)
    assert "验证通过" in page and "AAA集团" in page
    link = re.search(r'href="(/agreements/g/AAA/seal\.pem)"', page).group(1)
    response = app.test_client().get(link)
    assert response.status_code == 200 and response.mimetype == "application/x-pem-file"
    with app.app_context(), tenant(world["group"]):
        assert response.get_data(as_text=True).strip() == services.active_seal().certificate_pem.strip()
    assert documents.verify(sealed, [response.data]).ok  # the file checks out against that certificate alone
    foreign, _ = documents.make_seal_certificate("AAA集团", b"x")
    assert not documents.verify(sealed, [documents.certificate_of(foreign, b"x")]).ok
    with app.app_context():
        make_tenant("CCC")  # agreements not enabled
    assert app.test_client().get("/agreements/g/CCC/seal.pem").status_code == 404
    assert app.test_client().get("/agreements/g/NOPE/seal.pem").status_code == 404


def tamperings(sealed: bytes) -> dict[str, bytes]:
    contents = re.search(rb"/Contents <([0-9A-Fa-f]+)>", sealed).start(1)
    middle = bytearray(sealed)
    middle[len(middle) // 2] ^= 0x01
    signature = bytearray(sealed)
    signature[contents + 98:contents + 99] = b"0"  # breaks the CMS structure pyHanko reads
    return {"middle byte": bytes(middle), "signature structure": bytes(signature), "truncated": sealed[:-300],
            "garbage": b"%PDF-1.7\nnot really a pdf", "empty-ish": b"\x00"}


def test_tampered_or_garbage_files_get_a_verdict_and_no_traceback(app, world, tmp_path):
    sealed = signed_file(app, world, tmp_path)
    for label, data in tamperings(sealed).items():
        result = cli_verify(app, tmp_path, data)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (label, result.exception)
        assert "Traceback" not in result.output and re.match(r"(TAMPERED|INVALID): \S", result.output), label
        page = verify_page(app, data)
        assert "验证通过" not in page and ("文件已被篡改" in page or "验证未通过" in page), label
    path = tmp_path / "broken.pdf"
    path.write_bytes(tamperings(sealed)["signature structure"])
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "gentou", "verify", str(path)],
                         cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url()}, capture_output=True, text=True)
    assert run.returncode == 1 and run.stdout.startswith("TAMPERED: ") and "Traceback" not in run.stdout + run.stderr


def test_signing_seals_exactly_the_version_the_partner_read(app, world, tmp_path):
    token = world["tokens"][world["partner"]]
    partner = login(app.test_client(), world["partner"])
    form = sign_form(partner.get("/agreements/me").get_data(as_text=True), token)
    read = partner.get(f"/agreements/{token}/view").data
    assert "288,940.00" in pdf_text(read, tmp_path)[0]
    with app.app_context(), tenant(world["group"]):  # as after an unlock and an edit of 认购明细
        db.session.get(Subscription, world["subscription"]).investment = Decimal("288939.99")
        db.session.commit()
    page = post(partner, f"/agreements/{token}/sign", {**form, "password": PASSWORD},
                follow_redirects=True).get_data(as_text=True)
    assert "协议内容已变更" in page and "请阅读新版本后再签署" in page and "协议已签署" not in page
    with app.app_context(), tenant(world["group"]):
        rows = db.session.scalars(sa.select(Agreement).where(Agreement.subscription_id == world["subscription"])
                                  .order_by(Agreement.version)).all()
        assert [(a.version, a.state, a.signed_at) for a in rows] == [(1, "superseded", None), (2, "generated", None)]
        new_token = rows[1].token
    mine = partner.get("/agreements/me").get_data(as_text=True)
    form = sign_form(mine, new_token)
    assert f"/agreements/{token}/sign" not in mine and "已作废（已有新版本）" in mine  # the old one can't be signed
    read = partner.get(f"/agreements/{new_token}/view").data
    assert "288,939.99" in pdf_text(read, tmp_path)[0]
    stale = post(partner, f"/agreements/{new_token}/sign", {"sha256": "0" * 64, "password": PASSWORD},
                 follow_redirects=True).get_data(as_text=True)
    assert "请阅读新版本后再签署" in stale and "协议已签署" not in stale
    page = post(partner, f"/agreements/{new_token}/sign", {**form, "password": PASSWORD},
                follow_redirects=True).get_data(as_text=True)
    assert "协议已签署并加盖电子印章" in page
    sealed = partner.get(f"/agreements/{new_token}/download").data
    text = pdf_text(sealed, tmp_path)[0]
    assert "288,939.99" in text and "288,940.00" not in text
    assert sealed.startswith(read)  # the file the partner read is, byte for byte, the sealed file's first revision
    assert "验证通过" in verify_page(app, sealed)


def test_first_party_is_the_same_on_page_one_and_the_signature_page(app, world, tmp_path):
    sealed = signed_file(app, world, tmp_path)
    pages = pdf_text(sealed, tmp_path)[0].split("\f")
    (tmp_path / "s.pdf").write_bytes(sealed)
    laid_out = subprocess.run(["pdftotext", "-layout", "-l", "1", str(tmp_path / "s.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
    first_page = re.search(r"甲方\s+(\S+)", laid_out).group(1)
    signature_page = next(p for p in pages if p.startswith("签署页"))
    on_signature_page = re.search(r"甲方（盖章）：?\s*(\S+)", signature_page).group(1)
    assert first_page == on_signature_page == "AAA集团"
    assert "乙方（签字）" in signature_page and "日期" in signature_page and "金涛" in signature_page


def red_pixels(pdf: bytes, tmp_path, page: int) -> int:
    (tmp_path / "p.pdf").write_bytes(pdf)
    ppm = subprocess.run(["pdftoppm", "-r", "40", "-f", str(page), "-l", str(page), str(tmp_path / "p.pdf")],
                         capture_output=True, check=True).stdout
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    pixels = ppm[header.end():]
    return sum(1 for i in range(0, len(pixels), 3) if pixels[i] > 180 and pixels[i + 1] < 90 and pixels[i + 2] < 90)


def test_the_sealed_file_shows_a_red_seal_and_signature_lines(app, world, tmp_path):
    unsigned = login(app.test_client(), world["other"]).get(f"/agreements/{world['tokens'][world['other']]}/view")
    text = pdf_text(unsigned.data, tmp_path)[0]
    assert "甲方（盖章）" in text and "乙方（签字）" in text and "日期" in text  # the signature lines, as on paper
    pages = text.count("\f")
    assert all(red_pixels(unsigned.data, tmp_path, n) == 0 for n in range(1, pages + 1))  # no seal before sealing
    sealed = signed_file(app, world, tmp_path)
    assert red_pixels(sealed, tmp_path, pdf_text(sealed, tmp_path)[0].count("\f")) > 200  # the round red seal


URL_TEMPLATES = [
    ('<p>{{ partner.name }}</p><img src="http://127.0.0.1:9/logo.png">', "", "<img src>"),
    ('<link rel="stylesheet" href="https://example.com/a.css"><p>x</p>', "", "<link href>"),
    ('<style>@import "file:///etc/passwd";</style><p>x</p>', "", "@import"),
    ('<p style="background: url(//example.com/x.png)">x</p>', "", "url()"),
    ('<img src="logo.png">', "", "<img src>"),
    ('<svg width="10" height="10"><image href="file:///etc/hostname" width="9" height="9"/></svg>', "", "<image href>"),
    ('<img src="data:image/svg+xml,%3Csvg%3E%3Cimage href=%22http://x/a%22/%3E%3C/svg%3E">', "", "<img src>"),
    ("<p>x</p>", "@import url(theme.css);", "@import"),
    ("<p>x</p>", "body { background: url(file:///etc/passwd) }", "url()"),
]


@pytest.mark.parametrize("html, css, construct", URL_TEMPLATES)
def test_templates_that_load_from_outside_are_refused_with_a_message(app, world, html, css, construct):
    admin = login(app.test_client(), world["admin"])
    admin.get("/agreements/admin/templates")
    response = post(admin, "/agreements/admin/templates", {"name": "外链模板", "html": html, "css": css})
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400) and "模板不能加载外部文件" in page and construct in page.replace(
        "&lt;", "<").replace("&gt;", ">"), page[-3000:]
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.max(AgreementTemplate.version))) == 1


def test_a_stored_template_with_a_url_previews_as_a_message_and_safe_images_pass(app, world):
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGA"
             "hKmMIQAAAABJRU5ErkJggg==")
    admin = login(app.test_client(), world["admin"])
    response = save(admin, "/agreements/admin/templates",
                    {"name": "带图模板", "html": f'<img src="{pixel}" alt=""><p>{{{{ partner.name }}}}</p>', "css": ""})
    assert response.status_code == 302
    with app.app_context(), tenant(world["group"]):  # a version saved before templates were checked
        db.session.add(AgreementTemplate(group_id=world["group"], version=9, name="旧模板", css="",
                                         html='<img src="http://127.0.0.1:9/x.png">', created_at=utcnow(),
                                         created_by="old"))
        db.session.commit()
        ids = dict(db.session.execute(sa.select(AgreementTemplate.name, AgreementTemplate.id)).all())
    good = admin.get(f"/agreements/admin/templates/{ids['带图模板']}/preview.pdf")
    assert good.status_code == 200 and good.data.startswith(b"%PDF")
    old = admin.get(f"/agreements/admin/templates/{ids['旧模板']}/preview.pdf", follow_redirects=True)
    assert old.status_code in (200, 400) and "模板不能加载外部文件" in old.get_data(as_text=True)




def test_two_signatures_at_once_seal_one_file_and_the_other_is_told(app, world):
    import threading
    token = world["tokens"][world["partner"]]
    clients = [login(app.test_client(), world["partner"]) for _ in range(2)]
    form = sign_form(clients[0].get("/agreements/me").get_data(as_text=True), token)
    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', c.get("/agreements/me").get_data(as_text=True)).group(1)
              for c in clients]
    start, pages = threading.Barrier(2), [None, None]

    def click(i):
        start.wait()
        pages[i] = clients[i].post(f"/agreements/{token}/sign", data={**form, "password": PASSWORD,
                                                                       "csrf_token": tokens[i]},
                                   follow_redirects=True).get_data(as_text=True)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted("协议已签署并加盖电子印章" in p for p in pages) == [False, True]
    assert any("该协议已签署或已被取代" in p for p in pages)
    with app.app_context(), tenant(world["group"]):
        row = db.session.scalar(sa.select(Agreement).where(Agreement.token == token))
        assert row.state == "sealed" and services.read(row)
        audited = db.session.scalars(sa.select(AuditLog).where(AuditLog.record_table == "agreements_agreement",
                                                               AuditLog.record_id == str(row.id))).all()
        assert [(a.before or {}).get("state") for a in audited if (a.after or {}).get("state") == "sealed"] == [
            "generated"]


def test_a_template_name_longer_than_its_column_is_refused(app, world):
    admin = login(app.test_client(), world["admin"])
    response = post(admin, "/agreements/admin/templates", {"name": "长" * 121, "html": "<p>x</p>", "css": ""})
    assert response.status_code in (200, 400) and "模板名称最多 120 个字" in response.get_data(as_text=True)
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalar(sa.select(sa.func.max(AgreementTemplate.version))) == 1
    assert 'maxlength="120"' in admin.get("/agreements/admin/templates").get_data(as_text=True)
