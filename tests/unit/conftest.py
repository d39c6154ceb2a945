"""Fixtures for the seed-catalogue tests: each test module names its ``SEED`` file and document."""
from __future__ import annotations

import pytest

from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.seeds import load_seed_file


@pytest.fixture(scope="module")
def cat(request):
    """The module's seed catalogue (``SEED`` at module level), loaded and located once."""
    return load_seed_file(request.module.SEED)


@pytest.fixture(scope="module")
def by_id(cat):
    return {n.id: n for n in cat.nodes}


@pytest.fixture(scope="module")
def doc(request) -> str:
    """The text of the module's source document (``DOC_NAME``)."""
    from tests.sources import read_source

    return read_source(request.module.DOC_NAME)


@pytest.fixture(scope="module")
def rm(seeded_db):
    """A read model of the whole seed catalogue (one per module; a module with its own catalogue overrides it)."""
    store = SQLiteStore(seeded_db)
    model = ReadModel(store, follow=False)
    yield model
    store.close()
