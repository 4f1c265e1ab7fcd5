"""Documents: a versioned HTML template rendered in a sandbox to PDF (WeasyPrint), sealed (pyHanko, PAdES).

Templates are written by admins, so they render in Jinja's immutable sandbox with no loader
(no include, import or extends), strict undefined values, and only the placeholders declared
for the document; WeasyPrint may fetch nothing but ``data:`` URIs. The CJK font comes from
the system (fonts-noto-cjk, installed by setup).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
from decimal import Decimal

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from core.i18n import gettext as _

FONT_CSS = 'html { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", serif; }'


class TemplateProblem(ValueError):
    """A template that cannot be used; the message names the problem (e.g. the placeholder)."""


def _syntax_error(exc: TemplateSyntaxError) -> TemplateProblem:
    return TemplateProblem(_("模板语法错误（第 %(line)s 行）：%(message)s", line=exc.lineno, message=exc.message))


def _environment() -> ImmutableSandboxedEnvironment:
    from core.money import to_chinese_upper
    from core.ui import money

    def number(value):
        return Decimal(str(value).replace(",", ""))

    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters.update(money=lambda v: money(number(v)), upper_amount=lambda v: to_chinese_upper(number(v)))
    return env


def placeholders_used(source: str) -> set[str]:
    """Every ``name`` and ``name.field`` the template reads (names it assigns itself excluded)."""
    try:
        tree = _environment().parse(source)
    except TemplateSyntaxError as exc:
        raise _syntax_error(exc) from None
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    used = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node.node, nodes.Name) and node.node.name not in assigned:
            field = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
            used.add(f"{node.node.name}.{field}")
    inner = {id(n.node) for n in tree.find_all((nodes.Getattr, nodes.Getitem))}
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in assigned and id(name) not in inner:
            used.add(name.name)
    return used


def check_placeholders(source: str, allowed: dict[str, tuple[str, ...]]) -> None:
    """Refuse a template that reads anything not declared in ``allowed`` ({name: fields})."""
    for item in sorted(placeholders_used(source)):
        name, _dot, field = item.partition(".")
        if name not in allowed or (field and field not in allowed[name]) or (not field and allowed[name]):
            raise TemplateProblem(_("未知占位符：%(placeholder)s", placeholder=f"{{{{ {item} }}}}"))


def render_html(source: str, context: dict) -> str:
    try:
        return _environment().from_string(source).render(**context)
    except TemplateSyntaxError as exc:
        raise _syntax_error(exc) from None
    except Exception as exc:  # the sandbox refuses unsafe access; undefined names fail too
        raise TemplateProblem(_("模板无法渲染：%(problem)s", problem=str(exc))) from None


def check_resources(html: str, css: str = "") -> None:
    """Refuse (TemplateProblem) a template or stylesheet that would load anything from outside."""
    from core import document_resources
    try:
        document_resources.check(html, css)
    except document_resources.ResourceRefused as exc:
        raise TemplateProblem(str(exc)) from None


def _weasyprint_document(html: str, css: str = ""):
    """Laid out by WeasyPrint, after refusing anything that would be fetched (see core.document_resources)."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import FatalURLFetchingError

    from core import document_resources
    check_resources(html, css)
    fetcher = document_resources.fetcher()
    try:
        return HTML(string=html, url_fetcher=fetcher).render(
            stylesheets=[CSS(string=FONT_CSS, url_fetcher=fetcher), CSS(string=css or "", url_fetcher=fetcher)])
    except FatalURLFetchingError as exc:  # a construct the check does not know; refused all the same
        raise TemplateProblem(_("模板不能加载外部文件：%(problem)s", problem=str(exc))) from None


def html_to_pdf(html: str, css: str = "", title: str = "") -> bytes:
    return _weasyprint_document(html, css).write_pdf()


def seal_svg(organisation: str, size_mm: int = 40) -> Markup:
    """The group's seal drawn as a red round stamp (inline SVG), the name along the upper rim."""
    chars = list(organisation)[:18] or ["印"]
    spread = min(250.0, max(150.0, 26.0 * len(chars)))
    letters = []
    for i, char in enumerate(chars):
        angle = -90 - spread / 2 + spread * (i + 0.5) / len(chars)
        x, y = 50 + 35 * math.cos(math.radians(angle)), 50 + 35 * math.sin(math.radians(angle))
        letters.append(Markup('<text x="{:.2f}" y="{:.2f}" transform="rotate({:.1f} {:.2f} {:.2f})">{}</text>').format(
            x, y, angle + 90, x, y, char))
    star = " ".join(f"{50 + (15 if k % 2 == 0 else 6) * math.cos(math.radians(-90 + 36 * k)):.2f},"
                    f"{50 + (15 if k % 2 == 0 else 6) * math.sin(math.radians(-90 + 36 * k)):.2f}" for k in range(10))
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="{size_mm}mm" '
                  f'height="{size_mm}mm"><g fill="#d40000" font-family="Noto Serif CJK SC" font-size="12" font-weight="bold" '
                  'text-anchor="middle" dominant-baseline="central">'
                  '<circle cx="50" cy="50" r="47" fill="none" stroke="#d40000" stroke-width="3"/>'
                  f'<polygon points="{star}"/>{Markup("").join(letters)}'
                  '<text x="50" y="78" font-size="8">电子印章</text></g></svg>')


# Sealing -------------------------------------------------------------------------------------------

def make_seal_certificate(organisation: str, passphrase: bytes, years: int = 10) -> tuple[bytes, bytes]:
    """A self-signed seal certificate for a group company: (PKCS#12 bytes, certificate PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} 电子印章")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    p12 = pkcs12.serialize_key_and_certificates(b"seal", key, cert, None,
                                                serialization.BestAvailableEncryption(passphrase))
    return p12, cert.public_bytes(serialization.Encoding.PEM)


def certificate_of(p12: bytes, passphrase: bytes) -> bytes:
    """The certificate PEM of a PKCS#12 seal; TemplateProblem if it cannot be opened."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(p12, passphrase)
    except ValueError:
        raise TemplateProblem(_("无法打开 PKCS#12 文件：文件或密码不正确")) from None
    if key is None or cert is None:
        raise TemplateProblem(_("PKCS#12 文件须包含私钥和证书"))
    return cert.public_bytes(serialization.Encoding.PEM)


_signers: dict[str, object] = {}


def _signer(p12: bytes, passphrase: bytes):
    """A PKCS#12 opened once per process, its RSA key kept loaded (opening and parsing it is most
    of the cost of a seal; the signature itself takes milliseconds)."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    key = hashlib.sha256(p12 + b"\0" + passphrase).hexdigest()
    if key not in _signers:
        from cryptography.hazmat.primitives.serialization import pkcs12
        private_key = pkcs12.load_key_and_certificates(p12, passphrase)[0]

        class LoadedKeySigner(signers.SimpleSigner):
            def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
                return private_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))

        loaded = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=[], passphrase=passphrase)
        loaded.__class__ = LoadedKeySigner
        _signers.clear()  # one seal in use per process at a time is the common case
        _signers[key] = loaded
    return _signers[key]


def seal(pdf: bytes, p12: bytes, passphrase: bytes, reason: str, location: str = "Gentou",
         appendix: bytes | None = None) -> bytes:
    """Apply the group company's digital seal: a PAdES signature over the whole file. ``pdf`` stays
    byte for byte the first revision; the sealing revision adds the pages of ``appendix`` (e.g. a 签署页)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    if appendix:
        _append_pages(writer, appendix)
    meta = signers.PdfSignatureMetadata(field_name="GentouSeal", subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason=reason, location=location)
    # Reserving the space up front spares pyHanko a dummy signature to measure it.
    return signers.sign_pdf(writer, meta, signer=_signer(p12, passphrase), bytes_reserved=16384).getvalue()


def _append_pages(writer, appendix: bytes) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import PageObject

    source = PdfFileReader(io.BytesIO(appendix))
    for index in range(int(source.root["/Pages"]["/Count"])):
        xobject = writer.import_page_as_xobject(source, page_ix=index)
        box = xobject.get_object()["/BBox"]
        content = writer.add_object(generic.StreamObject(stream_data=b"q /Page Do Q"))
        resources = generic.DictionaryObject({generic.pdf_name("/XObject"): generic.DictionaryObject(
            {generic.pdf_name("/Page"): xobject})})
        writer.insert_page(PageObject(content, list(box), resources))


@dataclasses.dataclass
class SealCheck:
    """What a verification found: ``ok`` only when the file is intact and sealed by a known seal."""

    ok: bool
    tampered: bool
    reason: str
    signer: str = ""
    signed_at: dt.datetime | None = None
    certificate_pem: bytes | None = None


def verify(pdf: bytes, trusted_pems: list[bytes]) -> SealCheck:
    """Check the seal of ``pdf`` against the trusted seal certificates."""
    from asn1crypto import pem, x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    except Exception:  # a damaged file does not even parse
        return SealCheck(False, True, _("文件已损坏或被篡改，无法读取"))
    if not signatures:
        return SealCheck(False, False, _("文件没有电子印章"))
    roots = [asn1_x509.Certificate.load(pem.unarmor(p)[2]) for p in trusted_pems]
    try:
        status = validate_pdf_signature(signatures[-1], ValidationContext(trust_roots=roots, allow_fetching=False))
    except Exception:  # a signature whose structure was altered fails in many ways inside pyHanko
        return SealCheck(False, True, _("印章数据已损坏或被篡改，无法校验"))
    signer = status.signing_cert.subject.human_friendly
    cert_pem = pem.armor("CERTIFICATE", status.signing_cert.dump())
    whole = status.coverage.name == "ENTIRE_FILE" and status.modification_level.name == "NONE"
    if not status.intact or not whole:
        return SealCheck(False, True, _("文件在盖章后被修改过"), signer, status.signer_reported_dt, cert_pem)
    if not (status.valid and status.trusted):
        return SealCheck(False, False, _("印章不是本系统登记的印章"), signer, status.signer_reported_dt, cert_pem)
    return SealCheck(True, False, _("印章完整有效"), signer, status.signer_reported_dt, cert_pem)
