"""The documented response models of match, gaps and network describe exactly what is sent.

A response validated by its model and dumped again must come back unchanged: a key the model
lacks would be dropped, a wrong type would fail or change — so the OpenAPI document cannot
silently drift from the routes (schemathesis checks random requests; this checks real ones).
"""
from __future__ import annotations

import pytest

from api.analysis_schemas import GapFeatureCollection, MatchResult, NetworkBundle

CITIES = ["府中市", "入間市", "甲州市", "武蔵村山市", "福生市"]


def _same(model, body):
    assert model.model_validate(body).model_dump(mode="json") == body


@pytest.mark.parametrize("city", CITIES)
def test_network_bundle_is_documented(api, city):
    r = api.client.get("/v1/network", params={"city": city}, headers=api.auth("viewer"))
    assert r.status_code == 200
    _same(NetworkBundle, r.json())


def test_gap_collection_is_documented(api):
    for city, unit in (("府中市", "chome"), ("福生市", "mesh500")):
        r = api.client.get("/v1/gaps", params={"city": city, "unit": unit}, headers=api.auth("viewer"))
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
        _same(GapFeatureCollection, r.json())


def test_match_result_is_documented(api):
    body = {"city": "府中市", "location": {"address": "白糸台三丁目"},
            "members": [{"age": 52, "needs": ["ひきこもり", "居場所"]}, {"age": 83, "needs": ["介護予防", "見守り"]}],
            "max_distance_m": 3000}
    r = api.client.post("/v1/match", json=body, headers=api.auth("viewer"))
    assert r.status_code == 200
    data = r.json()
    assert any(res["matches"] for res in data["results"]) and any(res["unplaced"] for res in data["results"])
    _same(MatchResult, data)
