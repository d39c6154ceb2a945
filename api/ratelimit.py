"""A bounded limiter of failed API-key checks: 429 with ``Retry-After`` before any more hashing.

Why: every check of an unknown key costs one scrypt (~30 ms of CPU and 16 MiB while it runs),
whether or not the key id exists (:meth:`resourcemap.keys.KeyRing.verify` pays the same for
both, so timing says nothing). Without a limit, a few keyless clients can keep the server busy
hashing. Failures are counted in leaky buckets:

* per **client address and key id** (default 5 a minute): guessing one id's secret stops;
* per **client address** (default 30 a minute): spraying many ids stops too.

Why not per key id alone: a limit on the id across all clients would let anyone lock out the
key's owner by failing on purpose. Here an attacker only limits itself; and a key that was
verified before (held in the key ring's cache) is accepted without touching the limiter, so
the owner keeps working even from the attacker's address. Memory is bounded: each table keeps
at most ``max_entries`` buckets, dropping the least recently failed.

The limits are ``Settings.auth_limits`` (:class:`resourcemap.config.AuthLimits`, from
``RESOURCEMAP_AUTH_FAILURES_PER_KEY``, ``RESOURCEMAP_AUTH_FAILURES_PER_CLIENT`` and
``RESOURCEMAP_AUTH_WINDOW_S``); the app holds one limiter (``AppState.auth_limiter``).
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from resourcemap.config import AuthLimits

__all__ = ["FailureLimiter"]


class _Buckets:
    """Leaky buckets by key: each failure adds 1, the level drains at ``limit / window`` per second."""

    def __init__(self, limit: int, window_s: float, max_entries: int) -> None:
        self.limit, self.rate, self.max_entries = limit, limit / window_s, max_entries
        self._levels: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()

    def _level(self, key: Hashable, now: float) -> float:
        level, at = self._levels.get(key, (0.0, now))
        return max(0.0, level - (now - at) * self.rate)

    def wait(self, key: Hashable, now: float) -> float:
        """Seconds until one more failure is allowed (0: allowed now)."""
        excess = self._level(key, now) + 1 - self.limit
        return excess / self.rate if excess > 0 else 0.0

    def add(self, key: Hashable, now: float) -> None:
        self._levels[key] = (self._level(key, now) + 1, now)
        self._levels.move_to_end(key)
        while len(self._levels) > self.max_entries:
            self._levels.popitem(last=False)

    def __len__(self) -> int:
        return len(self._levels)


class FailureLimiter:
    """Failed key checks per (client, key id) and per client; thread-safe, bounded."""

    def __init__(self, settings: AuthLimits = AuthLimits(), clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self._clock, self._lock = settings, clock, threading.Lock()
        self._pairs = _Buckets(settings.per_key, settings.window_s, settings.max_entries)
        self._clients = _Buckets(settings.per_client, settings.window_s, settings.max_entries)

    def retry_after(self, client: str, key_id: str) -> int:
        """Whole seconds the client must wait before this key id may be checked again (0: go ahead)."""
        with self._lock:
            now = self._clock()
            wait = max(self._pairs.wait((client, key_id), now), self._clients.wait(client, now))
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, client: str, key_id: str) -> None:
        """Count one failed check."""
        with self._lock:
            now = self._clock()
            self._pairs.add((client, key_id), now)
            self._clients.add(client, now)

    def sizes(self) -> tuple[int, int]:
        """How many buckets are held (pairs, clients) — bounded by ``max_entries`` each."""
        return len(self._pairs), len(self._clients)
