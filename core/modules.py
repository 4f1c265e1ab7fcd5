"""Enabling modules per group company (模块): dependencies, auto_enable, refusals."""
from __future__ import annotations

import datetime as dt

from flask import current_app, g, has_request_context
from flask_babel import gettext as _

from core.audit import record_action
from core.extensions import db
from core.models import ModuleState
from core.tenancy import tenant


class ModuleError(ValueError):
    """A module change that is refused; the message is for the user."""


def registry():
    return current_app.extensions["gentou"]


def enabled_modules(group_id: int | None) -> set[str]:
    """Names of the installed modules enabled for ``group_id`` (cached for the request)."""
    if group_id is None:
        return set()
    cache = g.setdefault("_gentou_enabled", {}) if has_request_context() else {}
    if group_id not in cache:
        with tenant(group_id):
            names = db.session.scalars(db.select(ModuleState.module)).all()
        cache[group_id] = {n for n in names if n in registry().manifests}
    return cache[group_id]


def is_enabled(group_id: int | None, name: str) -> bool:
    return name in enabled_modules(group_id)


def hooks_for(group_id: int):
    """Tenant-scoped hook caller: ``hooks_for(gid).on_event(event=...)``."""
    return registry().hooks_for(enabled_modules(group_id))


def _forget(group_id: int) -> None:
    if has_request_context():
        g.setdefault("_gentou_enabled", {}).pop(group_id, None)


def _check_installed(name: str) -> None:
    if name not in registry().manifests:
        raise ModuleError(_("未知模块：%(name)s", name=name))


def _add(group_id: int, name: str, actor: str, reason: str) -> None:
    db.session.add(ModuleState(group_id=group_id, module=name, enabled_by=actor, reason=reason,
                               enabled_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))


def enable(group_id: int, name: str, actor: str = "") -> list[str]:
    """Enable ``name`` and what it depends on, then any auto_enable module now satisfied.

    Returns the modules turned on, in order; the caller commits.
    """
    _check_installed(name)
    reg = registry()
    with tenant(group_id):
        on = set(db.session.scalars(db.select(ModuleState.module)).all())
        added = []
        for dep in reg.closure(name):
            if dep not in on:
                _add(group_id, dep, actor, "" if dep == name else _("%(name)s 依赖", name=name))
                on.add(dep)
                added.append(dep)
        changed = True
        while changed:
            changed = False
            for m in reg.installed():
                if m.auto_enable and m.name not in on and m.depends and set(m.depends) <= on:
                    _add(group_id, m.name, actor, _("自动启用"))
                    on.add(m.name)
                    added.append(m.name)
                    changed = True
        for n in added:
            record_action(db.session, group_id, "enable", "core_module_state", n, _("启用模块 %(name)s", name=n))
    _forget(group_id)
    return added


def disable(group_id: int, name: str) -> None:
    """Disable ``name``; refused while an enabled module depends on it. The caller commits."""
    _check_installed(name)
    with tenant(group_id):
        rows = {r.module: r for r in db.session.scalars(db.select(ModuleState)).all()}
        if name not in rows:
            raise ModuleError(_("模块 %(name)s 未启用", name=name))
        blocking = [d for d in registry().dependants(name) if d in rows]
        if blocking:
            raise ModuleError(_("无法停用 %(name)s：已启用的模块 %(deps)s 依赖它，请先停用它们。",
                                name=name, deps="、".join(blocking)))
        db.session.delete(rows[name])
        record_action(db.session, group_id, "disable", "core_module_state", name, _("停用模块 %(name)s", name=name))
    _forget(group_id)
