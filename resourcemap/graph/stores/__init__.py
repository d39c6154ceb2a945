"""Stores: the system of record behind the :class:`~resourcemap.graph.stores.base.GraphStore` protocol.

``open_store(url)`` chooses by URL scheme — ``sqlite:///path`` (embedded default) or
``bolt://`` / ``neo4j://`` (graph server) — so callers never import a backend directly.
"""
from __future__ import annotations

import os
from pathlib import Path

from ...errors import InputError
from .base import GraphStore, NodeQuery

__all__ = ["GraphStore", "NodeQuery", "open_store", "store_url"]


def store_url(db: str | os.PathLike[str] | None = None) -> str:
    """Pick the store URL: explicit ``db`` > ``$RESOURCEMAP_STORE`` > ``$RESOURCEMAP_DB`` > ./data/resourcemap.db."""
    if db:
        s = str(db)
        return s if "://" in s else f"sqlite:///{Path(s).resolve()}"
    env = os.environ.get("RESOURCEMAP_STORE")
    if env:
        return env
    path = os.environ.get("RESOURCEMAP_DB", "data/resourcemap.db")
    return f"sqlite:///{Path(path).resolve()}"


def open_store(url: str, **options) -> GraphStore:
    """Open the store a URL names; the backend module is imported only when chosen."""
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStore

        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute.db, sqlite:///:memory:
        return SQLiteStore(url.removeprefix("sqlite:///"), **options)
    if url.startswith(("bolt://", "neo4j://", "bolt+s://", "neo4j+s://")):
        from .bolt import BoltStore  # type: ignore[import-not-found]

        return BoltStore(url, **options)
    raise InputError(f"store URL {url!r} is not understood: use sqlite:///path/to.db or bolt://host:port")
