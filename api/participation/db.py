"""One connection interface over SQLite and PostgreSQL for the participation stores.

Every participation module writes its SQL once, in one portable form: ``?`` (or
``:name``) placeholders, the types TEXT, INTEGER and REAL, ``INSERT ... ON CONFLICT``,
``SELECT ... FOR UPDATE`` where a row is read in order to change it. Both backends offer
the same three things:

* :meth:`Database.read` — a connection for reads: ``con.execute(sql, params)`` returns a
  cursor-like object (``fetchone``, ``fetchall``, ``rowcount``, iteration) whose rows are
  dicts;
* :meth:`Database.write` — one write transaction (a context manager yielding the same kind
  of connection): committed at the end of the block, rolled back on any exception;
* :attr:`Database.integrity_errors` — what a violated UNIQUE or foreign key raises.

:class:`SQLiteDatabase` (the default, one file, no server): a connection per thread in WAL
mode; every write transaction starts with ``BEGIN IMMEDIATE``, so writers queue instead of
failing; ``FOR UPDATE`` is dropped (the whole database is locked anyway).

:class:`PostgresDatabase` (``GEOQUARTIER_DATABASE_URL``): a psycopg 3 connection pool
(:mod:`psycopg_pool`), every table in one PostgreSQL schema (``search_path``); a read is
one statement in autocommit mode (one round trip); write transactions run in READ
COMMITTED, ``SELECT ... FOR UPDATE`` locks the rows a decision reads, so concurrent
writers of several servers queue on the row instead of overwriting each other.
Statements are translated on the way: placeholders to psycopg's ``%s`` / ``%(name)s``;
in ``CREATE TABLE`` and ``ALTER TABLE``: INTEGER to BIGINT (SQLite's integers have 64
bits), REAL to DOUBLE PRECISION, ``INTEGER PRIMARY KEY [AUTOINCREMENT]`` to an identity
column (numbered when left out, as in SQLite), ``ADD COLUMN`` to ``ADD COLUMN IF NOT
EXISTS``, and every table gets a hidden ``rowid`` identity column standing in for
SQLite's (insertion order for ``ORDER BY rowid``; never returned in rows).
``CHECK (column IN (...))`` vocabulary lists are left out on PostgreSQL: the code checks
its vocabularies before writing (:mod:`geoquartier.vocabulary`), so a value added to a
vocabulary later never meets an older constraint. DDL statements take a
transaction-scoped advisory lock, so servers starting at once create the tables one
after the other.

Schema versions: SQLite keeps ``PRAGMA user_version``; PostgreSQL a one-row table
``schema_version`` in the schema (:meth:`Database.schema_version`).
"""

from __future__ import annotations

import atexit
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from geoquartier.errors import GeoquartierError

BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another process's write lock (milliseconds)."""
POOL_MAX = 16
"""PostgreSQL connections one process keeps open at most (a server's worker threads share
them)."""
POOL_TIMEOUT_S = 30.0
"""How long a request waits for a free pooled connection (seconds)."""
HIDDEN_ROWID = "rowid"
"""The identity column every PostgreSQL table gets in place of SQLite's implicit rowid."""
_DDL_LOCK = 7_203_115_002
"""Key of the PostgreSQL advisory lock held while tables are created or altered."""
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class Cursor(Protocol):
    """What ``con.execute`` returns on either backend."""

    rowcount: int

    def fetchone(self) -> dict[str, Any] | None: ...  # noqa: D102

    def fetchall(self) -> list[dict[str, Any]]: ...  # noqa: D102

    def __iter__(self) -> Iterator[dict[str, Any]]: ...  # noqa: D105


class Connection(Protocol):
    """A connection of either backend: ``execute(sql, params)`` with ``?`` placeholders."""

    dialect: str

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor: ...  # noqa: D102


class Database(Protocol):
    """The participation database of one backend (see the module docstring)."""

    dialect: str
    location: str
    integrity_errors: tuple[type[BaseException], ...]

    def read(self) -> Connection: ...  # noqa: D102

    def write(self) -> Any: ...  # noqa: D102  (a context manager yielding a Connection)

    def schema_version(self, con: Connection) -> int: ...  # noqa: D102

    def set_schema_version(self, con: Connection, version: int) -> None: ...  # noqa: D102

    def has_column(self, con: Connection, table: str, column: str) -> bool: ...  # noqa: D102

    def close(self) -> None: ...  # noqa: D102


def split_statements(script: str) -> list[str]:
    """The ``;``-separated statements of a schema script (empty ones left out)."""
    return [s for s in script.split(";") if s.strip()]


# -- SQLite ------------------------------------------------------------------------------

_FOR_LOCK = re.compile(r"\s+FOR\s+(?:UPDATE|SHARE)(?:\s+OF\s+[\w\s,.]+)?\s*$", re.IGNORECASE)


@lru_cache(maxsize=1024)
def sqlite_sql(sql: str) -> str:
    """``sql`` for SQLite: a trailing ``FOR UPDATE`` / ``FOR SHARE`` is dropped (a write
    transaction holds the database's write lock from its start)."""
    return _FOR_LOCK.sub("", sql)


def _row_to_dict(cursor: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    return {col[0]: value for col, value in zip(cursor.description, row, strict=True)}


class _SQLiteConnection:
    """A SQLite connection speaking the portable SQL (rows are dicts)."""

    dialect = "sqlite"
    __slots__ = ("raw",)

    def __init__(self, raw: sqlite3.Connection):
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        return self.raw.execute(sqlite_sql(sql), params)


class SQLiteDatabase:
    """One SQLite file in WAL mode; a connection per thread, writers queue."""

    dialect = "sqlite"
    integrity_errors: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,)

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.location = str(self.path)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._wal_checked = False

    def raw(self) -> sqlite3.Connection:
        """This thread's ``sqlite3`` connection (autocommit mode, rows as dicts)."""
        con = getattr(self._local, "con", None)
        if con is not None:
            return con
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        con.row_factory = _row_to_dict
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        con.execute("PRAGMA foreign_keys = ON")
        if not self._wal_checked:
            mode = con.execute("PRAGMA journal_mode = WAL").fetchone()["journal_mode"]
            if mode.lower() != "wal":
                raise GeoquartierError(
                    f"the participation database {self.path} cannot use WAL mode "
                    f"(journal mode {mode!r}); put it on a local file system"
                )
            self._wal_checked = True
        # WAL with synchronous=NORMAL: a commit survives a crash or restart of the process.
        con.execute("PRAGMA synchronous = NORMAL")
        self._local.con = con
        return con

    def read(self) -> Connection:
        """This thread's connection (each statement its own transaction)."""
        return _SQLiteConnection(self.raw())

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction holding the database's write lock from its start.

        Threads of this process queue on a lock first (SQLite's busy handler would make
        them sleep and retry); other processes queue on ``busy_timeout``.
        """
        con = self.raw()
        with self._write_lock:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield _SQLiteConnection(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def schema_version(self, con: Connection) -> int:
        """``PRAGMA user_version``."""
        return int(con.execute("PRAGMA user_version").fetchone()["user_version"])

    def set_schema_version(self, con: Connection, version: int) -> None:
        """Set ``PRAGMA user_version`` (inside the caller's transaction)."""
        con.execute(f"PRAGMA user_version = {int(version)}")

    def has_column(self, con: Connection, table: str, column: str) -> bool:
        """Whether ``table`` has ``column``."""
        rows = con.execute(f'PRAGMA table_info("{table}")').fetchall()
        return any(row["name"] == column for row in rows)

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None


# -- PostgreSQL --------------------------------------------------------------------------

_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|::|\?|:[A-Za-z_]\w*|%""")
_AUTOINCREMENT = re.compile(
    r"\bINTEGER\s+PRIMARY\s+KEY(?:\s+AUTOINCREMENT)?\b", re.IGNORECASE
)  # SQLite: an alias of the rowid, numbered when left out
_VOCABULARY_CHECK = re.compile(r"\s*\bCHECK\s*\(\s*\w+\s+IN\s*\([^()]*\)\s*\)", re.IGNORECASE)
_ADD_COLUMN = re.compile(r"\bADD\s+COLUMN\s+(?!IF\s+NOT\s+EXISTS\b)", re.IGNORECASE)
_IS_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP)\s", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\b", re.IGNORECASE)
_ALTER_TABLE = re.compile(r"^\s*ALTER\s+TABLE\b", re.IGNORECASE)


def _placeholder(match: re.Match[str]) -> str:
    token = match.group(0)
    if token == "?":
        return "%s"
    if token == "%":
        return "%%"
    if token.startswith(":") and token != "::":
        return f"%({token[1:]})s"
    if token == "::":
        return token  # a cast
    return token.replace("%", "%%")  # a string literal or quoted identifier: ? and :x stay


def _pg_ddl(sql: str) -> str:
    sql = _AUTOINCREMENT.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", sql)
    sql = _VOCABULARY_CHECK.sub("", sql)
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql, flags=re.IGNORECASE)
    sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql, flags=re.IGNORECASE)
    sql = re.sub(r"\bBLOB\b", "BYTEA", sql, flags=re.IGNORECASE)
    if _ALTER_TABLE.match(sql):
        return _ADD_COLUMN.sub("ADD COLUMN IF NOT EXISTS ", sql)
    if _CREATE_TABLE.match(sql) and not re.search(rf"\b{HIDDEN_ROWID}\b", sql, re.IGNORECASE):
        end = sql.rstrip().rfind(")")
        sql = (
            f"{sql[:end].rstrip()},\n    {HIDDEN_ROWID} BIGINT GENERATED BY DEFAULT AS IDENTITY\n)"
        )
    return sql


@lru_cache(maxsize=1024)
def postgres_sql(sql: str, with_params: bool = True) -> str:
    """``sql`` in psycopg's form: ``?`` → ``%s``, ``:name`` → ``%(name)s`` (and ``%`` →
    ``%%``) when parameters are passed; CREATE/ALTER TABLE translated (module docstring)."""
    if _CREATE_TABLE.match(sql) or _ALTER_TABLE.match(sql):
        sql = _pg_ddl(sql)
    return _TOKENS.sub(_placeholder, sql) if with_params else sql


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):  # sum() of BIGINT: a whole number, as SQLite gives it
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _dict_rows(cursor: Any) -> Any:
    """psycopg row factory: rows as dicts, without the hidden rowid, Decimals as numbers."""
    description = cursor.description
    if description is None:
        return lambda values: None
    names = [column.name for column in description]
    keep = [i for i, name in enumerate(names) if name != HIDDEN_ROWID]

    def make(values: Sequence[Any]) -> dict[str, Any]:
        return {names[i]: _plain(values[i]) for i in keep}

    return make


class _PostgresConnection:
    """A psycopg connection inside one transaction, speaking the portable SQL."""

    dialect = "postgresql"
    __slots__ = ("raw", "_ddl_locked")

    def __init__(self, raw: Any):
        self.raw = raw
        self._ddl_locked = False

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        if not self._ddl_locked and _IS_DDL.match(sql):
            self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
            self._ddl_locked = True
        if params:
            return self.raw.execute(postgres_sql(sql, True), params)
        return self.raw.execute(postgres_sql(sql, False))


class _Fetched:
    """The rows of one statement, fetched before its connection went back to the pool."""

    def __init__(self, rows: list[dict[str, Any]], rowcount: int):
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> dict[str, Any] | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[dict[str, Any]]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.fetchall())


class _PooledReader:
    """``execute`` borrows a pooled connection for one statement, in autocommit mode (one
    round trip; the statement is its own transaction, as on SQLite's read connection)."""

    dialect = "postgresql"

    def __init__(self, database: PostgresDatabase):
        self._database = database

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        with self._database.connection(in_transaction=False) as con:
            cursor = con.execute(sql, params)
            rows = cursor.fetchall() if cursor.description is not None else []
            return _Fetched(rows, cursor.rowcount)


def redacted(url: str) -> str:
    """``url`` without its password (for messages)."""
    from geoquartier.layers.postgis import redacted as without_password

    return without_password(url)


class PostgresDatabase:
    """The tables of PostgreSQL schema ``schema`` in the database at ``url`` (pooled)."""

    dialect = "postgresql"

    def __init__(self, url: str, schema: str = "participation"):
        import psycopg

        if not _SCHEMA_NAME.fullmatch(schema):
            raise GeoquartierError(
                f"participation schema {schema!r}: expected lower-case letters, digits and _"
            )
        self.url = url
        self.schema = schema
        self.location = f"{redacted(url)} (schema {schema})"
        self.integrity_errors = (psycopg.errors.IntegrityError,)
        self._pool: Any = None
        self._pool_lock = threading.Lock()
        self._reader = _PooledReader(self)

    def _connections(self) -> Any:
        with self._pool_lock:
            if self._pool is None:
                self._pool = self._open_pool()
                atexit.register(self.close)
            return self._pool

    def _open_pool(self) -> Any:
        import psycopg
        import psycopg_pool

        # No server-side prepared statements: a column added by a newer server's migration
        # would break the cached plans of a running older one ("cached plan must not change
        # result type"); these statements are cheap to plan.
        kwargs = {
            "connect_timeout": 10,
            "row_factory": _dict_rows,
            "prepare_threshold": None,
            "autocommit": True,  # transactions are explicit (write); reads: one round trip
        }
        try:  # once directly: a wrong URL fails now with the server's reason; the schema
            with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        except psycopg.Error as exc:
            raise GeoquartierError(
                f"cannot use the participation database {self.location}: {_reason(exc)}"
            ) from None
        pool = psycopg_pool.ConnectionPool(
            self.url,
            min_size=1,
            max_size=POOL_MAX,
            kwargs={**kwargs, "options": f"-c search_path={self.schema}"},
            # a connection the server dropped (restart, idle timeout) is replaced before
            # it is handed out, so no request fails on it
            check=psycopg_pool.ConnectionPool.check_connection,
            timeout=POOL_TIMEOUT_S,
            open=False,
        )
        pool.open(wait=True, timeout=15)
        return pool

    @contextmanager
    def connection(self, in_transaction: bool = True) -> Iterator[Connection]:
        """A pooled connection (autocommit); with ``in_transaction`` the block is one
        transaction (committed, or rolled back on an exception)."""
        import psycopg_pool

        try:
            with self._connections().connection() as raw:
                if not in_transaction:
                    yield _PostgresConnection(raw)
                    return
                with raw.transaction():
                    yield _PostgresConnection(raw)
        except psycopg_pool.PoolTimeout as exc:
            raise GeoquartierError(
                f"the participation database {self.location} is busy: {_reason(exc)}"
            ) from None

    def read(self) -> Connection:
        """A reader: each ``execute`` is one statement on a pooled connection."""
        return self._reader

    def write(self) -> Any:
        """One write transaction (READ COMMITTED; lock rows with ``FOR UPDATE``)."""
        return self.connection(in_transaction=True)

    def schema_version(self, con: Connection) -> int:
        """The version in the one-row table ``schema_version`` (0 if it has none)."""
        con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = con.execute("SELECT max(version) AS v FROM schema_version").fetchone()
        return int(row["v"] or 0)

    def set_schema_version(self, con: Connection, version: int) -> None:
        """Record ``version`` (inside the caller's transaction)."""
        con.execute("DELETE FROM schema_version")
        con.execute("INSERT INTO schema_version (version) VALUES (?)", (int(version),))

    def has_column(self, con: Connection, table: str, column: str) -> bool:
        """Whether ``table`` of the schema has ``column``."""
        row = con.execute(
            "SELECT 1 AS found FROM information_schema.columns WHERE table_schema = ?"
            " AND table_name = ? AND column_name = ?",
            (self.schema, table, column),
        ).fetchone()
        return row is not None

    def close(self) -> None:
        """Close the pool (also done at exit)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__
