"""Parts of a page rendered once per process and reused: the menus and tabs every page draws the same way
for everyone with the same roles, enabled modules, language and current screen.

    {% call cached('nav-main', menu_state()) %}{% for item in menu('main') %}...{% endfor %}{% endcall %}

The key is the fragment's name, the language, the app's URL root and what the template passes after the
name: everything the fragment shows must come from these (never a user's name, a count, a CSRF token).
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

LIMIT = 2048  # fragments kept per process; the least recently used goes first


class FragmentCache:
    """A bounded, thread-safe map of rendered fragments, least recently used dropped first."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self._items: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Markup | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple, value: Markup) -> None:
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


def install(app) -> None:
    app.extensions["gentou_fragments"] = FragmentCache()
    app.jinja_env.globals.update(cached=cached, menu_state=menu_state)
