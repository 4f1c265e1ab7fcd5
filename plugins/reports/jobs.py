"""The exports as jobs (辅助工具, and the reports of partner rows): rows streamed from one SELECT into a
write_only workbook on disk, the progress written every 5,000 rows on a connection of its own (the
export's result stays open), the file kept under the export folder for the user who asked."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from core.extensions import db
from core.i18n import gettext as _
from core.models import User
from core.models.user import utcnow
from plugins.reports import excel, exports
from plugins.reports.models import DONE, FAILED, RUNNING, ReportExport


def folder() -> Path:
    root = Path(current_app.config.get("REPORT_DIR") or Path(current_app.instance_path) / "report-exports")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _progress(export_id: int, **values) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.update(ReportExport.__table__).where(ReportExport.__table__.c.id == export_id).values(**values))


def run_export(export_id: int) -> None:
    row = db.session.scalar(sa.select(ReportExport).where(ReportExport.id == export_id))
    if row is None or row.state not in ("queued", RUNNING):
        return  # another job took it (queued twice) or it is over
    user = db.session.scalar(sa.select(User).where(User.id == row.user_id))
    built = exports.build(row.kind, user, row.params)
    if built is None:
        _progress(export_id, state=FAILED, finished_at=utcnow())
        return
    title, columns, total, rows, totals = built
    _progress(export_id, state=RUNNING, rows_total=total, rows_done=0)
    try:
        path = excel.write_stream(title, columns, rows, totals, _("合计"),
                                  progress=lambda n: _progress(export_id, rows_done=n))
        name = f"{row.group_id}-{export_id}.xlsx"
        shutil.move(path, folder() / name)
    except Exception:
        _progress(export_id, state=FAILED, finished_at=utcnow())
        raise
    _progress(export_id, state=DONE, rows_done=total, file_name=name, finished_at=utcnow())
    db.session.expire_all()


def file_of(row: ReportExport) -> Path | None:
    path = folder() / row.file_name if row.file_name else None
    return path if path and os.path.exists(path) else None
