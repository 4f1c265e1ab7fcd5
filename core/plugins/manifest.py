"""A plugin's ``__manifest__.py``: a literal dict, read as data and validated."""
from __future__ import annotations

import ast
import dataclasses
import re

from core.i18n import gettext

TRANSLATED = ("label", "summary")  # the keys whose values are message ids of the plugin's catalogue

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIRED = {"name": str, "version": str, "summary": str}
OPTIONAL = {"depends": list, "auto_enable": bool, "label": str, "external_dependencies": list}


class PluginError(RuntimeError):
    """A plugin cannot be installed; the message names it. Start-up stops."""


@dataclasses.dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    summary: str
    package: str
    depends: tuple[str, ...] = ()
    auto_enable: bool = False
    label: str = ""
    external_dependencies: tuple[str, ...] = ()  # importable Python modules the plugin needs

    @property
    def title(self) -> str:
        """The module's name for the UI, in the reader's language (the label is a message id)."""
        return gettext(self.label) if self.label else self.name

    @property
    def summary_text(self) -> str:
        """The summary in the reader's language."""
        return gettext(self.summary)


def parse(text: str, package: str, where: str) -> Manifest:
    """Parse and validate manifest source ``text`` of ``package`` (``where`` names the file)."""
    try:
        data = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError) as exc:
        raise PluginError(f"plugin {package}: {where} is not a literal dict ({exc})") from None
    if not isinstance(data, dict):
        raise PluginError(f"plugin {package}: {where} must be a dict")
    unknown = set(data) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        raise PluginError(f"plugin {package}: unknown manifest keys {sorted(unknown)}")
    for key, kind in REQUIRED.items():
        if not isinstance(data.get(key), kind) or not data[key]:
            raise PluginError(f"plugin {package}: manifest needs '{key}' ({kind.__name__})")
    for key, kind in OPTIONAL.items():
        if key in data and not isinstance(data[key], kind):
            raise PluginError(f"plugin {package}: manifest '{key}' must be a {kind.__name__}")
    if not NAME.match(data["name"]):
        raise PluginError(f"plugin {package}: name '{data['name']}' must be lower_snake_case")
    if data["name"] != package.rsplit(".", 1)[-1]:
        raise PluginError(f"plugin {package}: manifest name '{data['name']}' differs from its package")
    depends = data.get("depends", [])
    if not all(isinstance(d, str) and NAME.match(d) for d in depends):
        raise PluginError(f"plugin {data['name']}: 'depends' must list plugin names")
    external = data.get("external_dependencies", [])
    if not all(isinstance(d, str) and d for d in external):
        raise PluginError(f"plugin {data['name']}: 'external_dependencies' must list module names")
    if data["name"] in depends:
        raise PluginError(f"plugin {data['name']}: depends on itself")
    return Manifest(name=data["name"], version=data["version"], summary=data["summary"], package=package,
                    depends=tuple(depends), auto_enable=data.get("auto_enable", False),
                    label=data.get("label", ""), external_dependencies=tuple(external))


def extract_manifest(fileobj, keywords, comment_tags, options):
    """Babel extractor: the ``label`` and ``summary`` of a ``__manifest__.py`` as messages of its plugin's
    catalogue, so manifests stay data. Registered in a plugin's babel.cfg as
    ``[core.plugins.manifest.extract_manifest: plugins/<name>/__manifest__.py]``."""
    tree = ast.parse(fileobj.read().decode(options.get("encoding", "utf-8")))
    node = tree.body[0].value if tree.body and isinstance(tree.body[0], ast.Expr) else None
    if not isinstance(node, ast.Dict):
        return
    for key, value in zip(node.keys, node.values):
        if (isinstance(key, ast.Constant) and key.value in TRANSLATED and isinstance(value, ast.Constant)
                and isinstance(value.value, str) and value.value):
            yield value.lineno, None, value.value, []
