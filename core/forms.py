"""What every form of the app shares: limits read from the model, WTForms' own messages in the user's
language, and strict whole numbers.

A text field may hold what its column holds and no more: ``max_length(Model.attr)`` is that limit, for
WTForms forms (``ModelForm`` adds it to every text field named after a column of its ``model``), for
forms read by hand and for imports; the page gets it as ``maxlength``.
"""
from __future__ import annotations

from flask import current_app, session
from flask_babel import get_locale
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import Length

from core.money import AmountError

# WTForms' built-in messages its own Chinese catalogue lacks (a crafted value of a multiple choice
# was refused in English); any other message it cannot translate gets the general one.
BUILTIN_MESSAGES = {
    "'%(value)s' is not a valid choice for this field.": _l("“%(value)s”不是有效的选项"),
    "'%(value)s' are not valid choices for this field.": _l("“%(value)s”不是有效的选项"),
}
INVALID = _l("输入无效")


class _Translations:
    """WTForms' translations: its own catalogue, and for Chinese what that catalogue misses."""

    @staticmethod
    def _chinese(english: str, translated: str) -> str:
        if translated != english or not (get_locale() and get_locale().language == "zh"):
            return translated
        return str(BUILTIN_MESSAGES.get(english, INVALID))

    def gettext(self, string):
        return self._chinese(string, wtforms_translations.gettext(string))

    def ngettext(self, singular, plural, n):
        translated = wtforms_translations.ngettext(singular, plural, n)
        return self._chinese(singular if n == 1 else plural, translated)


TRANSLATIONS = _Translations()


def max_length(column) -> int | None:
    """The length of a String column (``Model.attr`` or a Column); None for unbounded text."""
    column = column.property.columns[0] if hasattr(column, "property") else column
    return getattr(column.type, "length", None)


def text_problem(label: str, text: str, column=None) -> str | None:
    """What is wrong with a free text, for the user: angle brackets, or more than ``column`` holds."""
    if "<" in text or ">" in text:
        return _("%(label)s中不能有<、>符号", label=label)
    limit = max_length(column) if column is not None else None
    if limit is not None and len(text) > limit:
        return _("%(label)s最多 %(n)s 个字", label=label, n=limit)
    return None


def column_length(table: str, column: str) -> int | None:
    """For templates (a Jinja global): ``maxlength="{{ column_length('core_process', 'reset_reason') }}"``."""
    from core.extensions import db
    return max_length(db.metadata.tables[table].c[column])


def limits(model) -> dict[str, int]:
    """Every String column of ``model`` and its length, for ``maxlength`` on pages built by hand."""
    return {c.name: c.type.length for c in model.__table__.columns if getattr(c.type, "length", None)}


def length_message():
    return _l("最多 %(max)d 个字")


class Form(FlaskForm):
    """The base of every WTForms form: built-in messages in the user's language."""

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS


class ModelForm(Form):
    """A form editing ``model``: each text field named after one of its String columns is limited to
    that column's length (checked, and rendered as ``maxlength``)."""

    model = None

    class Meta(Form.Meta):
        def bind_field(self, form, unbound_field, options):
            column = form.model.__table__.columns.get(options["name"]) if form.model is not None else None
            limit = max_length(column) if column is not None else None
            if limit and issubclass(unbound_field.field_class, (StringField, TextAreaField, PasswordField)):
                validators = list(unbound_field.kwargs.get("validators") or [])
                validators.append(Length(max=limit, message=length_message()))
                return unbound_field.bind(form=form, validators=validators, **options)
            return unbound_field.bind(form=form, **options)


def read_id(text) -> int | None:
    """A record id from the request (a query or form value): the number, or None for anything else."""
    try:
        return parse_integer(str(text or ""), "")
    except AmountError:
        return None


def parse_integer(text: str, label: str, maximum: int = 2_147_483_647) -> int:
    """A whole number written with the digits 0–9 only ('²'.isdigit() is true, int('²') fails), at
    most ``maximum`` (an INTEGER column's largest by default)."""
    raw = (text or "").strip()
    if not (raw.isascii() and raw.isdigit()):
        raise AmountError(_("%(label)s须为整数", label=label))
    if len(raw) > len(str(maximum)) or int(raw) > maximum:
        raise AmountError(_("%(label)s不能大于 %(max)s", label=label, max=maximum))
    return int(raw)


SIGNED_TOKENS_KEPT = 4096


def csrf_token() -> str:
    """``csrf_token()`` in templates: Flask-WTF's token, signed once per session in this process. Signing it
    anew on every page gives an equivalent token while tokens never expire (WTF_CSRF_TIME_LIMIT None, the
    default here); with a limit set, each page signs its own."""
    raw = session.get("csrf_token")
    if raw is None or current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()
    signed = current_app.extensions.setdefault("gentou_csrf_tokens", {})
    found = signed.get(raw)
    if found is None:
        if len(signed) >= SIGNED_TOKENS_KEPT:
            signed.clear()
        found = signed[raw] = generate_csrf()
    return found
