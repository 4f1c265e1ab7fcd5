"""Secrets never leave the server: scrub every configured secret from text that is stored or logged.

Every secret Setting this process decrypts or saves is remembered; ``scrub`` replaces it (and its
URL-encoded forms) with ``***``. Notices, inbox messages, the audit log and every log record
(through the log record factory installed here) pass through it. ``scrub(text, group_id)`` also
loads the company's secret Settings, so a secret this process has not used yet is caught too.
"""
from __future__ import annotations

import logging
import threading
import urllib.parse

MASK = "***"
MIN_LENGTH = 6            # shorter values (a flag, a digit) would mangle ordinary text
_known: set[str] = set()
_lock = threading.Lock()


def remember(value: str | None) -> None:
    if value and len(value) >= MIN_LENGTH:
        with _lock:
            _known.update({value, urllib.parse.quote_plus(value), urllib.parse.quote(value, safe="")})


def company_secrets(group_id: int | None) -> set[str]:
    """The decrypted secret Settings of ``group_id`` (every module's), cached for the app context."""
    if group_id is None:
        return set()
    from flask import g, has_app_context
    if not has_app_context():
        return set()
    cache = g.setdefault("gentou_company_secrets", {})
    if group_id not in cache:
        cache[group_id] = _load(group_id)
    return cache[group_id]


def forget_company(group_id: int) -> None:
    """The company's secrets changed: load them again on the next scrub."""
    from flask import g, has_app_context
    if has_app_context():
        g.setdefault("gentou_company_secrets", {}).pop(group_id, None)


def _load(group_id: int) -> set[str]:
    from flask import current_app

    from core.extensions import db
    from core.models.module import ModuleSetting
    from core.secrets import SecretError, decrypt
    from core.tenancy import tenant
    secret_keys = {(module, s.key) for module, declared in current_app.extensions["gentou"].settings.items()
                   for s in declared if s.kind == "secret"}
    if not secret_keys:
        return set()
    with tenant(group_id), db.session.no_autoflush:  # never flush someone's half-done change early
        rows = db.session.execute(db.select(ModuleSetting.module, ModuleSetting.key, ModuleSetting.value)
                                  .where(ModuleSetting.group_id == group_id)).all()
    found = set()
    for module, key, stored in rows:
        if (module, key) in secret_keys and stored:
            try:
                value = decrypt(stored)
            except SecretError:
                continue
            remember(value)
            found.add(value)
    return found


def scrubber(group_id: int | None = None):
    """A function that scrubs text of every secret known now (and the company's): for many texts at once."""
    with _lock:
        secrets = set(_known)
    for value in company_secrets(group_id):
        secrets.update({value, urllib.parse.quote_plus(value), urllib.parse.quote(value, safe="")})
    ordered = sorted(secrets, key=len, reverse=True)  # the longest first: a secret inside another

    def clean(text):
        if not isinstance(text, str) or not text:
            return text
        for value in ordered:
            if value in text:
                text = text.replace(value, MASK)
        return text
    return clean


def scrub(text, group_id: int | None = None):
    """``text`` without any known secret (or the company's); non-text values are returned as they are."""
    if not isinstance(text, str) or not text:
        return text
    return scrubber(group_id)(text)


def scrub_tree(value, group_id: int | None = None):
    """``scrub`` every string in a JSON-like value (dicts, lists)."""
    return _tree(value, scrubber(group_id))


def _tree(value, clean):
    if isinstance(value, dict):
        return {k: _tree(v, clean) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tree(v, clean) for v in value]
    return clean(value)


_base_factory = logging.getLogRecordFactory()


def _scrubbing_factory(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    if not _known:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: leave it to the handler to report
        return record
    clean = scrub(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
    return record


if getattr(logging.getLogRecordFactory(), "__name__", "") != "_scrubbing_factory":
    logging.setLogRecordFactory(_scrubbing_factory)
