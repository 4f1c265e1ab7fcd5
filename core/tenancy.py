"""Tenant scoping: every business row belongs to one group company (集团).

The current group company is held in a context variable. While one is set, every ORM
SELECT, UPDATE and DELETE on a model with ``TenantMixin`` is filtered to it, and every new such row is
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


GROUP_PARAMETER = "gentou_tenant_group"
# One criteria object for every group company, the group as a bound parameter: a closure over the group id
# made SQLAlchemy build the criteria and re-run the lambda for its value on every query (a third of a small
# query's cost). A statement that carries it without a value fails; it never goes unscoped.
# (The name is spelled out in the lambda: SQLAlchemy would track a module-level name as a closure value.)
_SCOPED = orm.with_loader_criteria(TenantMixin, lambda cls: cls.group_id == sa.bindparam("gentou_tenant_group"),
                                   include_aliases=True, propagate_to_loaders=True)


def _group_of(state: orm.ORMExecuteState) -> int | None:
    """The group company whose rows a statement may read or change: the current one, else, for a relationship
    loaded later from a row read while one was current (the criteria travel with it), that row's own."""
    group_id = _current_group.get()
    if group_id is None and state.is_select and state.lazy_loaded_from is not None:
        group_id = getattr(state.lazy_loaded_from.obj(), "group_id", None)
    return group_id


def install(session_class) -> None:
    """Attach the scoping events to a session class (done once by create_app)."""

    @event.listens_for(session_class, "do_orm_execute")
    def _scope_statement(state: orm.ORMExecuteState):
        if not (state.is_select or state.is_update or state.is_delete) or state.execution_options.get("all_tenants"):
            return
        group_id = _group_of(state)
        if group_id is None or isinstance(state.parameters, list):
            return  # (a list: an UPDATE by primary key of rows read before, which the criteria would not fit)
        state.statement = state.statement.options(_SCOPED)
        state.parameters = {**(state.parameters or {}), GROUP_PARAMETER: group_id}

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
