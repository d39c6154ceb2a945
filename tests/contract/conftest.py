"""The store contract fixture: every test in this folder runs against every backend.

Backends: ``sqlite`` (a temp file) and ``bolt`` (the FalkorDB Bolt server started for the
session on loopback; see tests/contract/bolt_server.py when present).
"""
from __future__ import annotations

import pytest

BACKENDS = ["sqlite"]
try:  # the Bolt backend registers itself when its module exists
    from .bolt_server import BOLT_AVAILABLE, bolt_store_factory  # type: ignore[import-not-found]

    if BOLT_AVAILABLE:
        BACKENDS.append("bolt")
except ImportError:  # pragma: no cover - before the Bolt store exists
    bolt_store_factory = None


@pytest.fixture(params=BACKENDS)
def store_factory(request, tmp_path):
    """A callable returning a fresh, empty store (and re-opening the same one when asked)."""
    opened = []
    if request.param == "sqlite":
        from resourcemap.graph.stores.sqlite import SQLiteStore

        path = tmp_path / "contract.db"

        def make(fresh: bool = True):
            s = SQLiteStore(path)
            opened.append(s)
            return s
    else:
        make = bolt_store_factory(request, opened)
    yield make
    for s in opened:
        s.close()


@pytest.fixture
def store(store_factory):
    return store_factory()
