"""Per-app helpers opened on first use and kept in ``AppState.extras`` (key ring, corrections queue).

Why lazily: tests and ``resourcemap serve`` build apps over different files, and nothing may
open a database at import time; the first request that needs a helper opens it, once.
"""
from __future__ import annotations

import threading
from typing import Callable, TypeVar

from resourcemap.auxdb import AuxDB

from .deps import AppState

__all__ = ["lazy", "aux_db"]

T = TypeVar("T")
_lock = threading.RLock()  # re-entrant: a factory may itself call lazy() (e.g. for aux_db)


def lazy(state: AppState, name: str, factory: Callable[[AppState], T]) -> T:
    """``state.extras[name]``, created by ``factory(state)`` the first time (thread-safe)."""
    value = state.extras.get(name)
    if value is None:
        with _lock:
            value = state.extras.get(name)
            if value is None:
                value = state.extras[name] = factory(state)
    return value  # type: ignore[return-value]


def aux_db(state: AppState) -> AuxDB:
    """The app's one handle on the auxiliary tables (keys, corrections, unmet counters)."""
    return lazy(state, "aux_db", lambda st: AuxDB(st.settings.aux_db))
