"""Which rows a transaction created or changed, for plugins that mirror them elsewhere.

A plugin calls ``watch(plugin, {Model: attributes or None}, callback)`` (from a hook). After each flush
the ids of new rows of those models, and of rows whose listed attributes changed (any attribute for
None), are noted per group company; just before the
transaction commits, ``callback(group_id, {model name: ids})`` runs for each group company that has
the plugin installed in this app and enabled, in the same transaction (to write records and
``enqueue`` jobs carrying the ids: no network call here).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event

_watchers: dict[str, tuple[dict, object]] = {}  # plugin -> ({model: attributes or None}, callback)
KEY = "gentou_changes"


def watch(plugin: str, models: dict, callback) -> None:
    _watchers[plugin] = (dict(models), callback)


def _changed(session, obj, attributes) -> bool:
    if obj in session.new:
        return True
    if attributes is None:
        return session.is_modified(obj, include_collections=False)
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def install(session_class) -> None:
    @event.listens_for(session_class, "after_flush")
    def _note(session, flush_context):
        if not _watchers:
            return
        noted = session.info.setdefault(KEY, {})
        for obj in list(session.new) + list(session.dirty):
            group_id = getattr(obj, "group_id", None)
            if group_id is None:
                continue
            for plugin, (models, _callback) in _watchers.items():
                attributes = next((a for model, a in models.items() if isinstance(obj, model)), False)
                if attributes is not False and _changed(session, obj, attributes):
                    noted.setdefault((plugin, group_id), {}).setdefault(type(obj).__name__, set()).add(obj.id)

    @event.listens_for(session_class, "before_commit")
    def _hand_over(session):
        if not _watchers:
            return
        session.flush()  # the commit's own flush comes after this hook: note what it would write
        noted = session.info.pop(KEY, None)
        if not noted or not has_app_context():
            return
        from core.modules import is_enabled
        from core.tenancy import tenant
        installed = current_app.extensions["gentou"].manifests
        for (plugin, group_id), changed in noted.items():
            watcher = _watchers.get(plugin)
            if watcher and plugin in installed and is_enabled(group_id, plugin):
                with tenant(group_id):  # the company of the rows, whoever made the change
                    watcher[1](group_id, {name: sorted(ids) for name, ids in changed.items()})

    @event.listens_for(session_class, "after_soft_rollback")
    def _forget(session, previous_transaction):
        if not session.in_transaction():
            session.info.pop(KEY, None)
