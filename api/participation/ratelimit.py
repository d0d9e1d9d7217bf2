"""Per-client rate limit for submissions, without keeping who the clients are.

A client is counted under ``HMAC-SHA256(salt, client address)``. The salt is random, lives
only in this process's memory and is replaced at the start of every window (one minute),
when all counters are dropped: a client's hashed key exists for at most one window and
cannot be linked to the key of the next window, nor reversed to the address. Nothing of
it is written to disk.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from dataclasses import dataclass


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
