"""Templates, the group's seal, agreements and generation batches."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.tenancy import TenantMixin

GENERATED, SEALED, SUPERSEDED, TERMINATED = "generated", "sealed", "superseded", "terminated"
STATE_LABELS = {GENERATED: _l("待签署"), SEALED: _l("已签署盖章"), SUPERSEDED: _l("已被补充协议取代"),
                TERMINATED: _l("已退出")}


class AgreementTemplate(TenantMixin, db.Model):
    """One version of the group's agreement template (模板管理); each save is a new version."""

    __label__ = _l("协议模板")
    __tablename__ = "agreements_template"
    __table_args__ = (sa.UniqueConstraint("group_id", "version"),)
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(120))
    html: Mapped[str] = mapped_column(sa.Text)
    css: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(sa.String(60))

    def __str__(self):
        return f"{self.name} v{self.version}"


class Seal(TenantMixin, db.Model):
    """The group company's digital seal: PKCS#12 and its passphrase, both encrypted at rest."""

    __label__ = _l("电子印章")
    __tablename__ = "agreements_seal"
    __audited__ = True
    __audit_exclude__ = ("pkcs12", "passphrase")
    id: Mapped[int] = mapped_column(primary_key=True)
    pkcs12: Mapped[str] = mapped_column(sa.Text)
    passphrase: Mapped[str] = mapped_column(sa.Text)
    PASSPHRASE_LENGTH = (8, 128)  # the passphrase as entered; the column holds it encrypted, of any length
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    subject: Mapped[str] = mapped_column(sa.String(300))
    source: Mapped[str] = mapped_column(sa.String(20))  # generated / uploaded
    created_at: Mapped[dt.datetime]
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self):
        return self.subject


class Agreement(TenantMixin, db.Model):
    """A partner's co-investment agreement (or supplementary agreement) for one project."""

    __label__ = _l("协议")
    __tablename__ = "agreements_agreement"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "version"),)
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(40), unique=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription_subscription.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements_template.id"))
    version: Mapped[int]
    supplementary: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(sa.String(12), default=GENERATED)
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    file_name: Mapped[str] = mapped_column(sa.String(80))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[dt.datetime]
    signed_at: Mapped[dt.datetime | None]
    signed_by: Mapped[str] = mapped_column(sa.String(60), default="")
    signed_ip: Mapped[str] = mapped_column(sa.String(64), default="")
    signed_method: Mapped[str] = mapped_column(sa.String(20), default="")
    ended_on: Mapped[dt.date | None]  # 已退出: the partner's holding ended (holding_ended hook)
    ended_reason: Mapped[str] = mapped_column(sa.String(40), default="")

    user = relationship("User")

    @property
    def state_label(self) -> str:
        if self.state == SUPERSEDED and self.signed_at is None:  # replaced before it was signed
            return str(_l("已作废（已有新版本）"))
        if self.state == TERMINATED:
            return _("已退出（%(reason)s，%(on)s）", reason=self.ended_reason, on=self.ended_on.isoformat())
        return str(STATE_LABELS.get(self.state, self.state))

    @property
    def number(self) -> str:
        return f"GT-{self.project_id:04d}-{self.subscription_id:06d}-{self.version:02d}"

    def __str__(self):
        return self.number


class GenerationBatch(TenantMixin, db.Model):
    """批量生成: a city company's request to generate all of a project's agreements."""

    __tablename__ = "agreements_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(sa.String(60))


class GenerationItem(TenantMixin, db.Model):
    """One agreement of a batch: pending, done or failed (with the reason)."""

    __tablename__ = "agreements_batch_item"
    __table_args__ = (sa.UniqueConstraint("batch_id", "subscription_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements_batch.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription_subscription.id"))
    state: Mapped[str] = mapped_column(sa.String(10), default="pending")
    error: Mapped[str] = mapped_column(sa.String(500), default="")
