"""gettext, ngettext and lazy_gettext for Gentou's code and templates, on Flask-Babel's catalogues.

Flask-Babel resolves the domain, the locale and the catalogue again for every string (a dozen lookups of
``g`` each); a list page translates a hundred strings. These look the catalogue up once per app context
(a request, a job) and give the same text: outside any app context, the message id itself.
"""
from __future__ import annotations

from babel.support import NullTranslations
from flask import g, has_app_context
from jinja2 import pass_eval_context
from markupsafe import Markup
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


class Text(str):
    """A translated text that remembers its message id and parameters, so what is stored from it (a notice,
    an audit summary) can be shown again in the reader's language (``stored``, ``shown``). Any operation on
    it (slicing, joining, formatting) gives a plain ``str``: a composed text keeps only its words."""

    msgid: str
    params: dict


MEMO_LIMIT = 20_000  # message ids remembered per catalogue (the code's own are a few thousand)


def _translate(catalogue, string: str) -> str:
    """``catalogue.ugettext(string)``, remembered: a message a catalogue lacks (every Chinese one in the
    Chinese catalogue) walks the chain of every plugin's catalogue before it falls back to the id."""
    memo = catalogue.__dict__.get("_gentou_memo")
    if memo is None:
        memo = catalogue._gentou_memo = {}
    found = memo.get(string)
    if found is None:
        found = catalogue.ugettext(string)
        if len(memo) < MEMO_LIMIT:
            memo[string] = found
    return found


def gettext(string: str, **variables) -> Text:
    text = _translate(translations(), string)
    found = Text(text % variables if variables else text)
    found.msgid, found.params = string, variables
    return found


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables) -> str:
    """``_()`` and ``gettext()`` in templates: Jinja's newstyle gettext (the translation escaped as markup, the
    variables escaped into it), called directly rather than through its two nested ``Context.call`` layers."""
    text = _translate(translations(), string)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables if variables or "%" in text else text


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """Translated when shown, in the locale of whoever it is shown to (labels declared at import time)."""
    return LazyString(gettext, string, **variables)


def stored(text, clean=None) -> dict | None:
    """What to store beside ``text`` to show it again in another language: {"msgid", "params"}, or None
    for a text that is not one message. Parameters that are messages are kept as messages; the others
    as text (numbers as numbers), each passed through ``clean`` (the scrubbing of secrets)."""
    clean = clean or (lambda value: value)
    if isinstance(text, LazyString) and text._func is gettext:
        msgid, params = text._args[0], text._kwargs
    elif isinstance(text, Text):
        msgid, params = text.msgid, text.params
    else:
        return None

    def value(v):
        if isinstance(v, bool) or isinstance(v, int) or v is None:
            return v
        return stored(v, clean) or clean(str(v))
    return {"msgid": msgid, "params": {k: value(v) for k, v in params.items()}}


def shown(message: dict | None, fallback: str, lang_translations=None) -> str:
    """A text stored with ``stored`` in the reader's language (or that of ``lang_translations``); ``fallback``
    (the text as stored) for rows written before message ids were kept, or a message that no longer fits."""
    if not message or not isinstance(message, dict) or "msgid" not in message:
        return fallback
    found = lang_translations or translations()

    def value(v):
        return shown(v, "", found) if isinstance(v, dict) else v
    try:
        text = found.ugettext(message["msgid"])
        params = {k: value(v) for k, v in (message.get("params") or {}).items()}
        return text % params if params else text
    except (KeyError, TypeError, ValueError):
        return fallback


def translations_for(locale: str | None):
    """The catalogue of ``locale`` (the app's default when empty), e.g. a recipient's at send time."""
    from flask import current_app
    from flask_babel import force_locale
    if not has_app_context():
        return _NULL
    with force_locale(locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        return get_translations()
