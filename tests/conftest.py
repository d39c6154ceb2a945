"""Shared fixtures: real stores on temp files, the seeded catalogue, artifacts folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# CI runs every property test on a fixed, derandomised example set so a green build stays green;
# locally the examples stay random (exploring), and a failure prints the blob to reproduce it.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

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


@pytest.fixture(scope="session")
def directory_db(seeded_db, tmp_path_factory) -> Path:
    """The five plans plus their shipped open data, linked — what ``init --seed all`` builds (copy before writing).

    The import log and the link queue live in the same file (auxiliary tables).
    """
    from resourcemap.auxdb import AuxDB
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.opendata import Registry, load_seed_open_data

    path = copy_catalogue(seeded_db, tmp_path_factory.mktemp("directory") / "catalogue.db")
    store, aux = SQLiteStore(path), AuxDB(path)
    load_seed_open_data(store, Registry(aux), ["13206", "11225", "19213", "13223", "13218"])
    store.close()
    aux.close()
    return path


@pytest.fixture
def directory_copy(directory_db, tmp_path) -> Path:
    """A private, writable copy of :func:`directory_db`."""
    return copy_catalogue(directory_db, tmp_path / "catalogue.db")


def copy_catalogue(src: Path, dst: Path) -> Path:
    """Copy a catalogue file with SQLite's backup API (consistent even while it is open elsewhere)."""
    import sqlite3

    source = sqlite3.connect(src)
    out = sqlite3.connect(dst)
    source.backup(out)
    source.close()
    out.close()
    return dst


@pytest.fixture
def seeded_copy(seeded_db, tmp_path) -> Path:
    """A private, writable copy of the seeded catalogue."""
    return copy_catalogue(seeded_db, tmp_path / "catalogue.db")
