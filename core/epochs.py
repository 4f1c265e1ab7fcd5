"""Write epochs of the database's tables, shared by the processes of one host.

What a process keeps between requests (the signed-in user, a rendered list) is stamped with the epochs of
the tables it was read from, taken before it was read, and used again only while they are unchanged.

Each table has eight bytes (a slot chosen by its name; two tables may share one, which only costs a needless
reload) in a memory-mapped file beside a SQLite database, or in the instance folder named by the database's
URL, so every process using the database on this host sees them: the web server's threads and processes,
RQ workers, the CLI. A connection that wrote a table bumps its slot when it goes back to the pool, after its
commit or rollback. Statements are read by the tables they name: an INSERT, UPDATE or DELETE by its table,
other SQL (text, DDL, a driver's statement) by the known table names in it. Slot 0 moves with every write:
what was read by SQL naming no known table depends on it.

Several hosts serving one database do not share the file: turn off what relies on it there
(``SIGNIN_CACHE_SECONDS`` and ``LIST_CACHE_SECONDS`` 0).
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import mmap
import os
import re
import threading
import time
import zlib
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import make_url

SLOTS = 512
ANY = 0
_WROTE = "gentou_wrote_tables"
_reading: contextvars.ContextVar[set | None] = contextvars.ContextVar("gentou_tables_read", default=None)


def slot(table: str) -> int:
    return 1 + zlib.crc32(table.encode()) % (SLOTS - 1)


class Epochs:
    def __init__(self, path: Path | None, table_names):
        self.path = path
        self._table_names, self._names, self._known = table_names, None, 0
        size = SLOTS * 8
        if path is None:  # an in-memory database lives in this process only
            self._map = mmap.mmap(-1, size)
            self._map[:] = os.urandom(size)
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < size:
                os.pwrite(fd, os.urandom(size), 0)
            self._map = mmap.mmap(fd, size)
        finally:
            os.close(fd)

    def read(self, slots) -> bytes:
        view = self._map
        return b"".join(view[s * 8:s * 8 + 8] for s in slots)

    def snapshot(self) -> bytes:
        """Every slot at once: taken before a read whose tables are known only afterwards."""
        return self._map[:]

    @staticmethod
    def of(snapshot: bytes, slots) -> bytes:
        return b"".join(snapshot[s * 8:s * 8 + 8] for s in slots)

    def bump(self, slots) -> None:
        for s in {ANY, *slots}:
            self._map[s * 8:s * 8 + 8] = os.urandom(8)

    def tables_in(self, sql: str) -> set[str]:
        """The known tables ``sql`` names (the app's metadata, which grows as plugins' models are imported)."""
        names = self._table_names()
        if len(names) != self._known:
            self._names = re.compile(r"\b(%s)\b" % "|".join(map(re.escape, names)), re.IGNORECASE)
            self._known = len(names)
        return {m.lower() for m in self._names.findall(sql)}


def epoch_path(app: Flask, url) -> Path | None:
    """Beside a SQLite database file; else in the instance folder, named by the database (its password left out).
    ``url``: the engine's, in which Flask-SQLAlchemy has made a relative SQLite path absolute (the instance
    folder's), so that processes started in other folders find the same file."""
    if app.config.get("EPOCH_FILE"):
        return Path(app.config["EPOCH_FILE"])
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        return None if database in ("", ":memory:") or database.startswith("file:") else Path(f"{database}-epochs")
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(app.instance_path) / f"epochs-{digest}"


def install(app: Flask, engine, table_names) -> Epochs:
    """Epochs for ``engine``'s database; ``table_names()``: the names of the tables the app knows."""
    epochs = Epochs(epoch_path(app, engine.url), table_names)
    app.extensions["gentou_epochs"] = epochs

    @event.listens_for(engine, "after_cursor_execute")
    def _note(conn, cursor, statement, parameters, context, executemany):
        compiled = context.compiled if context is not None else None
        if compiled is not None and (context.isinsert or context.isupdate or context.isdelete):
            table = getattr(compiled.statement, "table", None)
            conn.info.setdefault(_WROTE, set()).add(getattr(table, "name", ""))
            return
        selecting = compiled is not None and getattr(compiled.statement, "is_select", False)
        if not selecting and statement.lstrip()[:6].upper() not in ("SELECT", "PRAGMA"):
            conn.info.setdefault(_WROTE, set()).update(epochs.tables_in(statement) or {""})
            return
        reading = _reading.get()
        if reading is not None:
            reading.update(epochs.tables_in(statement) or {""})

    @event.listens_for(engine, "checkin")
    def _bump_after_write(dbapi_connection, record):
        if record is None:  # invalidated: what it wrote is unknown
            epochs.bump(range(SLOTS))
            return
        wrote = record.info.pop(_WROTE, None)
        if wrote:
            epochs.bump(slot(name) if name else ANY for name in wrote)

    return epochs


class Kept:
    """Values computed from ``tables``, kept per key while those tables are unwritten, for at most ``seconds``."""

    def __init__(self, epochs: Epochs, tables, seconds: float, limit: int = 20_000):
        self.epochs, self.seconds, self.limit = epochs, seconds, limit
        self.tables = frozenset(tables)
        self._slots = tuple(sorted({slot(t) for t in tables}))
        self._values: dict = {}
        self._lock = threading.Lock()

    def get(self, key, compute):
        reading = _reading.get()
        if reading is not None:  # a kept list shows this value: it depends on these tables too
            reading.update(self.tables)
        stamp = self.epochs.read(self._slots)
        found = self._values.get(key)
        if found is not None and found[0] == stamp and time.monotonic() < found[1]:
            return found[2]
        value = compute()
        with self._lock:
            if len(self._values) >= self.limit:
                self._values.pop(next(iter(self._values)))
            self._values[key] = (stamp, time.monotonic() + self.seconds, value)
        return value


@contextlib.contextmanager
def reading_tables():
    """Collect the names of the tables the statements in the block read ("" for SQL naming none)."""
    read: set[str] = set()
    token = _reading.set(read)
    try:
        yield read
    finally:
        _reading.reset(token)
