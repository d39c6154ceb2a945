"""``GET /v1/nodes`` pages are kept per store revision (``AppState.node_pages``): a kept page must never hide a
write — through the API, or by another process writing the same catalogue — and a bad request is an error
every time."""
from __future__ import annotations

from resourcemap.graph.stores.sqlite import SQLiteStore


def _page(api, query: str) -> dict:
    r = api.client.get(f"/v1/nodes?{query}", headers=api.auth("viewer"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    return r.json()


def test_a_write_through_the_api_is_listed_at_once(api):
    query = "kind=agency&city=13206&limit=5"
    first = _page(api, query)["items"][0]
    assert _page(api, query)["items"][0] == first  # asked again: the same page
    r = api.client.patch(f"/v1/nodes/{first['id']}", json={"phone": "042-360-9999"},
                         headers=api.auth("editor", **{"If-Match": f'"{first["version"]}"'}))
    assert r.status_code == 200
    again = _page(api, query)["items"][0]
    assert again["id"] == first["id"] and again["phone"] == "042-360-9999" and again["version"] == first["version"] + 1


def test_a_write_by_another_process_is_listed_at_once(api):
    query = "kind=agency&city=13206&limit=5"
    first = _page(api, query)["items"][0]
    other = SQLiteStore(api.db, create=False)  # another writer on the same catalogue (a CLI import, a second worker)
    try:
        node = other.get_node(first["id"])
        other.update_node(node.model_copy(update={"name": node.name + "（本所）"}), expected_version=node.version,
                          actor="other-process")
    finally:
        other.close()
    assert _page(api, query)["items"][0]["name"] == first["name"] + "（本所）"


def test_a_kept_page_equals_the_page_read_afresh(api):
    query = "limit=50&cursor="
    kept = _page(api, "limit=50")
    state = api.client.app.state.services
    state.node_pages = type(state.node_pages)(size=1)  # forget every kept page: the next read is a fresh one
    assert _page(api, "limit=50") == kept
    nxt = _page(api, query + kept["next"])
    assert nxt["items"][0]["id"] > kept["items"][-1]["id"]


def test_a_bad_request_is_an_error_every_time(api):
    for _ in range(2):
        r = api.client.get("/v1/nodes?cursor=%%%", headers=api.auth("viewer"))
        assert r.status_code == 422
        r = api.client.get("/v1/nodes?radius=100", headers=api.auth("viewer"))
        assert r.status_code == 422
