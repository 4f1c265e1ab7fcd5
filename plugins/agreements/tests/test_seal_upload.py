"""Uploading the group's seal: the private key must come encrypted with a passphrase long enough; a refused
upload changes nothing (the seal in use stays in use)."""
import io

import pytest
import sqlalchemy as sa
from asn1crypto import cms, keys, pkcs12 as asn1, x509
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12

from core import documents
from core.extensions import db
from core.models import AuditLog
from core.tenancy import tenant
from plugins.agreements.models import Seal
from tests.conftest import login, post
from tests.factories import make_tenant


@pytest.fixture
def admin(app):
    with app.app_context():
        t = make_tenant("AAA", modules=["subscription", "agreements"])
        with tenant(t.group.id):
            from plugins.agreements.services import generate_seal
            generate_seal(t.group)
            db.session.commit()
        return {"group": t.group.id, "client": login(app.test_client(), t.admin.username)}


def seals(app, group_id):
    with app.app_context(), tenant(group_id):
        rows = db.session.scalars(sa.select(Seal).order_by(Seal.id)).all()
        audited = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                                    .where(AuditLog.record_table == "agreements_seal"))
        return [(row.id, row.source, row.active) for row in rows], audited


def upload(client, p12: bytes, passphrase: str) -> str:
    return post(client, "/agreements/admin/seal", {"pkcs12": (io.BytesIO(p12), "seal.p12"), "passphrase": passphrase},
                content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)


def in_the_clear(p12: bytes, passphrase: bytes) -> bytes:
    """The same key and certificate in a PKCS#12 with neither encryption nor MAC (what ``openssl pkcs12 -export
    -keypbe NONE -certpbe NONE -nomac`` writes): it opens with any password."""
    key, cert, _extra = pkcs12.load_key_and_certificates(p12, passphrase)
    bags = asn1.SafeContents([
        asn1.SafeBag({"bag_id": "cert_bag", "bag_value": asn1.CertBag(
            {"cert_id": "x509", "cert_value": x509.Certificate.load(cert.public_bytes(Encoding.DER))})}),
        asn1.SafeBag({"bag_id": "key_bag", "bag_value": keys.PrivateKeyInfo.load(
            key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()))})])
    safe = asn1.AuthenticatedSafe([cms.ContentInfo({"content_type": "data", "content": bags.dump()})])
    content = cms.ContentInfo({"content_type": "data", "content": safe.dump()})
    return asn1.Pfx({"version": 3, "auth_safe": content}).dump()


@pytest.mark.parametrize("lang, messages", [
    ("zh", ["请填写 PKCS#12 密码：印章私钥须以密码保护", "PKCS#12 密码至少需要 8 位",
            "PKCS#12 文件中的私钥未加密，请导出以密码加密私钥的 PKCS#12 文件"]),
    ("en", ["Enter the PKCS#12 password: the private key of the seal must be protected by a password",
            "The PKCS#12 password needs at least 8 characters",
            "The private key in the PKCS#12 file is not encrypted; export a PKCS#12 file whose private key is "
            "encrypted with a password"]),
])
def test_an_unprotected_or_weakly_protected_seal_is_refused_and_nothing_changes(app, admin, lang, messages):
    client = admin["client"]
    client.get(f"/?lang={lang}")
    before = seals(app, admin["group"])
    short, _pem = documents.make_seal_certificate("AAA集团", b"seal-7!")
    good, _pem = documents.make_seal_certificate("AAA集团", b"long-enough-pass")
    plain = in_the_clear(good, b"long-enough-pass")
    for p12, passphrase, message in [(plain, "", messages[0]), (short, "seal-7!", messages[1]),
                                     (plain, "long-enough-pass", messages[2])]:
        page = upload(client, p12, passphrase)
        assert message in page and "alert-danger" in page
        assert seals(app, admin["group"]) == before
    assert 'minlength="8" maxlength="128"' in client.get("/agreements/admin/templates").get_data(as_text=True)


def test_a_seal_encrypted_with_a_long_enough_passphrase_replaces_the_one_in_use(app, admin):
    good, _pem = documents.make_seal_certificate("AAA集团", b"long-enough-pass")
    assert "已设置电子印章" in upload(admin["client"], good, "long-enough-pass")
    rows, _audited = seals(app, admin["group"])
    assert [(source, active) for _id, source, active in rows] == [("generated", False), ("uploaded", True)]


@pytest.mark.parametrize("lang, message", [
    ("zh", "请选择 PKCS#12 印章文件（.p12 或 .pfx）；要生成新印章，请用“生成新印章”"),
    ("en", "Choose the PKCS#12 seal file (.p12 or .pfx); to generate a new seal, use &#34;Generate a new seal&#34;"),
])
def test_an_upload_without_a_file_is_refused_and_the_seal_in_use_stays(app, admin, lang, message):
    client = admin["client"]
    client.get(f"/?lang={lang}")
    before = seals(app, admin["group"])
    for data in [{"passphrase": "long-enough-pass"}, {"passphrase": ""},
                 {"pkcs12": (io.BytesIO(b""), ""), "passphrase": "long-enough-pass"},
                 {"pkcs12": (io.BytesIO(b""), "seal.p12"), "passphrase": "long-enough-pass"}]:
        page = post(client, "/agreements/admin/seal", data, content_type="multipart/form-data",
                    follow_redirects=True).get_data(as_text=True)
        assert message in page and "alert-danger" in page, data
        assert seals(app, admin["group"]) == before


def test_a_new_seal_is_generated_only_when_asked_for_and_confirmed(app, admin):
    client = admin["client"]
    page = client.get("/agreements/admin/templates?lang=zh").get_data(as_text=True)
    upload_form = page[page.index('action="/agreements/admin/seal"'):].split("</form>")[0]
    new_form = page[page.index('action="/agreements/admin/seal/new"'):].split("</form>")[0]
    assert 'type="file"' in upload_form and "生成" not in upload_form
    assert 'type="file"' not in new_form and 'name="passphrase"' not in new_form
    assert 'data-confirm="生成新印章并替换当前使用的印章？' in new_form and ">生成新印章</button>" in new_form
    before, audited_before = seals(app, admin["group"])
    page = post(client, "/agreements/admin/seal/new", follow_redirects=True).get_data(as_text=True)
    assert "已设置电子印章" in page
    rows, audited = seals(app, admin["group"])
    assert [(source, active) for _id, source, active in rows] == [("generated", False), ("generated", True)]
    assert rows[0][0] == before[0][0] and audited > audited_before
