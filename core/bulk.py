"""Figures of many rows written at once (测算, 计算投资明细, 分配测算): one guarded statement, one audit entry.

Writing 10,000 rows through the ORM flush, each with its own audit entry, takes seconds; a stage's
computation instead hands its changes here.
"""
from __future__ import annotations

import sqlalchemy as sa

from core.audit import record_updates
from core.extensions import db


def update_rows(table, columns: list[str], changes) -> int:
    """One statement for all rows on PostgreSQL (UPDATE … FROM unnest(arrays)), an executemany
    elsewhere; each row only if its version is still the one read. Returns the rows updated."""
    if db.session.get_bind().dialect.name == "postgresql":
        names = [f"v{i}" for i in range(len(columns))]
        assignments = ", ".join(f"{c} = c.{n}" for c, n in zip(columns, names))
        arrays = ", ".join(f"CAST(:{n} AS numeric[])" for n in names)
        statement = sa.text(f"UPDATE {table.name} AS s SET {assignments}, version = s.version + 1 "
                            f"FROM unnest(CAST(:ids AS integer[]), CAST(:versions AS integer[]), {arrays}) "
                            f"AS c(id, version, {', '.join(names)}) WHERE s.id = c.id AND s.version = c.version")
        params = {"ids": [row.id for row, _v in changes], "versions": [row.version for row, _v in changes],
                  **{n: [values[c] for _row, values in changes] for c, n in zip(columns, names)}}
        return db.session.execute(statement, params).rowcount
    statement = (sa.update(table).where(table.c.id == sa.bindparam("row_id"),
                                        table.c.version == sa.bindparam("row_version"))
                 .values(version=table.c.version + 1, **{c: sa.bindparam(f"new_{c}") for c in columns}))
    return db.session.execute(statement, [{"row_id": row.id, "row_version": row.version,
                                           **{f"new_{c}": values[c] for c in columns}}
                                          for row, values in changes]).rowcount


def write_figures(model, group_id: int, record_id: str, summary: str, changes: list[tuple[object, dict]],
                  belongs) -> bool:
    """Store ``changes`` [(row, {column: new value})] of ``model``'s rows, each guarded by its version,
    with one audit entry (``record_id``, ``summary``) holding every row's before and after; then expire
    the session's rows for which ``belongs(row)`` is true. False, and nothing audited, if any row was
    changed by someone else since it was read (the caller refuses and rolls back)."""
    if not changes:
        return True
    table = model.__table__
    columns = sorted(changes[0][1])
    if update_rows(table, columns, changes) != len(changes):
        return False
    record_updates(db.session, group_id, table.name, [(
        record_id, summary,
        {str(row.id): {c: getattr(row, c) for c in columns} for row, _v in changes},
        {str(row.id): values for row, values in changes})])
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model) and belongs(obj):
            db.session.expire(obj)
    return True
