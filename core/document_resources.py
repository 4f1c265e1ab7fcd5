"""What a document may load: nothing but small raster images inlined as ``data:`` URIs.

A template is refused before rendering when any construct would make WeasyPrint fetch something
(``<img src>``, ``<link href>``, ``<image href>`` in SVG, ``@import``, ``url(...)`` in a stylesheet or a
``style`` attribute) and its target is not such a data URI or a ``#fragment`` of the document itself.
The fetcher given to WeasyPrint enforces the same rule as a last wall.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import tinycss2
from core.i18n import gettext as _

SAFE_DATA_URI = re.compile(r"data:image/(png|jpeg|gif|webp)(;base64)?,", re.I)
# Attributes that make WeasyPrint (or the SVG renderer in it) load their target.
FETCHING = {"src", "srcset", "href", "xlink:href", "data", "poster", "background"}
LINK_SCHEMES = ("http:", "https:", "mailto:", "#")  # a plain <a href> is a link in the PDF, never fetched


class ResourceRefused(ValueError):
    """A construct that would load something from outside; the message names it."""


def allowed(url: str) -> bool:
    url = url.strip()
    return url.startswith("#") or bool(SAFE_DATA_URI.match(url))


def refuse(construct: str, url: str):
    shown = url.strip()
    shown = shown if len(shown) <= 60 else shown[:57] + "…"
    raise ResourceRefused(_("模板不能加载外部文件：%(construct)s %(url)s（图片请以 data:image/png、jpeg、gif 或 webp "
                            "内嵌）", construct=construct, url=shown))


def _css_urls(tokens):
    for token in tokens:
        kind = getattr(token, "type", "")
        if kind == "at-rule" and token.lower_at_keyword == "import":
            refuse("@import", tinycss2.serialize(token.prelude))
        if kind == "url":
            yield token.value
        elif kind == "function" and token.lower_name in ("url", "src"):
            strings = [t.value for t in token.arguments if getattr(t, "type", "") == "string"]
            yield strings[0] if strings else tinycss2.serialize(token.arguments)
        for child in ("prelude", "content", "arguments", "value"):
            nested = getattr(token, child, None)
            if isinstance(nested, list):
                yield from _css_urls(nested)


def check_css(css: str, declarations: bool = False) -> None:
    parsed = tinycss2.parse_declaration_list(css) if declarations else tinycss2.parse_stylesheet(css)
    for url in _css_urls(parsed):
        if not allowed(url):
            refuse("url()", url)


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style" and value:
                check_css(value, declarations=True)
            if name not in FETCHING or value is None:
                continue
            if tag == "a" and name == "href" and "attachment" not in (attributes.get("rel") or "") \
                    and value.strip().lower().startswith(LINK_SCHEMES):
                continue
            urls = [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" else [value]
            for url in urls:
                if not allowed(url):
                    refuse(f"<{tag} {name}>", url)
        self.in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.in_style = False

    def handle_endtag(self, tag):
        self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            check_css(data)


def check(html: str, css: str = "") -> None:
    """Raise ResourceRefused naming the first construct of ``html`` or ``css`` that would load anything."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    check_css(css)


def fetcher():
    """A WeasyPrint URL fetcher that serves the allowed data URIs and stops the rendering on anything else."""
    from weasyprint.urls import URLFetcher

    class DataOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not allowed(url):
                raise ValueError(f"refused {url[:60]}")
            return super().fetch(url, headers)

    return DataOnly(allowed_protocols={"data"}, fail_on_errors=True)
