"""Find installed plugins and order them by their dependencies."""
from __future__ import annotations

import graphlib
import importlib.metadata
import importlib.util
from pathlib import Path

from core.plugins.manifest import Manifest, PluginError, parse

ENTRY_POINT_GROUP = "gentou.plugins"


def _manifest_of(package: str) -> Manifest:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise PluginError(f"plugin {package}: package not found")
    path = Path(list(spec.submodule_search_locations)[0]) / "__manifest__.py"
    if not path.is_file():
        raise PluginError(f"plugin {package}: no __manifest__.py")
    return parse(path.read_text(encoding="utf-8"), package, str(path))


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a dotted name whose parent is missing
        return False


def discover(folder: Path, namespace: str = "plugins") -> list[str]:
    """Package names of the plugins in ``folder`` and of the ``gentou.plugins`` entry points."""
    found = []
    if folder.is_dir():
        found += [f"{namespace}.{p.name}" for p in sorted(folder.iterdir())
                  if (p / "__manifest__.py").is_file()]
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.append(ep.value.split(":")[0])
    return found


def load(packages: list[str]) -> list[Manifest]:
    """Manifests of ``packages`` in dependency order; a missing dependency or a cycle stops."""
    manifests: dict[str, Manifest] = {}
    for package in packages:
        m = _manifest_of(package)
        if m.name in manifests:
            raise PluginError(f"plugin {m.name}: installed twice ({manifests[m.name].package}, {package})")
        manifests[m.name] = m
    for m in manifests.values():
        absent = [d for d in m.external_dependencies if not _importable(d)]
        if absent:
            raise PluginError(f"plugin {m.name}: needs the Python module {', '.join(absent)}, which is not installed")
        missing = [d for d in m.depends if d not in manifests]
        if missing:
            raise PluginError(f"plugin {m.name}: depends on {', '.join(missing)}, which is not installed")
    sorter = graphlib.TopologicalSorter({m.name: set(m.depends) for m in manifests.values()})
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as exc:
        raise PluginError(f"plugin {exc.args[1][0]}: dependency cycle {' -> '.join(exc.args[1])}") from None
    return [manifests[name] for name in order]
