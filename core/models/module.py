"""Which modules (plugins) a group company has enabled."""
import datetime as dt

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.tenancy import TenantMixin


class ModuleState(TenantMixin, db.Model):
    """A module enabled for a group company; no row means disabled."""

    __label__ = _l("模块")
    __tablename__ = "core_module_state"
    __table_args__ = (sa.UniqueConstraint("group_id", "module"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    module: Mapped[str] = mapped_column(sa.String(60))
    enabled_at: Mapped[dt.datetime]
    enabled_by: Mapped[str] = mapped_column(sa.String(60), default="")
    reason: Mapped[str] = mapped_column(sa.String(120), default="")
    version: Mapped[int] = mapped_column(default=1)  # claimed by the module's settings form (core.versioning)


class ModuleSetting(TenantMixin, db.Model):
    """One setting of a module for a group company (secrets encrypted; see core.settings)."""

    __tablename__ = "core_module_setting"
    __table_args__ = (sa.UniqueConstraint("group_id", "module", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    module: Mapped[str] = mapped_column(sa.String(60))
    key: Mapped[str] = mapped_column(sa.String(60))
    value: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)  # claimed by a form that saves one setting (审批流程)
