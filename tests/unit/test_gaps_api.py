"""``GET /v1/gaps`` on a copy of the seed catalogue: the GeoJSON shape of CONTRACT.md and its errors."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from resourcemap.gaps.profile import DEFAULT_CATEGORIES
from resourcemap.geo import chome_units
from tests.api.conftest import build_app, make_keys
from tests.conftest import copy_catalogue


@pytest.fixture(scope="module")
def client(seeded_db, tmp_path_factory):
    """A TestClient over a private copy of the seeded catalogue, with a viewer key."""
    db = copy_catalogue(seeded_db, tmp_path_factory.mktemp("gaps_api") / "catalogue.db")
    keys = make_keys(db, roles=("viewer",))
    with TestClient(build_app(db)) as c:
        c.headers["Authorization"] = f"Bearer {keys['viewer']}"
        yield c


def test_gaps_geojson_has_the_contract_properties(client):
    r = client.get("/v1/gaps", params={"city": "府中市"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == len(chome_units("13206")) * len(DEFAULT_CATEGORIES)
    for f in fc["features"]:
        p = f["properties"]
        assert {"unit_id", "category", "nearest_m", "count_within", "gap", "candidates"} <= set(p)
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert isinstance(p["gap"], bool) and isinstance(p["candidates"], list)
        assert p["nearest_m"] is None or p["nearest_m"] >= 0
        if p["measure"] == "distance":
            assert p["gap"] == (p["count_within"] == 0)
            if p["nearest_m"] is not None and p["nearest_m"] <= p["threshold_m"]:
                assert not p["gap"]
        assert not p["candidates"] or p["gap"]


def test_gaps_filters_by_category_unit_and_threshold(client):
    r = client.get("/v1/gaps", params={"city": "13206", "category": "通いの場", "unit": "area", "threshold_m": 2000})
    assert r.status_code == 200
    feats = r.json()["features"]
    assert len(feats) == 11 and {f["properties"]["category"] for f in feats} == {"kayoi"}
    assert {f["properties"]["threshold_m"] for f in feats} == {2000}
    assert not any(f["properties"]["gap"] for f in feats)  # every 福祉エリア has its 文化センター
    r = client.get("/v1/gaps", params=[("city", "福生市"), ("category", "coordination"), ("category", "ibasho")])
    props = [f["properties"] for f in r.json()["features"]]
    assert {p["category"] for p in props} == {"coordination", "ibasho"}
    assert all(p["gap"] for p in props if p["category"] == "coordination")


@pytest.mark.parametrize("params, status", [
    ({"city": "大阪市"}, 404),
    ({"city": "府中市", "unit": "hexagon"}, 422),
    ({"city": "府中市", "category": "宇宙旅行"}, 422),
    ({"city": "府中市", "threshold_m": -5}, 422),
    ({}, 422),
])
def test_bad_queries_are_problems_not_500(client, params, status):
    r = client.get("/v1/gaps", params=params)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"]
