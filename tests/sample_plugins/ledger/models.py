from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.money import MONEY
from core.tenancy import TenantMixin


class LedgerEntry(TenantMixin, db.Model):
    __tablename__ = "ledger_entry"
    __audited__ = True
    __reviewed__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("core_project.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
