"""What is mirrored to 明道云 (one record per project or payment: its rowId) and the reconcile reports."""
from __future__ import annotations

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l

from core.extensions import db
from core.sync import SyncRecordMixin, SyncReportMixin


class MingdaoRecord(SyncRecordMixin, db.Model):
    """A project or payment kept as a row (``remote_id``: its rowId) of the worksheet mapped for it."""

    __label__ = _l("明道云同步记录")
    __tablename__ = "mingdao_record"
    __table_args__ = (sa.UniqueConstraint("group_id", "kind", "object_id"),)


class MingdaoReport(SyncReportMixin, db.Model):
    __label__ = _l("明道云对账报告")
    __tablename__ = "mingdao_report"
