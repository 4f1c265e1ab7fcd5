"""Generate, sign and seal agreements; the group's templates and seal."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import uuid
from pathlib import Path

from flask import current_app
from core.i18n import gettext as _
from sqlalchemy.exc import IntegrityError

from core import documents, lockout
from core.extensions import db
from core.models.user import utcnow
from core.secrets import decrypt, decrypt_bytes, encrypt
from core.ui import localtime
from plugins.agreements import context
from plugins.agreements.models import GENERATED, SEALED, SUPERSEDED, TERMINATED, Agreement, AgreementTemplate, Seal
from plugins.subscription.models import Subscription

DOCUMENT = Path(__file__).parent / "documents" / "agreement"


class AgreementError(ValueError):
    """A refused step; the message is for the user."""


class NewVersion(AgreementError):
    """Signing refused because the figures changed: a new version now replaces the one read (commit it)."""


def current_template(group_id: int) -> AgreementTemplate:
    """The newest template version of the group; the built-in one becomes version 1 on first use."""
    query = db.select(AgreementTemplate).order_by(AgreementTemplate.version.desc()).limit(1)
    row = db.session.scalar(query)
    if row is None:
        row = AgreementTemplate(group_id=group_id, version=1, name="事业合伙协议", created_at=utcnow(),
                                html=(DOCUMENT / "template.html").read_text(encoding="utf-8"),
                                css=(DOCUMENT / "theme.css").read_text(encoding="utf-8"), created_by="system")
        try:
            with db.session.begin_nested():  # two workers of one batch may both get here first
                db.session.add(row)
        except IntegrityError:
            row = db.session.scalar(query)
    return row


def save_template(group_id: int, name: str, html: str, css: str, actor: str) -> AgreementTemplate:
    """A new version, after checking its placeholders and that it renders with the demo partner."""
    documents.check_placeholders(html, context.PLACEHOLDERS)
    documents.check_resources(html, css)
    documents.html_to_pdf(documents.render_html(html, context.demo()), css)
    version = current_template(group_id).version + 1
    row = AgreementTemplate(group_id=group_id, version=version, name=name, html=html, css=css, created_at=utcnow(),
                            created_by=actor)
    db.session.add(row)
    return row


# The seal ------------------------------------------------------------------------------------------

def active_seal() -> Seal | None:
    return db.session.scalar(db.select(Seal).where(Seal.active.is_(True)).order_by(Seal.id.desc()).limit(1))


def install_seal(group_id: int, p12: bytes, passphrase: bytes, source: str) -> Seal:
    """Install a PKCS#12 seal whose private key is encrypted with ``passphrase``; TemplateProblem (nothing
    changed) for a missing or short passphrase, a file it does not open, or a key stored in the clear."""
    shortest, longest = Seal.PASSPHRASE_LENGTH
    entered = passphrase.decode("utf-8", "replace")
    if not entered:
        raise documents.TemplateProblem(_("请填写 PKCS#12 密码：印章私钥须以密码保护"))
    if len(entered) < shortest:
        raise documents.TemplateProblem(_("PKCS#12 密码至少需要 %(n)s 位", n=shortest))
    if len(entered) > longest:
        raise documents.TemplateProblem(_("PKCS#12 密码最多 %(n)s 位", n=longest))
    pem = documents.certificate_of(p12, passphrase)
    if _key_in_the_clear(p12):
        raise documents.TemplateProblem(_("PKCS#12 文件中的私钥未加密，请导出以密码加密私钥的 PKCS#12 文件"))
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    from core.models import GroupCompany
    from core.tenancy import tenant
    subject = x509.load_pem_x509_certificate(pem).subject
    organisations = {str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)}
    with tenant(None):
        taken = db.session.scalar(db.select(GroupCompany.name).where(GroupCompany.id != group_id,
                                                                     GroupCompany.name.in_(organisations)).limit(1))
    if taken:
        raise documents.TemplateProblem(_("印章证书的单位名称“%(name)s”是另一家集团的名称，不能使用", name=taken))
    subject = subject.rfc4514_string()
    for old in db.session.scalars(db.select(Seal).where(Seal.active.is_(True))):
        old.active = False
    row = Seal(group_id=group_id, pkcs12=encrypt(base64.b64encode(p12)), passphrase=encrypt(passphrase),
               certificate_pem=pem.decode(), subject=subject[:300], source=source, created_at=utcnow())
    db.session.add(row)
    return row


def _key_in_the_clear(p12: bytes) -> bool:
    """Whether the PKCS#12 holds a private key outside its encrypted parts (a keyBag rather than a shrouded
    one): such a file opens with any password when it has no MAC, and its key is readable by anyone."""
    from asn1crypto import pkcs12

    def clear(bags) -> bool:
        return any(bag["bag_id"].native == "key_bag"
                   or (bag["bag_id"].native == "safe_contents" and clear(bag["bag_value"])) for bag in bags)
    try:
        return any(info["content_type"].native == "data" and clear(pkcs12.SafeContents.load(info["content"].native))
                   for info in pkcs12.Pfx.load(p12).authenticated_safe)
    except (ValueError, TypeError, KeyError):
        return True  # a structure it cannot read is not shown to be protected


def generate_seal(group) -> Seal:
    passphrase = secrets.token_urlsafe(24).encode()
    p12, _pem = documents.make_seal_certificate(group.name, passphrase)
    return install_seal(group.id, p12, passphrase, "generated")


def _seal_material(seal: Seal) -> tuple[bytes, bytes]:
    return base64.b64decode(decrypt_bytes(seal.pkcs12)), decrypt(seal.passphrase).encode()


# Files ---------------------------------------------------------------------------------------------

def storage_root() -> Path:
    root = Path(current_app.config.get("AGREEMENT_DIR") or Path(current_app.instance_path) / "agreements")
    root.mkdir(parents=True, exist_ok=True)
    return root


def path_of(agreement: Agreement) -> Path:
    return storage_root() / str(agreement.group_id) / agreement.file_name


def _store(group_id: int, data: bytes) -> tuple[str, str]:
    folder = storage_root() / str(group_id)
    folder.mkdir(exist_ok=True)
    name = f"{uuid.uuid4().hex}.pdf"
    (folder / name).write_bytes(data)
    return name, hashlib.sha256(data).hexdigest()


def read(agreement: Agreement) -> bytes:
    data = path_of(agreement).read_bytes()
    if hashlib.sha256(data).hexdigest() != agreement.sha256:
        raise AgreementError(_("协议文件与签发记录不符，请联系管理员"))
    return data


# Generating and signing ----------------------------------------------------------------------------

def _render(template: AgreementTemplate, values: dict) -> bytes:
    return documents.html_to_pdf(documents.render_html(template.html, values), template.css)


def generate(subscription_id: int) -> Agreement | None:
    """The partner's agreement for their confirmed investment; a supplementary version when the
    figures changed since the last one. Returns None when nothing is due."""
    row = db.session.scalar(db.select(Subscription).where(Subscription.id == subscription_id))
    if row is None or not row.investment:
        return None
    previous = db.session.scalar(db.select(Agreement).where(Agreement.subscription_id == row.id,
                                                            Agreement.state != SUPERSEDED)
                                 .order_by(Agreement.version.desc()).limit(1))
    if previous is not None and previous.state == TERMINATED:  # the holding ended: nothing more is due
        return None
    figures = context.figures(row)
    if previous is not None and previous.figures == figures:
        return previous
    version = (db.session.scalar(db.select(db.func.max(Agreement.version)).where(
        Agreement.subscription_id == row.id)) or 0) + 1
    template = current_template(row.group_id)
    agreement = Agreement(group_id=row.group_id, token=uuid.uuid4().hex, project_id=row.project_id,
                          subscription_id=row.id, user_id=row.user_id, template_id=template.id, version=version,
                          supplementary=previous is not None and previous.state == SEALED, figures=figures,
                          created_at=utcnow(), file_name="", sha256="")
    supersedes = previous.number if agreement.supplementary else ""
    values = context.build(row, agreement.number, version, supersedes)
    agreement.file_name, agreement.sha256 = _store(row.group_id, _render(template, values))
    if previous is not None:
        previous.state = SUPERSEDED
    db.session.add(agreement)
    db.session.flush()
    return agreement


def end(subscription_id: int, ended_on: dt.date, reason: str) -> list[Agreement]:
    """The partner's holding ended (``holding_ended``): the agreement in force (and one not yet signed)
    shows 已退出 with the date and the reason; it stays downloadable and verifiable (audited as a change)."""
    found = db.session.scalars(db.select(Agreement).where(Agreement.subscription_id == subscription_id,
                                                          Agreement.state.in_((GENERATED, SEALED)))).all()
    for agreement in found:
        agreement.state, agreement.ended_on, agreement.ended_reason = TERMINATED, ended_on, reason[:40]
    return found


def _signature_page(agreement: Agreement, read_sha256: str) -> str:
    """The 签署页: the parties as on page 1 (the figures the agreement was generated from), the signing record."""
    values = {"number": agreement.number, "read_sha256": read_sha256, "first": agreement.figures.get("first_party", ""),
              "second": agreement.figures.get("second_party", ""),
              "seal": documents.seal_svg(agreement.figures.get("first_party", "")),
              "date": localtime(agreement.signed_at, "%Y-%m-%d"), "username": agreement.user.username,
              "signed_at": localtime(agreement.signed_at, "%Y-%m-%d %H:%M:%S"), "ip": agreement.signed_ip,
              "method": agreement.signed_method}
    return documents.render_html((DOCUMENT / "signature.html").read_text(encoding="utf-8"), values)


def sign(agreement: Agreement, user, password: str, client_ip: str, read_sha256: str) -> Agreement:
    """The partner confirms with their password the version they read (its SHA-256, as the sign form
    carries it); exactly that file is sealed, with a 签署页 added, and stored, immutable. When the figures
    changed since, nothing is signed: a new version replaces it (NewVersion)."""
    from core.models import GroupCompany

    if agreement.user_id != user.id:
        raise AgreementError(_("只能签署本人的协议"))
    if agreement.state == SUPERSEDED:
        raise AgreementError(_("该版本已被新版本取代，请阅读新版本后再签署"))
    if agreement.state == TERMINATED:
        raise AgreementError(_("合伙人已退出本项目，该协议已终止"))
    if agreement.state != GENERATED:
        raise AgreementError(_("该协议已签署或已被取代"))
    if read_sha256 != agreement.sha256:
        raise AgreementError(_("您阅读的协议版本已更新，请阅读新版本后再签署"))
    row = db.session.scalar(db.select(Subscription).where(Subscription.id == agreement.subscription_id))
    if context.figures(row) != agreement.figures:
        newer = generate(row.id)
        if newer is None:
            agreement.state = SUPERSEDED
        raise NewVersion(_("协议内容已变更，您阅读的版本已作废；请阅读新版本后再签署"))
    refused = lockout.check(user, password, user.username, wrong=_("密码不正确，未签署"))
    if refused:
        raise AgreementError(refused)
    seal = active_seal()
    if seal is None:
        raise AgreementError(_("集团尚未设置电子印章，请联系管理员"))
    claimed = db.session.execute(db.update(Agreement).where(Agreement.id == agreement.id, Agreement.state == GENERATED)
                                 .values(state=SEALED).execution_options(synchronize_session=False)
                                 ).rowcount  # a second click waits here, then finds it sealed
    if not claimed:
        raise AgreementError(_("该协议已签署或已被取代"))
    data = read(agreement)
    group = db.session.get(GroupCompany, agreement.group_id)
    agreement.signed_at, agreement.signed_by, agreement.signed_ip = utcnow(), user.username, client_ip[:64]
    agreement.signed_method = "密码确认"
    page = documents.html_to_pdf(_signature_page(agreement, read_sha256),
                                 (DOCUMENT / "signature.css").read_text(encoding="utf-8"))
    p12, passphrase = _seal_material(seal)
    sealed = documents.seal(data, p12, passphrase, reason=f"{group.name} 事业合伙协议 {agreement.number}",
                            appendix=page)
    agreement.file_name, agreement.sha256 = _store(agreement.group_id, sealed)
    agreement.state = SEALED
    return agreement


def verify(data: bytes):
    """(SealCheck, the agreement this file is, or None). Only a file in the register (found by its
    SHA-256) and sealed with a seal registered for the group that issued it is valid."""
    from core.tenancy import tenant
    with tenant(None):
        found = db.session.scalar(db.select(Agreement).where(Agreement.sha256 == hashlib.sha256(data).hexdigest(),
                                                             Agreement.signed_at.is_not(None)))
        pems = [] if found is None else [s.certificate_pem.encode() for s in db.session.scalars(
            db.select(Seal).where(Seal.group_id == found.group_id))]
    check = documents.verify(data, pems)
    if found is None and check.signer and not check.tampered:
        check = documents.SealCheck(False, False, _("该文件不在本系统的签发记录中，不能确认是本系统签发的协议"),
                                    check.signer, check.signed_at, check.certificate_pem)
    return check, found
