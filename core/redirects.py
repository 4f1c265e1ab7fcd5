"""Where a redirect may go when the target comes from the request (``next``, the Referer) or from stored data.

Only a path on this site is followed; anything a browser could read as another site (``//host``,
``/\\host``, a tab or newline it strips, a scheme) falls back to a page of ours.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import redirect, request, url_for

MAX_LENGTH = 2000


def _plain_char(ch: str) -> bool:
    # Controls (Cc), format characters (Cf), separators (Z*) and backslashes are never part of our paths.
    return ch != "\\" and not unicodedata.category(ch).startswith(("C", "Z"))


def safe_url(target: str | None, fallback: str | None = None) -> str:
    """``target`` if it is a path on this site (an absolute URL on this host becomes its path), else ``fallback``
    (default: the home page)."""
    fallback = fallback or url_for("home.index")
    if not target or len(target) > MAX_LENGTH or not all(_plain_char(ch) for ch in target):
        return fallback
    try:
        parts = urlsplit(target)
    except ValueError:
        return fallback
    if parts.scheme or parts.netloc:
        if parts.scheme.lower() not in ("http", "https") or parts.netloc.lower() != request.host.lower():
            return fallback
        target = parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def redirect_back(fallback: str):
    """Redirect to the page the request came from when it is one of ours, else to ``fallback``."""
    return redirect(safe_url(request.referrer, fallback))
