"""``POST /v1/match`` and ``GET /v1/unmet`` on a real uvicorn server, and the privacy promise.

The server runs as ``python -m uvicorn api.app:create_app --factory`` over a private copy of
the seeded catalogue, with the access log on and every logger at DEBUG written to one file,
so the privacy test can read everything the process logged.
"""
from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import logged_server, make_keys
from tests.conftest import copy_catalogue

CONTRACT_MATCH = {"id", "name", "kind", "lat", "lng", "distance_m", "walk_min", "score", "reasons", "area_id",
                  "operator"}

@pytest.fixture(scope="module")
def server(seeded_db, tmp_path_factory):
    """(base url, keys, folder with the catalogue file, log file) of a live server."""
    folder = tmp_path_factory.mktemp("match-api")
    db = copy_catalogue(seeded_db, folder / "catalogue.db")
    keys = make_keys(db)
    with logged_server(db, folder) as (url, log_path):
        yield url, keys, folder, log_path


def _auth(keys, role="viewer"):
    return {"Authorization": f"Bearer {keys[role]}"}


def test_post_match_contract_shape(server):
    url, keys, _, _ = server
    body = {"city": "府中市", "location": {"address": "白糸台三丁目"},
            "members": [{"age": 52, "needs": ["ひきこもり", "居場所"]}, {"age": 83, "needs": ["介護予防"]}],
            "max_distance_m": 2000, "limit": 3}
    r = httpx.post(f"{url}/v1/match", json=body, headers=_auth(keys))
    assert r.status_code == 200, r.text
    data = r.json()
    assert {"location", "results", "unmet", "team"} <= set(data)
    assert {"lat", "lng", "chome", "area_id", "precision"} <= set(data["location"])
    assert data["location"]["precision"] == "chome" and data["location"]["area_id"] == "fuchu.area.shiraitodai"
    assert len(data["results"]) == 3
    for res in data["results"]:
        assert {"member", "need", "category", "matches"} <= set(res)
        assert len(res["matches"]) <= 3
        scores = [m["score"] for m in res["matches"]]
        assert scores == sorted(scores, reverse=True)
        for m in res["matches"]:
            assert CONTRACT_MATCH <= set(m) and m["distance_m"] <= 2000 and m["reasons"]
    assert all({"member", "need", "category"} <= set(u) for u in data["unmet"])
    assert data["team"] and all({"id", "name", "fields", "reason"} <= set(t) for t in data["team"])


def test_errors_are_problems_never_500(server):
    url, keys, _, _ = server
    ok = {"city": "府中市", "location": {"address": "白糸台三丁目"}, "members": [{"needs": ["居場所"]}]}
    assert httpx.post(f"{url}/v1/match", json=ok).status_code == 401
    cases = [
        ({**ok, "members": [{"needs": ["ひきこもろ"]}]}, 422, "ひきこもり支援"),
        ({**ok, "location": {"address": "白糸台九丁目"}}, 422, "白糸台"),
        ({**ok, "location": {"lat": 35.0, "lng": 139.0}}, 422, "区域外"),
        ({**ok, "city": "大阪市"}, 422, "府中市"),
        ({**ok, "members": []}, 422, None),
        ({**ok, "max_distance_m": -1}, 422, None),
        ({**ok, "location": {}}, 422, None),
    ]
    for body, status, hint in cases:
        r = httpx.post(f"{url}/v1/match", json=body, headers=_auth(keys))
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        if hint:
            assert hint in json.dumps(r.json(), ensure_ascii=False)
    r = httpx.get(f"{url}/v1/unmet", params={"city": "どこか"}, headers=_auth(keys))
    assert r.status_code == 422


def _db_rows(folder: Path) -> dict[str, set[tuple]]:
    conn = sqlite3.connect(folder / "catalogue.db")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: set(conn.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables}
    finally:
        conn.close()


def test_privacy_nothing_but_counters(server):
    """Many requests carrying unique markers: none of them is stored, logged or shown elsewhere."""
    url, keys, folder, log_path = server
    before = _db_rows(folder)
    unmet_before = httpx.get(f"{url}/v1/unmet", params={"city": "府中市"}, headers=_auth(keys, "admin")).json()["total"]
    markers: list[str] = []
    ages = list(range(101, 131))
    expected_unmet = 0
    records = []
    for i in range(30):
        tag = f"MK{uuid.uuid4().hex[:10]}"
        house = f"{7000 + i}番{300 + i}号"
        markers += [tag, house]
        if i % 3 == 0:  # a lat/lng with unique digits, and a 1 m range: every need is unmet
            lat, lng = f"35.66{4100 + i:04d}1", f"139.51{6100 + i:04d}3"
            markers += [lat, lng]
            loc = {"lat": float(lat), "lng": float(lng)}
            rng = 1
        else:
            loc = {"address": f"府中市白糸台三丁目{house} {tag}"}
            rng = 2000
        body = {"city": "府中市", "location": loc, "max_distance_m": rng,
                "members": [{"age": ages[i], "needs": ["居場所", "ヤングケアラー"]},
                            {"age": ages[-1 - i], "needs": ["介護予防"], "fields": ["高齢"]}]}
        r = httpx.post(f"{url}/v1/match", json=body, headers=_auth(keys))
        assert r.status_code == 200, r.text
        data = r.json()
        expected_unmet += len(data["unmet"])
        if data["unmet"]:  # what a client records on purpose: the aggregated cell, nothing about the person
            records.append({"city": "府中市", "chome": data["location"]["chome"], "area_id": data["location"]["area_id"],
                            "items": [{"category": u["category"], "age_band": u["age_band"]} for u in data["unmet"]]})
        bad = {**body, "members": [{"age": ages[i], "needs": [f"ニーズ{tag}"]}]}  # refused, must not be logged
        assert httpx.post(f"{url}/v1/match", json=bad, headers=_auth(keys)).status_code == 422
    assert expected_unmet > 0
    # a match counts nothing by itself (issue 11): retrying a search must not inflate the figures
    after_matches = httpx.get(f"{url}/v1/unmet", params={"city": "府中市"}, headers=_auth(keys, "admin")).json()
    assert after_matches["total"] == unmet_before
    for record in records:
        r = httpx.post(f"{url}/v1/unmet", json=record, headers=_auth(keys))
        assert r.status_code == 201, r.text
        assert r.json()["recorded"] == len(record["items"])

    # the counters moved by exactly the unmet needs recorded (raw counts: an admin's view)
    unmet = httpx.get(f"{url}/v1/unmet", params={"city": "府中市"}, headers=_auth(keys, "admin")).json()
    assert unmet["total"] - unmet_before == expected_unmet
    assert {r["age_band"] for r in unmet["items"]} <= {"90+", "不明"} | {f"{d}-{d + 9}" for d in range(0, 90, 10)}

    # other endpoints' answers
    texts = [httpx.get(f"{url}{path}", headers=_auth(keys, "admin")).text
             for path in ("/health", "/v1/nodes?limit=1000", "/v1/cities", "/v1/unmet?city=13206",
                          "/v1/categories", "/v1/audit", "/v1/edges", "/openapi.json")]
    # the database: only the unmet counter table changed, and none of its rows holds a marker
    after = _db_rows(folder)
    changed = {t for t in after if after[t] != before.get(t, set())}
    assert changed <= {"match_unmet"} | {t for t in changed if t.startswith("api_key")}, changed
    new_rows = after.get("match_unmet", set()) - before.get("match_unmet", set())
    assert new_rows and all(not (set(row) & set(ages)) for row in new_rows)
    raw = b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file() and p.name != "server.log")
    time.sleep(0.5)
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    assert "POST /v1/match" in log_text, "the log was captured"
    for m in markers:
        assert m.encode() not in raw, f"{m} found in the database files"
        assert m not in log_text, f"{m} found in the server log"
        assert all(m not in t for t in texts), f"{m} found in another endpoint's answer"
    no_addresses = re.sub(r"\d+\.\d+\.\d+\.\d+(:\d+)?|\[\d+\]", "", log_text)  # 127.0.0.1:port, [pid]
    assert not re.search(r"\b(1[01]\d|12\d|130)\b", no_addresses), "an age in the log"
