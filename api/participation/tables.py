"""Tables of the participation database added by later features (feedback, receipts,
Verfügungsfonds), created with ``CREATE TABLE IF NOT EXISTS`` in the database file of
:class:`api.participation.store.ParticipationStore` on first use.

Writes go through the store's ``BEGIN IMMEDIATE`` transactions (:func:`write`), reads
through its per-thread connection (:func:`read`), so WAL, ``busy_timeout`` and the
queueing of writers hold for these tables as for the store's own.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
            for statement in schema.split(";"):
                if statement.strip():
                    con.execute(statement)
        _created.add(key)


@contextmanager
def write(store: ParticipationStore, name: str, schema: str) -> Iterator[sqlite3.Connection]:
    """A write transaction (``BEGIN IMMEDIATE``) on the store's database, tables ensured."""
    ensure(store, name, schema)
    with store._write() as con:
        yield con


def read(store: ParticipationStore, name: str, schema: str) -> sqlite3.Connection:
    """The store's connection of this thread (rows are dicts), tables ensured."""
    ensure(store, name, schema)
    return store._connect()
