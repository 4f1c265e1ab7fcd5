"""Read a process form: the kind's fields, 情况说明 and attachments, all checked before anything is saved."""
from __future__ import annotations

import datetime as dt

from core.i18n import gettext as _

from core.forms import text_problem
from core.money import AmountError, parse_money, parse_percent
from core.processes.attachments import AttachmentError, check
from core.processes.kinds import ProcessKind


def prefilled(kind: ProcessKind, project) -> dict:
    return {f.name: (str(f.prefill(project)) if f.prefill else "") for f in kind.fields}


def read(kind: ProcessKind, project, form, files) -> tuple[dict, str, list, dict]:
    """(form data, description, [(filename, bytes)], errors by field name)."""
    data, errors = {}, {}
    for field in kind.fields:
        if field.kind == "readonly":
            data[field.name] = str(field.prefill(project)) if field.prefill else ""
            continue
        text = (form.get(field.name) or "").strip()
        problem = text_problem(field.label, text)
        if problem:
            errors[field.name] = problem
        elif field.required and not text:
            errors[field.name] = _("请填写%(label)s", label=field.label)
        elif text and field.kind in ("money", "percent"):
            try:
                data[field.name] = str((parse_money if field.kind == "money" else parse_percent)(text, field.label))
            except AmountError as exc:
                errors[field.name] = str(exc)
        elif text and field.kind == "date":
            try:
                data[field.name] = dt.date.fromisoformat(text).isoformat()
            except ValueError:
                errors[field.name] = _("%(label)s不是有效的日期（YYYY-MM-DD）", label=field.label)
        else:
            data[field.name] = text
    description = (form.get("description") or "").strip()
    problem = text_problem(_("情况说明"), description)
    if problem:
        errors["description"] = problem
    uploads = []
    for upload in files.getlist("attachments"):
        if not upload or not upload.filename:
            continue
        content = upload.read()
        try:
            check(upload.filename, content)
        except AttachmentError as exc:
            errors.setdefault("attachments", str(exc))
            continue
        uploads.append((upload.filename, content))
    return data, description, uploads, errors
