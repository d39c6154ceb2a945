"""Shared fixtures: real stores on temp files, the seeded catalogue, artifacts folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ARTIFACTS = Path(os.environ.get("RESOURCEMAP_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory) -> Path:
    """A catalogue file built from every seed (built once per session; copy before writing)."""
    from resourcemap.catalogue import build_catalogue
    from resourcemap.graph.stores.sqlite import SQLiteStore

    path = tmp_path_factory.mktemp("seeded") / "catalogue.db"
    store = SQLiteStore(path)
    build_catalogue(store, "all")
    store.close()
    return path


@pytest.fixture
def seeded_copy(seeded_db, tmp_path) -> Path:
    """A private, writable copy of the seeded catalogue."""
    import sqlite3

    dst = tmp_path / "catalogue.db"
    src = sqlite3.connect(seeded_db)
    out = sqlite3.connect(dst)
    src.backup(out)
    src.close()
    out.close()
    return dst
