"""Parts of a page rendered once per process and reused.

``cached``: the menus and tabs every page draws the same way for everyone with the same roles, enabled
modules, language and current screen.

    {% call cached('nav-main', menu_state()) %}{% for item in menu('main') %}...{% endfor %}{% endcall %}

The key is the fragment's name, the language, the app's URL root and what the template passes after the
name: everything the fragment shows must come from these (never a user's name, a count, a CSRF token).

``cached_rows``: a list (its rows, its count, its pager) for one session, kept while none of the tables its
statements read has been written (core.epochs), for at most ``LIST_CACHE_SECONDS`` (default 60; 0 turns it
off). The list must read what it shows inside the block (the view passes a function that queries); what else
it shows (a search, a page number, a date) goes in the key after the name.

    {% call cached_rows('admin-projects', q, request.args.get('page')) %}{% set page = rows() %}...{% endcall %}
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from core import epochs, tenancy

LIMIT = 2048  # fragments kept per process; the least recently used goes first
LISTS_LIMIT = 1024  # lists kept per process (a list page is some 10 to 30 kB)


class FragmentCache:
    """A bounded, thread-safe map of rendered fragments (with what they were kept on), least recently used
    dropped first."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple):
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def menu_state() -> tuple:
    """What a menu shows depends on: the current screen, the user's roles and their company's modules."""
    if not current_user.is_authenticated:
        return (request.endpoint, None, None)
    from core.modules import enabled_modules
    return (request.endpoint, current_user.roles, enabled_modules(current_user.group_id))


def cached(name: str, *depends, caller) -> Markup:
    """The fragment ``caller`` renders, from the cache when one with the same key was rendered before."""
    key = (name, str(get_locale()), request.script_root, *depends)
    store: FragmentCache = current_app.extensions["gentou_fragments"]
    found = store.get(key)
    if found is None:
        found = Markup(caller())
        store.put(key, found)
    return found


def cached_rows(name: str, *depends, caller) -> Markup:
    """The list ``caller`` renders, from this session's kept copy while the tables it read are unchanged."""
    seconds = current_app.config["LIST_CACHE_SECONDS"]
    if seconds <= 0:
        return Markup(caller())
    # The session's user and CSRF token: a list is never shown to another session, and a form in it posts.
    # The user's roles and company's modules: what a list shows may depend on them, read from the sign-in.
    key = (name, str(get_locale()), request.script_root, tenancy.current_group_id(), session.get("_user_id"),
           session.get("csrf_token"), menu_state(), *depends)
    store: FragmentCache = current_app.extensions["gentou_lists"]
    kept: epochs.Epochs = current_app.extensions["gentou_epochs"]
    found = store.get(key)
    if found is not None:
        html, slots, stamp, until = found
        if time.monotonic() < until and kept.read(slots) == stamp:
            return html
    before = kept.snapshot()
    with epochs.reading_tables() as read:
        html = Markup(caller())
    slots = sorted({epochs.slot(table) if table else epochs.ANY for table in read})
    store.put(key, (html, slots, kept.of(before, slots), time.monotonic() + seconds))
    return html


def install(app) -> None:
    app.extensions["gentou_fragments"] = FragmentCache()
    app.extensions["gentou_lists"] = FragmentCache(limit=LISTS_LIMIT)
    app.jinja_env.globals.update(cached=cached, cached_rows=cached_rows, menu_state=menu_state)
