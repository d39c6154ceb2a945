"""Stores: the system of record behind the :class:`~resourcemap.graph.stores.base.GraphStore` protocol.

``open_store(url)`` chooses by URL scheme — ``sqlite:///path`` (embedded default) or
``bolt://`` / ``neo4j://`` (graph server) — so callers never import a backend directly. The
URL and the Bolt credentials come from the :class:`~resourcemap.config.Settings` (argument >
environment > default); the backend module is imported only when chosen.
"""
from __future__ import annotations

from typing import Any

from ...config import Settings, load
from ...errors import InputError
from .base import GraphStore, NodeQuery

__all__ = ["GraphStore", "NodeQuery", "open_store"]


def open_store(url: str | None = None, *, settings: Settings | None = None, **options: Any) -> GraphStore:
    """Open the store *url* names (default: the settings' store), with the settings' Bolt credentials.

    *options* go to the backend (``create=False`` refuses to create a missing SQLite file).
    """
    settings = settings or load()
    url = url or settings.store_url
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStore

        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute.db, sqlite:///:memory:
        return SQLiteStore(url.removeprefix("sqlite:///"), **options)
    if url.startswith(("bolt://", "neo4j://", "bolt+s://", "neo4j+s://")):
        from .bolt import BoltStore

        return BoltStore(url, **{**settings.store_options(url), **options})
    raise InputError(f"store URL {url!r} is not understood: use sqlite:///path/to.db or bolt://host:port")
