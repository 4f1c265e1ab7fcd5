"""Installed plugins of one app: the pluggy manager, their declarations, tenant-scoped hooks."""
from __future__ import annotations

import importlib
import importlib.util

import pluggy

from core import builtin, hookspecs
from core.declarations import Job, MenuItem
from core.plugins.manifest import Manifest, PluginError


def _call(impl, kwargs: dict):
    return impl.function(**{arg: kwargs[arg] for arg in impl.argnames})


class _ScopedHooks:
    """``hooks_for(group_id).<hook>(...)`` calls only the plugins that company enabled."""

    def __init__(self, registry: Registry, disabled: frozenset[str]):
        self._registry, self._disabled = registry, disabled

    def __getattr__(self, name):
        return self._registry.subset_caller(name, self._disabled)


class Registry:
    def __init__(self, manifests: list[Manifest]):
        self.manifests: dict[str, Manifest] = {m.name: m for m in manifests}
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.menu: list[MenuItem] = []
        self.jobs: dict[str, Job] = {}
        self.channels: dict[str, object] = {}
        self.processes: dict[str, object] = {}
        self.settings: dict[str, list] = {}
        self.blueprint_plugin: dict[str, str] = {}
        self._callers: dict[tuple[str, frozenset], object] = {}
        self.enabled_cache: dict[tuple[int, int], frozenset[str]] = {}
        if builtin.NAME in self.manifests:
            raise PluginError(f"plugin {builtin.NAME}: the name is the host's own")
        self.pm.register(builtin, name=builtin.NAME)
        for m in manifests:
            hooks_module = f"{m.package}.hooks"
            if importlib.util.find_spec(hooks_module) is not None:
                self.pm.register(importlib.import_module(hooks_module), name=m.name)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {self.pm.get_name(exc.plugin) or exc.plugin}: {exc}") from None

    @staticmethod
    def module_of(name: str) -> str:
        """The module that gates what plugin ``name`` declared: none ("") for the host's internal plugin."""
        return "" if name == builtin.NAME else name

    def installed(self) -> list[Manifest]:
        return list(self.manifests.values())

    def per_plugin(self, hook: str, **kwargs):
        """Call an installed-level hook on the host's internal plugin, then each plugin in dependency order:
        [(name, result)].

        Each implementation gets only the arguments it names (pluggy allows fewer than the spec).
        """
        impls = {impl.plugin_name: impl for impl in getattr(self.pm.hook, hook).get_hookimpls()}
        return [(name, _call(impls[name], kwargs)) for name in [builtin.NAME, *self.manifests] if name in impls]

    def call_plugin(self, name: str, hook: str, **kwargs):
        """Call ``hook`` of plugin ``name`` alone; None when it does not implement it."""
        impl = next((i for i in getattr(self.pm.hook, hook).get_hookimpls() if i.plugin_name == name), None)
        return None if impl is None else _call(impl, kwargs)

    def subset_caller(self, hook: str, disabled: frozenset[str]):
        key = (hook, disabled)
        if key not in self._callers:
            remove = [self.pm.get_plugin(n) for n in disabled if self.pm.get_plugin(n) is not None]
            self._callers[key] = self.pm.subset_hook_caller(hook, remove_plugins=remove)
        return self._callers[key]

    def hooks_for(self, enabled: set[str]) -> _ScopedHooks:
        return _ScopedHooks(self, frozenset(set(self.manifests) - set(enabled)))

    def dependants(self, name: str) -> list[str]:
        """Installed plugins that depend on ``name``, directly or not."""
        found, frontier = [], [name]
        while frontier:
            current = frontier.pop()
            for m in self.manifests.values():
                if current in m.depends and m.name not in found:
                    found.append(m.name)
                    frontier.append(m.name)
        return found

    def closure(self, name: str) -> list[str]:
        """``name`` and everything it depends on, dependencies first."""
        order = list(self.manifests)
        needed, frontier = {name}, [name]
        while frontier:
            for dep in self.manifests[frontier.pop()].depends:
                if dep not in needed:
                    needed.add(dep)
                    frontier.append(dep)
        return [n for n in order if n in needed]
