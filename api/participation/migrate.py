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

_ROLE_CHECK = re.compile(r"(role\s+IN\s*\()([^)]*)(\))", flags=re.IGNORECASE)


def _migrated_table_sql(con: sqlite3.Connection) -> str:
    """The ``users`` table's own CREATE statement, named ``users_migrated``, with the role
    CHECK listing :data:`STAFF_ROLES` (every other column and constraint kept as it is)."""
    sql = con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
    found = sql.fetchone()
    text = found["sql"] if isinstance(found, dict) else found[0]
    text = re.sub(r"^\s*CREATE TABLE\s+\"?users\"?", "CREATE TABLE users_migrated", text, count=1)
    return _ROLE_CHECK.sub(lambda m: m.group(1) + sql_in(STAFF_ROLES) + m.group(3), text, count=1)


def _user_columns(con: sqlite3.Connection) -> str:
    rows = con.execute("PRAGMA table_info(users)").fetchall()
    return ", ".join(r["name"] if isinstance(r, dict) else r[1] for r in rows)


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
            columns = _user_columns(con)
            con.execute(_migrated_table_sql(con))
            con.execute(f"INSERT INTO users_migrated ({columns}) SELECT {columns} FROM users")
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
