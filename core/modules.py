"""Enabling modules per group company (模块): dependencies, auto_enable, refusals."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from core.i18n import gettext as _

from core import signins
from core.audit import record_action
from core.extensions import db
from core.models import GroupCompany, ModuleState
from core.tenancy import tenant


class ModuleError(ValueError):
    """A module change that is refused; the message is for the user."""


def registry():
    return current_app.extensions["gentou"]


def enabled_modules(group_id: int | None) -> frozenset[str]:
    """Names of the installed modules enabled for ``group_id``.

    Cached in the process per (group company, ``modules_version``): every change bumps the
    version in the same transaction, so each request still sees the committed state.
    """
    if group_id is None:
        return frozenset()
    version = signins.kept_modules_version(group_id)
    if version is None:
        group = db.session.get(GroupCompany, group_id)
        if group is None:
            return frozenset()
        version = group.modules_version
    cache = registry().enabled_cache
    key = (group_id, version)
    if key not in cache:
        with tenant(group_id):
            names = db.session.scalars(db.select(ModuleState.module)).all()
        for stale in [k for k in cache if k[0] == group_id]:
            cache.pop(stale, None)
        cache[key] = frozenset(n for n in names if n in registry().manifests)
    return cache[key]


def is_enabled(group_id: int | None, name: str) -> bool:
    return name in enabled_modules(group_id)


def hooks_for(group_id: int):
    """Tenant-scoped hook caller: ``hooks_for(gid).on_event(event=...)``."""
    return registry().hooks_for(enabled_modules(group_id))


def _bump_version(group_id: int) -> None:
    db.session.execute(db.update(GroupCompany).where(GroupCompany.id == group_id)
                       .values(modules_version=GroupCompany.modules_version + 1))
    db.session.expire(db.session.get(GroupCompany, group_id), ["modules_version"])
    signins.forget_modules_version()


def _check_installed(name: str) -> None:
    if name not in registry().manifests:
        raise ModuleError(_("未知模块：%(name)s", name=name))


def _add(group_id: int, name: str, actor: str, reason: str) -> None:
    db.session.add(ModuleState(group_id=group_id, module=name, enabled_by=actor, reason=reason,
                               enabled_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))


def enable(group_id: int, name: str, actor: str = "") -> list[str]:
    """Enable ``name`` and what it depends on, then any auto_enable module now satisfied.

    Each module turned on gets its ``module_enabled`` hook in this transaction (a ModuleError it raises
    refuses the whole change). Returns the modules turned on, in order; the caller commits.
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
            reg.call_plugin(n, "module_enabled", group_id=group_id)
    if added:
        _bump_version(group_id)
    return added


def disable(group_id: int, name: str) -> None:
    """Disable ``name``; refused while an enabled module depends on it. The module's ``module_disabled``
    hook runs in this transaction first. The caller commits."""
    _check_installed(name)
    with tenant(group_id):
        rows = {r.module: r for r in db.session.scalars(db.select(ModuleState)).all()}
        if name not in rows:
            raise ModuleError(_("模块 %(name)s 未启用", name=name))
        blocking = [d for d in registry().dependants(name) if d in rows]
        if blocking:
            raise ModuleError(_("无法停用 %(name)s：已启用的模块 %(deps)s 依赖它，请先停用它们。",
                                name=name, deps="、".join(blocking)))
        registry().call_plugin(name, "module_disabled", group_id=group_id)
        db.session.delete(rows[name])
        record_action(db.session, group_id, "disable", "core_module_state", name, _("停用模块 %(name)s", name=name))
    _bump_version(group_id)
