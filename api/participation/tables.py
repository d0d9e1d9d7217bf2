"""Tables of the participation database added by later features (feedback, receipts,
Verfügungsfonds), created with ``CREATE TABLE IF NOT EXISTS`` in the database of
:class:`api.participation.store.ParticipationStore` on first use (SQLite file or
PostgreSQL schema; the SQL is written once, see :mod:`api.participation.db`).

Writes go through the store's write transactions (:func:`write`; SQLite ``BEGIN
IMMEDIATE``, PostgreSQL row locks with ``SELECT ... FOR UPDATE``), reads through its read
connection (:func:`read`), so the queueing of writers holds for these tables as for the
store's own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from api.participation.db import Connection, split_statements
from api.participation.store import ParticipationStore

_created: set[tuple[str, str]] = set()
_lock = threading.Lock()


def ensure(store: ParticipationStore, name: str, schema: str) -> None:
    """Create the tables of ``schema`` (``;``-separated statements) once per store."""
    key = (str(store.path), name)
    if key in _created:
        return
    with _lock:
        if key in _created:
            return
        with store._write() as con:
            for statement in split_statements(schema):
                con.execute(statement)
        _created.add(key)


@contextmanager
def write(store: ParticipationStore, name: str, schema: str) -> Iterator[Connection]:
    """A write transaction on the store's database, tables ensured."""
    ensure(store, name, schema)
    with store._write() as con:
        yield con


def read(store: ParticipationStore, name: str, schema: str) -> Connection:
    """The store's read connection (rows are dicts), tables ensured."""
    ensure(store, name, schema)
    return store._connect()
