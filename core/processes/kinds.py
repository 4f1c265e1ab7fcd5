"""What plugins declare with ``register_processes``: process kinds and their form fields."""
from __future__ import annotations

import dataclasses
from typing import Callable

from core import roles


@dataclasses.dataclass(frozen=True)
class Field:
    """A field of a process form. ``prefill(project)`` gives its initial value from the project's data.

    ``kind``: text, textarea, money, percent, date, or readonly (shown, not editable).
    ``required``: an editable field must be filled in the form; a readonly one must have a value
    from ``prefill``, else the process cannot be started (the reason names the field).
    """

    name: str
    label: str
    kind: str = "text"
    prefill: Callable | None = None
    required: bool = False


@dataclasses.dataclass(frozen=True)
class ProcessKind:
    """A kind of approval process of a project (流程/项目流程), e.g. 项目资金峰值.

    ``repeatable`` (循环) kinds may run again after completing; a single kind runs once until
    it is reset. ``requires`` lists kind codes that must be approved first, or is a callable
    ``(project) -> reason | None``. ``on_approve(instance)`` / ``on_reject(instance)`` run in
    the transaction that records the result; ``on_start(instance, user)`` in the one that starts it (e.g. to
    attach a generated file). ``reset_roles`` may reset (重置) an instance.
    """

    code: str
    label: str
    weight: int = 100
    repeatable: bool = False
    fields: tuple[Field, ...] = ()
    start_roles: tuple[str, ...] = roles.ACCOUNTANTS
    reset_roles: tuple[str, ...] = (roles.BUSINESS_ADMIN,)
    requires: tuple[str, ...] | Callable = ()
    on_approve: Callable | None = None
    on_reject: Callable | None = None
    on_start: Callable | None = None
    plugin: str = ""
