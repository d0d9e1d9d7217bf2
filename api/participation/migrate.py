"""Schema migrations of the participation database that ``CREATE TABLE IF NOT EXISTS``
cannot do.

:func:`widen_role_check` rebuilds the ``users`` table of a database written before a role
was added to :data:`geoquartier.vocabulary.STAFF_ROLES` (its ``CHECK (role IN (...))``
would refuse the new role). It follows SQLite's documented procedure for changing a
table's constraints: foreign keys off, one ``BEGIN IMMEDIATE`` transaction (new table,
copy, drop, rename, ``foreign_key_check``), foreign keys back on. Rows, ids and token
hashes are kept; references from ``annotations``, ``events`` and ``decisions`` stay valid.
"""

from __future__ import annotations

import re
import sqlite3

from geoquartier.errors import GeoquartierError
from geoquartier.vocabulary import STAFF_ROLES, sql_in

_USERS_TABLE = f"""
CREATE TABLE users_migrated (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ({sql_in(STAFF_ROLES)})),
    token_sha256 TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1
)"""

_USER_COLUMNS = "id, name, role, token_sha256, created_at, active"


def _roles_allowed(con: sqlite3.Connection) -> tuple[str, ...] | None:
    """The roles the ``users`` table's CHECK admits (None when there is no table yet)."""
    row = con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
    found = row.fetchone()
    if found is None:
        return None
    sql = found["sql"] if isinstance(found, dict) else found[0]
    match = re.search(r"role\s+IN\s*\(([^)]*)\)", sql, flags=re.IGNORECASE)
    if match is None:
        return tuple(STAFF_ROLES)  # no role check at all: every role fits
    return tuple(re.findall(r"'((?:[^']|'')*)'", match.group(1)))


def widen_role_check(con: sqlite3.Connection) -> bool:
    """Rebuild ``users`` if its CHECK lacks a role of ``STAFF_ROLES``; True if it did.

    ``con`` is in autocommit mode (no open transaction). Safe against a second process
    doing the same: the check is repeated under the write lock.
    """
    allowed = _roles_allowed(con)
    if allowed is None or set(STAFF_ROLES) <= set(allowed):
        return False
    con.execute("PRAGMA foreign_keys = OFF")
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            allowed = _roles_allowed(con)
            if allowed is None or set(STAFF_ROLES) <= set(allowed):
                con.execute("ROLLBACK")
                return False
            con.execute(_USERS_TABLE)
            con.execute(
                f"INSERT INTO users_migrated ({_USER_COLUMNS}) SELECT {_USER_COLUMNS} FROM users"
            )
            con.execute("DROP TABLE users")
            con.execute("ALTER TABLE users_migrated RENAME TO users")
            broken = con.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise GeoquartierError(
                    f"migrating the users table would break {len(broken)} references; "
                    "the database was left unchanged"
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute("PRAGMA foreign_keys = ON")
    return True
