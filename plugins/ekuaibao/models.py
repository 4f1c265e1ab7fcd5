"""What is mirrored to 合思 (one record per project or partner) and the reconcile reports."""
from __future__ import annotations

import sqlalchemy as sa
from core.i18n import lazy_gettext as _l

from core.extensions import db
from core.sync import SyncRecordMixin, SyncReportMixin


class EkuaibaoRecord(SyncRecordMixin, db.Model):
    """A project or partner pushed as an instance of the business object chosen in the settings."""

    __label__ = _l("合思同步记录")
    __tablename__ = "ekuaibao_record"
    __table_args__ = (sa.UniqueConstraint("group_id", "kind", "object_id"),)


class EkuaibaoReport(SyncReportMixin, db.Model):
    """对账: what differs between Gentou and the instances listed back from 合思 (JSON)."""

    __label__ = _l("合思对账报告")
    __tablename__ = "ekuaibao_report"
