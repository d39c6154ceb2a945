"""The first API surface: /health, /v1/cities, /v1/categories, GET /v1/nodes[/{id}] (CONTRACT.md)."""
from __future__ import annotations

import subprocess
import sys

import httpx

from resourcemap.taxonomy import load_taxonomy

from .conftest import first_admin_key, start_server, stop_server

FIVE = {"13206": "府中市", "11225": "入間市", "19213": "甲州市", "13223": "武蔵村山市", "13218": "福生市"}


def test_health_needs_no_key(api):
    r = api.client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_cities_lists_the_five_with_their_areas(api):
    r = api.client.get("/v1/cities", headers=api.auth("viewer"))
    assert r.status_code == 200
    cities = {c["code"]: c for c in r.json()}
    assert {k: v["name"] for k, v in cities.items()} == FIVE
    assert len(cities["13206"]["areas"]) == 11 and cities["13206"]["primary_area_level"] == "福祉エリア"
    assert len(cities["11225"]["areas"]) == 9 and cities["11225"]["primary_area_level"] == "日常生活圏域"
    assert cities["11225"]["area_levels"] == {"日常生活圏域": 9, "福祉圏域": 9}
    names = {a["name"] for a in cities["13206"]["areas"]}
    for area in ("中央", "白糸台", "西府", "武蔵台", "新町", "住吉", "是政", "紅葉丘", "押立", "四谷", "片町"):
        assert any(n.startswith(area) for n in names), area
    for city in cities.values():
        for a in city["areas"]:
            assert a["chome_count"] > 0 and a["lat"] is not None


def test_categories_are_the_taxonomy(api):
    r = api.client.get("/v1/categories", headers=api.auth("viewer"))
    assert r.status_code == 200
    body = r.json()
    assert {c["id"] for c in body} == {c.id for c in load_taxonomy()}
    assert all(set(c) >= {"id", "label", "parent", "synonyms"} for c in body)


def test_nodes_filters_and_cursor_pagination(api):
    h = api.auth("viewer")
    r = api.client.get("/v1/nodes", params={"city": "府中市", "kind": "area"}, headers=h)
    assert r.status_code == 200 and len(r.json()["items"]) == 11
    seen, cursor = [], None
    while True:
        params = {"city": "13206", "limit": 25, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/v1/nodes", params=params, headers=h).json()
        seen += [n["id"] for n in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    everything = api.client.get("/v1/nodes", params={"city": "13206", "limit": 1000}, headers=h).json()["items"]
    assert seen == [n["id"] for n in everything] and len(seen) == len(set(seen)) > 100
    near = api.client.get("/v1/nodes", params={"near": "35.6689,139.4776", "radius": 1500, "limit": 1000},
                          headers=h).json()["items"]
    assert near and all(n["lat"] is not None for n in near)


def test_node_has_contract_shape_and_etag(api):
    h = api.auth("viewer")
    r = api.client.get("/v1/nodes/fuchu.city", headers=h)
    assert r.status_code == 200
    node = r.json()
    assert r.headers["ETag"].strip('"W/') == str(node["version"])
    for key in ("id", "kind", "name", "city", "lat", "lng", "location_precision", "categories", "targets",
                "program", "area_id", "source", "updated_at", "version"):
        assert key in node
    missing = api.client.get("/v1/nodes/no-such-node", headers=h)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["detail"]


def test_make_run_path_init_then_serve(tmp_path):
    """What `make run` does on a fresh machine: init from the seeds, then serve; /v1/cities has the five."""
    db = tmp_path / "fresh.db"
    subprocess.run([sys.executable, "-m", "resourcemap", "--db", str(db), "init", "--seed", "all"], check=True,
                   capture_output=True)
    server = start_server(db)
    try:
        assert httpx.get(f"{server.url}/health").json()["status"] == "ok"
        key = first_admin_key(server.stdout)
        cities = httpx.get(f"{server.url}/v1/cities", headers={"Authorization": f"Bearer {key}"}).json()
        assert {c["code"] for c in cities} == set(FIVE)
        assert httpx.get(f"{server.url}/v1/cities").status_code == 401
    finally:
        stop_server(server)
