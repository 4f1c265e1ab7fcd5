"""Tenant scoping: every business row belongs to one group company (集团).

The current group company is held in a context variable. While one is set, every ORM
SELECT on a model with ``TenantMixin`` is filtered to it, and every new such row is
stamped with it; a row of another group can neither be read nor written. Web requests
set it from the signed-in user, jobs and CLI commands with ``tenant(group_id)``.
"""
from __future__ import annotations

import contextlib
import contextvars

import sqlalchemy as sa
from sqlalchemy import event, orm
from sqlalchemy.orm import declared_attr, Mapped, mapped_column

_current_group: contextvars.ContextVar[int | None] = contextvars.ContextVar("gentou_group", default=None)


class CrossTenantWrite(RuntimeError):
    """A row of one group company was written while another one is current."""


class TenantMixin:
    """Columns and scoping for a row that belongs to a group company."""

    @declared_attr
    def group_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("core_group_company.id"), index=True, nullable=False)


def current_group_id() -> int | None:
    return _current_group.get()


def set_current_group(group_id: int | None):
    return _current_group.set(group_id)


@contextlib.contextmanager
def tenant(group_id: int | None):
    """Run a block as group company ``group_id`` (``None``: unscoped, for system tasks)."""
    token = _current_group.set(group_id)
    try:
        yield
    finally:
        _current_group.reset(token)


def install(session_class) -> None:
    """Attach the scoping events to a session class (done once by create_app)."""

    @event.listens_for(session_class, "do_orm_execute")
    def _scope_select(state: orm.ORMExecuteState):
        group_id = _current_group.get()
        if group_id is None or not state.is_select or state.execution_options.get("all_tenants"):
            return
        state.statement = state.statement.options(
            orm.with_loader_criteria(
                TenantMixin, lambda cls: cls.group_id == group_id, include_aliases=True,
                propagate_to_loaders=True,
            )
        )

    @event.listens_for(session_class, "before_flush")
    def _stamp_rows(session, flush_context, instances):
        group_id = _current_group.get()
        if group_id is None:
            return
        for obj in list(session.new) + list(session.dirty):
            if not isinstance(obj, TenantMixin):
                continue
            if obj.group_id is None:
                obj.group_id = group_id
            elif obj.group_id != group_id:
                raise CrossTenantWrite(f"{type(obj).__name__} of group {obj.group_id} written as group {group_id}")
