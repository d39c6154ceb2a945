"""The offline base map's landmarks (:mod:`resourcemap.basemap`): only placed sites, never a
representative point; public facilities of the imported open data with their credit; without
imported data, the plans' hubs and agencies."""
from __future__ import annotations

import pytest

from resourcemap.basemap import LANDMARK_KINDS, PUBLIC_FACILITY_DATASETS, base_layers, landmarks
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.opendata.listing import credit_lines


@pytest.fixture(scope="module")
def plans(seeded_db):
    store = SQLiteStore(seeded_db)
    yield ReadModel(store, follow=False)
    store.close()


@pytest.fixture(scope="module")
def directory(directory_db):
    store = SQLiteStore(directory_db)
    yield ReadModel(store, follow=False)
    store.close()


def _placed(rm: ReadModel, marks: list[dict]) -> None:
    by_point = {(n.lat, n.lng, n.name): n for n in rm.nodes() if n.located}
    for m in marks:
        node = by_point[(m["lat"], m["lng"], m["name"])]
        assert node.location_precision in ("exact", "address") and node.status == "active"


@pytest.mark.parametrize("code", ["13206", "11225", "19213", "13223", "13218"])
def test_without_open_data_the_plans_hubs_and_agencies(plans, code):
    marks = landmarks(plans, code)
    assert all(m["kind"] in LANDMARK_KINDS and m["credit"] is None for m in marks)
    _placed(plans, marks)


@pytest.mark.parametrize("code", ["13206", "11225", "19213", "13223", "13218"])
def test_with_open_data_its_public_facilities_and_their_credit(directory, code):
    marks = landmarks(directory, code)
    assert marks
    public = [m for m in marks if m["credit"] is not None]  # from a public-facility dataset (a hub keeps its word)
    assert any(m["what"] in PUBLIC_FACILITY_DATASETS.values() for m in public), "every extract has shelters"
    credits = set(credit_lines(PUBLIC_FACILITY_DATASETS, {}))
    assert all(m["credit"] in credits for m in public)
    expected = {n.name for n in directory.nodes(city=code) if n.located and n.status == "active"
                and n.location_precision in ("exact", "address") and n.kind in ("hub", "agency", "place")
                and any(d in n.external_ids for d in PUBLIC_FACILITY_DATASETS)}
    assert {m["name"] for m in public} == expected  # all of them (under the cap), nothing else
    assert all(not m["name"].startswith("介護老人保健施設") for m in marks)
    _placed(directory, marks)
    hubs = [m for m in marks if m["kind"] == "hub"]
    assert marks[:len(hubs)] == hubs  # hubs first


def test_base_layers_are_plain_json(directory):
    import json

    base = base_layers(directory, "13206")
    assert set(base) == {"boundary", "chome", "areas", "landmarks", "tiles"} and base["tiles"] is None
    assert json.loads(json.dumps(base))["landmarks"] == landmarks(directory, "13206")  # serialisable as it is
