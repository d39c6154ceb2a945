"""The one write path: a change is validated exactly once, provenance is the server's, If-Match lists.

Why count: a node used to be validated by the route model, by ``parse_node``, again inside the
store's update and a third time when the read model applied the logged change. Now editing
merges and validates once; the store and the read model trust what they are given. The count
wraps the Node validator itself, so any validation anywhere — a store read, the read model, a
response model — would show up.
"""
from __future__ import annotations

from datetime import date

import pytest

from resourcemap.model import Edge, Node


class _Counting:
    """Stands in for a model's pydantic validator, counting every validation it is asked for."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, 0

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if name.startswith("validate_"):
            def counted(*args, **kwargs):
                self.calls += 1
                return attr(*args, **kwargs)
            return counted
        return attr


@pytest.fixture
def count_validations(monkeypatch):
    counters = {}
    for model in (Node, Edge):
        counters[model.__name__] = _Counting(model.__pydantic_validator__)
        monkeypatch.setattr(model, "__pydantic_validator__", counters[model.__name__])
    return counters


def _current(api, node_id: str) -> dict:
    r = api.client.get(f"/v1/nodes/{node_id}", headers=api.auth("viewer"))
    assert r.status_code == 200
    return {"If-Match": r.headers["etag"], **api.auth("editor")}


def test_a_patch_validates_the_node_exactly_once(api, count_validations):
    headers = _current(api, "fuchu.city")  # read before counting
    before = api.client.get("/health").json()["revision"]
    r = api.client.patch("/v1/nodes/fuchu.city", json={"description": "市役所の説明"}, headers=headers)
    assert r.status_code == 200 and r.json()["description"] == "市役所の説明"
    assert count_validations["Node"].calls == 1
    # … and the read model followed the change without validating it again
    assert api.client.get("/health").json()["revision"] == before + 1
    assert count_validations["Node"].calls == 1


def test_a_create_and_an_edge_change_validate_once(api, count_validations):
    from resourcemap.geo import load_chome

    c = load_chome("13206")[3]
    body = {"kind": "place", "name": "一度だけの検証", "city": "13206", "lat": c.lat, "lng": c.lng,
            "location_precision": "chome", "categories": ["ibasho"]}
    r = api.client.post("/v1/nodes", json=body, headers=api.auth("editor"))
    assert r.status_code == 201 and count_validations["Node"].calls == 1
    place = r.json()["id"]
    agency = api.client.get("/v1/nodes?kind=agency&city=13206&limit=1", headers=api.auth("viewer")).json()["items"][0]
    calls = count_validations["Node"].calls
    r = api.client.post("/v1/edges", json={"kind": "operates", "source": agency["id"], "target": place},
                        headers=api.auth("editor"))
    assert r.status_code == 201 and count_validations["Edge"].calls == 1
    r = api.client.patch(f"/v1/edges/{r.json()['id']}", json={"description": "週1回"},
                         headers={**api.auth("editor"), "If-Match": '"1"'})
    assert r.status_code == 200 and count_validations["Edge"].calls == 2
    assert count_validations["Node"].calls == calls  # an edge write never re-validates its ends


def test_provenance_is_the_servers(api):
    c, ed = api.client, api.auth("editor")
    r = c.post("/v1/nodes", json={"kind": "agency", "name": "出典を名乗る法人", "city": "13206",
                                  "source": "004_50451f3a80e1843a.txt#2(4)"}, headers=ed)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["source"]
    r = c.post("/v1/nodes", json={"kind": "agency", "name": "法人", "city": "13206", "verified_by": "admin",
                                  "verified_at": date.today().isoformat()}, headers=ed)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["verified_by"]
    r = c.post("/v1/nodes", json={"kind": "agency", "name": "法人", "city": "13206",
                                  "verified_at": date.today().isoformat()}, headers=ed)
    assert r.status_code == 201 and r.json()["source"] == "api:editor" and r.json()["verified_by"] == "editor"

    seeded = c.get("/v1/nodes/fuchu.city", headers=ed)
    cited = seeded.json()["source"]
    assert not cited.startswith("api:")
    r = c.patch("/v1/nodes/fuchu.city", json={"verified_by": "admin"}, headers={**ed, "If-Match": seeded.headers["etag"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "verified_by"
    r = c.post("/v1/nodes/fuchu.city/verify", headers={**ed, "If-Match": seeded.headers["etag"]})
    assert r.status_code == 200 and r.json()["verified_by"] == "editor" and r.json()["source"] == cited
    r = c.patch("/v1/nodes/fuchu.city", json={"phone": "042-364-0000"}, headers={**ed, "If-Match": r.headers["etag"]})
    assert r.status_code == 200 and r.json()["source"] == "api:editor"
    r = c.patch("/v1/nodes/fuchu.city", json={"source": cited}, headers={**ed, "If-Match": r.headers["etag"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "source"


def test_if_match_with_a_list_matches_any_listed_tag(api):
    c = api.client
    ed = _current(api, "fuchu.city")
    v = int(ed["If-Match"].strip('"'))
    r = c.patch("/v1/nodes/fuchu.city", json={"phone": "042-000-0001"},
                headers={**ed, "If-Match": f'"{v - 1}", "{v}"'})
    assert r.status_code == 200 and r.headers["etag"] == f'"{v + 1}"'
    r = c.patch("/v1/nodes/fuchu.city", json={"phone": "042-000-0002"},
                headers={**ed, "If-Match": f'"{v - 1}", "{v}", W/"{v + 7}"'})
    assert r.status_code == 412 and r.json()["current_version"] == v + 1
    r = c.delete("/v1/nodes/fuchu.city", headers={**ed, "If-Match": f'"{v + 5}", "{v + 1}"'})
    assert r.status_code == 200 and r.json()["deleted"] is True
