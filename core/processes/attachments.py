"""Attachment rules of the manual (附件说明): the allowed types, checked by content too, 10 MB each."""
from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from flask import current_app
from core.i18n import gettext as _
from sqlalchemy import event

from core.models.user import utcnow

MAX_BYTES = 10 * 1024 * 1024
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office: xls, doc, ppt
ZIP = b"PK\x03\x04"                        # zip and the Office Open XML formats
SIGNATURES = {
    "pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
    "bmp": (b"BM",), "tiff": (b"II*\x00", b"MM\x00*"), "gz": (b"\x1f\x8b",),
    "rar": (b"Rar!\x1a\x07",), "zip": (ZIP, b"PK\x05\x06"), "xlsx": (ZIP,), "docx": (ZIP,),
    "xls": (OLE,), "doc": (OLE,), "ppt": (OLE,),
}
CONTENT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "bmp": "image/bmp",
    "tiff": "image/tiff", "gz": "application/gzip", "rar": "application/vnd.rar", "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel", "doc": "application/msword", "ppt": "application/vnd.ms-powerpoint",
    "mp4": "video/mp4", "tar": "application/x-tar", "xml": "application/xml", "csv": "text/csv",
}
ALLOWED = tuple(CONTENT_TYPES)


class AttachmentError(ValueError):
    """An upload refused; the message says why, for the user."""


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data[:65536].decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def content_matches(extension: str, data: bytes) -> bool:
    if extension in SIGNATURES:
        return data.startswith(SIGNATURES[extension])
    if extension == "mp4":
        return data[4:8] == b"ftyp"
    if extension == "tar":
        return data[257:262] == b"ustar"
    if extension == "xml":
        return _is_text(data) and data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    if extension == "csv":
        return _is_text(data)
    return False


def check(filename: str, data: bytes) -> str:
    """The extension if ``filename``/``data`` may be attached; else AttachmentError with the reason."""
    name = Path(filename or "").name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise AttachmentError(_("不支持的文件类型：%(name)s（支持：%(types)s）", name=name, types=", ".join(ALLOWED)))
    if len(data) > MAX_BYTES:
        raise AttachmentError(_("文件 %(name)s 超过 10M", name=name))
    if not data:
        raise AttachmentError(_("文件 %(name)s 是空的", name=name))
    if not content_matches(extension, data):
        raise AttachmentError(_("文件 %(name)s 的内容与其类型 .%(ext)s 不符", name=name, ext=extension))
    return extension


def storage_root() -> Path:
    root = Path(current_app.config.get("ATTACHMENT_DIR") or Path(current_app.instance_path) / "attachments")
    root.mkdir(parents=True, exist_ok=True)
    return root


def store(group_id: int, project_id: int, filename: str, data: bytes, uploader: str, process_id=None):
    """Check and write the file, returning an unsaved ``Attachment`` row for the caller's transaction."""
    from core.processes.models import Attachment

    extension = check(filename, data)
    token = uuid.uuid4().hex
    folder = storage_root() / str(group_id)
    folder.mkdir(exist_ok=True)
    (folder / token).write_bytes(data)
    from core.extensions import db
    db.session.info.setdefault(_UNSAVED, []).append(folder / token)
    return Attachment(group_id=group_id, token=token, project_id=project_id, process_id=process_id,
                      filename=Path(filename).name[:200], content_type=CONTENT_TYPES[extension], size=len(data),
                      sha256=hashlib.sha256(data).hexdigest(), uploaded_by=uploader, uploaded_at=utcnow())


_UNSAVED = "gentou_unsaved_files"


def install(session_class) -> None:
    """A stored file lives only if the transaction that refers to it commits: on any refusal,
    rollback or error its file is removed from disk again."""

    @event.listens_for(session_class, "after_commit")
    def _keep(session):
        session.info.pop(_UNSAVED, None)

    @event.listens_for(session_class, "after_transaction_end")
    def _discard(session, transaction):
        if transaction.parent is None:
            for path in session.info.pop(_UNSAVED, []):
                path.unlink(missing_ok=True)


def path_of(attachment) -> Path:
    return storage_root() / str(attachment.group_id) / attachment.token
