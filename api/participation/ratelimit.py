"""Per-client rate limit for submissions, without keeping who the clients are.

A client is counted under ``HMAC-SHA256(salt, client address)``. The salt is random and
replaced at the start of every window (one minute), when all counters are dropped: a
client's hashed key exists for at most one window and cannot be linked to the key of the
next window, nor reversed to the address once the window's salt is gone.

Two limiters with the same interface (``limit``, :meth:`hit`, :meth:`key`,
:meth:`tracked_clients`):

* :class:`RateLimiter` — the default with the SQLite participation file: salt and
  counters live only in this process's memory, nothing is written to disk. Each server
  process counts on its own (N processes let a client through N times the limit).
* :class:`SharedRateLimiter` — with the participation store on PostgreSQL, used by every
  app server of a city: the window's salt and the counters are rows of the database
  (tables ``rate_limit_salts`` and ``rate_limit_hits``), so the limit holds across all
  servers. Windows are aligned to the clock (minute ``floor(unix time / 60)``); the rows
  of past windows, salts included, are deleted when a server first counts in a new window.
  While a window lasts, its salt is in the database next to the hashed keys (every
  server needs it); after the window nothing links a key to an address.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from api.participation.store import ParticipationStore


@dataclass(frozen=True)
class Verdict:
    """Outcome of one check: ``allowed``, and if not, ``retry_after_s`` seconds to wait."""

    allowed: bool
    remaining: int
    retry_after_s: int


class RateLimiter:
    """At most ``limit`` events per client in each fixed window of ``window_s`` seconds.

    ``limit = 0`` switches the limiter off. Thread-safe.
    """

    def __init__(self, limit: int, window_s: float = 60.0, clock=time.monotonic):
        self.limit = int(limit)
        self.window_s = float(window_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = -math.inf
        self._salt = b""
        self._counts: dict[bytes, int] = {}

    def _rotate_if_due(self, now: float) -> None:
        if now - self._window_start >= self.window_s:
            self._window_start = now
            self._salt = secrets.token_bytes(32)
            self._counts = {}

    def key(self, client: str) -> bytes:
        """The salted hash under which ``client`` is counted in the current window."""
        with self._lock:
            self._rotate_if_due(self._clock())
            return hmac.new(self._salt, client.encode("utf-8"), hashlib.sha256).digest()

    def hit(self, client: str) -> Verdict:
        """Count one event of ``client`` (an address or other identity; not stored)."""
        if self.limit <= 0:
            return Verdict(True, 0, 0)
        with self._lock:
            now = self._clock()
            self._rotate_if_due(now)
            key = hmac.new(self._salt, client.encode("utf-8"), hashlib.sha256).digest()
            count = self._counts.get(key, 0)
            if count >= self.limit:
                wait = max(1, math.ceil(self._window_start + self.window_s - now))
                return Verdict(False, 0, wait)
            self._counts[key] = count + 1
            return Verdict(True, self.limit - count - 1, 0)

    def tracked_clients(self) -> int:
        """How many hashed client keys the current window holds (for tests and monitoring)."""
        with self._lock:
            self._rotate_if_due(self._clock())
            return len(self._counts)


_SHARED_NAME = "ratelimit"
_SHARED_SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_limit_salts (
    window_start INTEGER PRIMARY KEY,
    salt         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_limit_hits (
    window_start INTEGER NOT NULL,
    client_key   TEXT NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (window_start, client_key)
)
"""
"""The shared limiter's tables: one salt per window, one counter per hashed client key."""


class SharedRateLimiter:
    """At most ``limit`` events per client in each clock-aligned window of ``window_s``
    seconds, counted in the participation database (all servers together).

    ``limit = 0`` switches the limiter off. Thread-safe; one extra short transaction per
    event.
    """

    def __init__(
        self,
        store: ParticipationStore,
        limit: int,
        window_s: float = 60.0,
        clock=time.time,
    ):
        self.store = store
        self.limit = int(limit)
        self.window_s = float(window_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._salt: tuple[int, bytes] | None = None

    def _window(self, now: float) -> int:
        return int(now // self.window_s)

    def _salt_of(self, window: int) -> bytes:
        """The window's salt: made by the first server counting in it, read by the others;
        older windows are purged then."""
        cached = self._salt
        if cached is not None and cached[0] == window:
            return cached[1]
        from api.participation import tables

        with self._lock, tables.write(self.store, _SHARED_NAME, _SHARED_SCHEMA) as con:
            con.execute("DELETE FROM rate_limit_hits WHERE window_start < ?", (window,))
            con.execute("DELETE FROM rate_limit_salts WHERE window_start < ?", (window,))
            con.execute(
                "INSERT INTO rate_limit_salts (window_start, salt) VALUES (?, ?)"
                " ON CONFLICT (window_start) DO NOTHING",
                (window, secrets.token_hex(32)),
            )
            row = con.execute(
                "SELECT salt FROM rate_limit_salts WHERE window_start = ?", (window,)
            ).fetchone()
            salt = bytes.fromhex(row["salt"])
            self._salt = (window, salt)
        return salt

    def key(self, client: str) -> bytes:
        """The salted hash under which ``client`` is counted in the current window."""
        salt = self._salt_of(self._window(self._clock()))
        return hmac.new(salt, client.encode("utf-8"), hashlib.sha256).digest()

    def hit(self, client: str) -> Verdict:
        """Count one event of ``client`` (an address or other identity; only its salted
        hash is stored, for the current window)."""
        if self.limit <= 0:
            return Verdict(True, 0, 0)
        from api.participation import tables

        now = self._clock()
        window = self._window(now)
        key = hmac.new(self._salt_of(window), client.encode("utf-8"), hashlib.sha256)
        # one statement, atomic by itself: on the read connection (no BEGIN/COMMIT)
        con = tables.read(self.store, _SHARED_NAME, _SHARED_SCHEMA)
        row = con.execute(
            "INSERT INTO rate_limit_hits (window_start, client_key, hits) VALUES (?, ?, 1)"
            " ON CONFLICT (window_start, client_key) DO UPDATE"
            " SET hits = rate_limit_hits.hits + 1 WHERE rate_limit_hits.hits < ?"
            " RETURNING hits",
            (window, key.hexdigest(), self.limit),
        ).fetchone()
        if row is None:
            wait = max(1, math.ceil((window + 1) * self.window_s - now))
            return Verdict(False, 0, wait)
        return Verdict(True, self.limit - int(row["hits"]), 0)

    def tracked_clients(self) -> int:
        """How many hashed client keys the current window holds (all servers)."""
        from api.participation import tables

        window = self._window(self._clock())
        self._salt_of(window)  # purges older windows
        con = tables.read(self.store, _SHARED_NAME, _SHARED_SCHEMA)
        row = con.execute(
            "SELECT count(*) AS n FROM rate_limit_hits WHERE window_start = ?", (window,)
        ).fetchone()
        return int(row["n"])
