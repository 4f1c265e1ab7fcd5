"""gettext, ngettext and lazy_gettext for Gentou's code and templates, on Flask-Babel's catalogues.

Flask-Babel resolves the domain, the locale and the catalogue again for every string (a dozen lookups of
``g`` each); a list page translates a hundred strings. These look the catalogue up once per app context
(a request, a job) and give the same text: outside any app context, the message id itself.
"""
from __future__ import annotations

from babel.support import NullTranslations
from flask import g, has_app_context
from flask_babel import get_translations
from flask_babel.speaklater import LazyString

_NULL = NullTranslations()


def translations():
    """The catalogue of the current app context's locale, looked up once per context."""
    if not has_app_context():
        return _NULL
    found = g.get("_gentou_translations")
    if found is None:
        found = g._gentou_translations = get_translations()
    return found


def gettext(string: str, **variables) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """Translated when shown, in the locale of whoever it is shown to (labels declared at import time)."""
    return LazyString(gettext, string, **variables)
