"""CRUD with validation, ETag/If-Match, soft delete/restore, freshness, and the corrections queue."""
from __future__ import annotations

from datetime import date

from resourcemap.geo import load_chome


def _place(**extra):
    c = load_chome("13206")[5]
    return {"kind": "place", "name": "ふれあいサロン", "city": "13206", "lat": c.lat, "lng": c.lng,
            "location_precision": "chome", "categories": ["ibasho"], **extra}


def test_create_read_patch_delete_restore(api):
    c, ed = api.client, api.auth("editor")
    r = c.post("/v1/nodes", json=_place(), headers=ed)
    assert r.status_code == 201 and r.headers["etag"] == '"1"' and r.headers["location"] == f"/v1/nodes/{r.json()['id']}"
    node = r.json()
    assert node["source"] == "api:editor" and node["staleness"] == 1.0 and node["verified_days_ago"] is None
    url = f"/v1/nodes/{node['id']}"
    assert c.patch(url, json={"phone": "042-360-0000"}, headers=ed).status_code == 428
    assert c.patch(url, json={"phone": "042-360-0000"}, headers={**ed, "If-Match": '"9"'}).status_code == 412
    assert c.patch(url, json={"phone": "042-360-0000"}, headers={**ed, "If-Match": "garbage"}).status_code == 412
    r = c.patch(url, json={"phone": "042-360-0000"}, headers={**ed, "If-Match": '"1"'})
    assert r.status_code == 200 and r.headers["etag"] == '"2"' and r.json()["phone"] == "042-360-0000"
    r = c.delete(url, headers={**ed, "If-Match": '"2"'})
    assert r.status_code == 200 and r.json()["deleted"] is True
    assert c.get(url, headers=api.auth("viewer")).status_code == 404
    deleted = c.get(url + "?include_deleted=true", headers=api.auth("viewer"))
    assert deleted.status_code == 200 and deleted.headers["etag"] == '"3"'
    r = c.post(url + "/restore", headers={**ed, "If-Match": '"3"'})
    assert r.status_code == 200 and r.json()["deleted"] is False and r.json()["version"] == 4
    ops = [i["op"] for i in c.get(f"/v1/audit?entity_id={node['id']}", headers=api.auth("admin")).json()["items"]]
    assert ops == ["create", "update", "delete", "restore"]


def test_validation_collects_every_problem(api):
    c, ed = api.client, api.auth("editor")
    r = c.post("/v1/nodes", json=_place(lat=35.0, lng=139.0), headers=ed)  # a point outside 府中市
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lat" and "区域外" in r.json()["detail"]
    r = c.post("/v1/nodes", json=_place(categories=["no-such-category"], program="9-z"), headers=ed)
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} >= {"categories", "program"}
    area_elsewhere = c.get("/v1/nodes?kind=area&city=11225&limit=1", headers=ed).json()["items"][0]["id"]
    r = c.post("/v1/nodes", json=_place(area_id=area_elsewhere), headers=ed)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "area_id"
    r = c.post("/v1/nodes", json=_place(city="99999"), headers=ed)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "city"
    r = c.post("/v1/nodes", json=_place(version=7), headers=ed)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


def test_edges_need_existing_ends_of_fitting_kinds(api):
    c, ed = api.client, api.auth("editor")
    place = c.post("/v1/nodes", json=_place(), headers=ed).json()["id"]
    agency = c.get("/v1/nodes?kind=agency&city=13206&limit=1", headers=ed).json()["items"][0]["id"]
    area = c.get("/v1/nodes?kind=area&city=13206&limit=1", headers=ed).json()["items"][0]["id"]
    r = c.post("/v1/edges", json={"kind": "operates", "source": agency, "target": "no-such-node"}, headers=ed)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "target"
    r = c.post("/v1/edges", json={"kind": "operates", "source": area, "target": place}, headers=ed)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "source"
    r = c.post("/v1/edges", json={"kind": "operates", "source": agency, "target": place, "cite": "public"}, headers=ed)
    assert r.status_code == 201 and r.headers["etag"] == '"1"'
    eid = r.json()["id"]
    listed = c.get(f"/v1/edges?node={place}", headers=api.auth("viewer")).json()["items"]
    assert [e["id"] for e in listed] == [eid]
    r = c.patch(f"/v1/edges/{eid}", json={"description": "週2回"}, headers={**ed, "If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["version"] == 2
    # deleting the node soft-deletes its edges too
    assert c.delete(f"/v1/nodes/{place}", headers={**ed, "If-Match": '"1"'}).status_code == 200
    assert c.get(f"/v1/edges/{eid}", headers=ed).status_code == 404


def test_pagination_visits_every_node_once(api):
    c, h = api.client, api.auth("viewer")
    seen, cursor = [], None
    while True:
        page = c.get("/v1/nodes", params={"limit": 37, **({"cursor": cursor} if cursor else {})}, headers=h).json()
        seen += [n["id"] for n in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    everything = c.get("/v1/nodes?limit=1000", headers=h).json()["items"]
    assert seen == [n["id"] for n in everything] and len(seen) == len(set(seen))
    assert c.get("/v1/nodes?cursor=%%%", headers=h).status_code == 422


def test_verify_makes_a_node_fresh(api):
    c, ed = api.client, api.auth("editor")
    node = c.get("/v1/nodes/fuchu.city", headers=ed)
    assert node.json()["staleness"] == 1.0
    r = c.post("/v1/nodes/fuchu.city/verify", headers={**ed, "If-Match": node.headers["etag"]})
    assert r.status_code == 200
    body = r.json()
    assert body["verified_at"] == date.today().isoformat() and body["verified_by"] == "editor"
    assert body["staleness"] == 0.0 and body["verified_days_ago"] == 0
    r = c.post("/v1/nodes/fuchu.city/verify", json={"verified_at": "2999-01-01"},
               headers={**ed, "If-Match": r.headers["etag"]})
    assert r.status_code == 422


def test_report_a_problem_queues_a_correction(api):
    c = api.client
    r = c.post("/v1/nodes/fuchu.city/reports", json={"message": "電話番号が変わっています", "field": "phone"},
               headers=api.auth("viewer"))
    assert r.status_code == 201 and r.json()["status"] == "open" and r.json()["reporter"] == "viewer"
    assert c.post("/v1/nodes/no-such/reports", json={"message": "x"}, headers=api.auth("viewer")).status_code == 404
    assert c.get("/v1/corrections", headers=api.auth("viewer")).status_code == 403
    queue = c.get("/v1/corrections", headers=api.auth("editor")).json()
    assert [q["node_id"] for q in queue] == ["fuchu.city"]
    done = c.post(f"/v1/corrections/{queue[0]['id']}/resolve", json={"status": "resolved", "note": "修正済み"},
                  headers=api.auth("editor"))
    assert done.status_code == 200 and done.json()["resolved_by"] == "editor"
    assert c.get("/v1/corrections", headers=api.auth("editor")).json() == []


def test_change_feed_follows_writes(api):
    c = api.client
    rev = c.get("/v1/changes?limit=1", headers=api.auth("viewer")).json()["revision"]
    made = c.post("/v1/nodes", json=_place(), headers=api.auth("editor")).json()
    feed = c.get(f"/v1/changes?since={rev}", headers=api.auth("viewer")).json()
    assert [(i["op"], i["entity_id"]) for i in feed["items"]] == [("create", made["id"])]
    assert "actor" not in feed["items"][0] and feed["next"] is None and feed["revision"] == rev + 1
    page = c.get("/v1/audit?since=0&limit=5", headers=api.auth("admin")).json()
    assert len(page["items"]) == 5 and page["next"] == page["items"][-1]["rev"]


def test_oversized_body_is_413_and_bad_json_is_422(api):
    c, ed = api.client, api.auth("editor")
    big = b'{"name": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    r = c.post("/v1/nodes", content=big, headers={**ed, "content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")

    def chunks():
        for _ in range(7):
            yield b"x" * (1024 * 1024)
    r = c.post("/v1/import", content=chunks(), headers={**ed, "content-type": "text/csv"})
    assert r.status_code == 413
    r = c.post("/v1/nodes", content=b"{broken", headers={**ed, "content-type": "application/json"})
    assert r.status_code == 422 and "Traceback" not in r.text
