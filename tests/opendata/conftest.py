"""Stores for the open-data tests: the municipalities' geography only, or the five plans."""
from __future__ import annotations

import pytest

from resourcemap.auxdb import AuxDB
from resourcemap.catalogue import build_catalogue
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.opendata import Registry

from ..conftest import copy_catalogue


@pytest.fixture(scope="session")
def geo_db(tmp_path_factory):
    """A catalogue file with the five municipalities and their areas, no resources (``init --seed none``)."""
    path = tmp_path_factory.mktemp("geo") / "c.db"
    store = SQLiteStore(path)
    build_catalogue(store, "none")
    store.close()
    return path


@pytest.fixture
def geo_store(geo_db, tmp_path):
    """A private, writable copy of :func:`geo_db`."""
    store = SQLiteStore(copy_catalogue(geo_db, tmp_path / "c.db"))
    yield store
    store.close()


@pytest.fixture
def registry(tmp_path):
    aux = AuxDB(tmp_path / "c.db")
    yield Registry(aux)
    aux.close()
