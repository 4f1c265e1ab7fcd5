"""Per-company settings of a module, declared by its plugin (``register_settings``).

Values are text rows per (group company, module, key); ``secret`` settings are stored
encrypted, never shown back (the page says 已设置) and never written to the audit log.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from flask import current_app

from core import redact
from core.audit import record_action
from core.extensions import db
from core.models.module import ModuleSetting
from core.secrets import decrypt, encrypt
from core.tenancy import tenant


@dataclasses.dataclass(frozen=True)
class Setting:
    """A setting of a module: ``kind`` is text, secret, int, url or bool; ``valid(value)`` may check more."""

    key: str
    label: str
    kind: str = "text"
    default: str = ""
    help: str = ""
    valid: Callable[[str], bool] | None = None


def declared(module: str) -> list[Setting]:
    return current_app.extensions["gentou"].settings.get(module, [])


def _rows(group_id: int, module: str) -> dict[str, ModuleSetting]:
    with tenant(group_id):
        return {r.key: r for r in db.session.scalars(db.select(ModuleSetting).where(ModuleSetting.module == module))}


def values(group_id: int, module: str) -> dict[str, str]:
    """Every declared setting of ``module`` for ``group_id``, secrets decrypted, defaults filled in."""
    rows = _rows(group_id, module)
    out = {}
    for setting in declared(module):
        row = rows.get(setting.key)
        if row is None or row.value == "":
            out[setting.key] = setting.default
        else:
            out[setting.key] = decrypt(row.value) if setting.kind == "secret" else row.value
            if setting.kind == "secret":
                redact.remember(out[setting.key])
    return out


def get(group_id: int, module: str, key: str) -> str:
    return values(group_id, module)[key]


def is_set(group_id: int, module: str) -> dict[str, bool]:
    rows = _rows(group_id, module)
    return {s.key: bool(rows.get(s.key) and rows[s.key].value) for s in declared(module)}


def save(group_id: int, module: str, new_values: dict[str, str]) -> list[str]:
    """Store the given values (a secret left empty keeps its value); returns the keys changed."""
    rows = _rows(group_id, module)
    changed = []
    for setting in declared(module):
        if setting.key not in new_values:
            continue
        value = (new_values[setting.key] or "").strip()
        if setting.kind == "secret" and value == "":
            continue
        row = rows.get(setting.key)
        old = (decrypt(row.value) if setting.kind == "secret" and row and row.value else (row.value if row else ""))
        if value == old:
            continue
        stored = encrypt(value) if setting.kind == "secret" and value else value
        if setting.kind == "secret":
            redact.remember(value)
            redact.forget_company(group_id)
        if row is None:
            db.session.add(ModuleSetting(group_id=group_id, module=module, key=setting.key, value=stored))
        else:
            row.value = stored
        shown = "***" if setting.kind == "secret" else value
        record_action(db.session, group_id, "setting", "core_module_setting", f"{module}.{setting.key}",
                      f"{module}.{setting.key}", before={"value": "***" if setting.kind == "secret" else old},
                      after={"value": shown})
        changed.append(setting.key)
    return changed
