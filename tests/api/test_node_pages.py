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


# -- pages built from each node's kept JSON (AppState.node_json) ---------------------------------------------------
def _read_whole(store, **filters) -> bytes:
    """The page as the route built it before nodes were kept: one read of the store, the whole page encoded."""
    from datetime import date

    import orjson

    from api.routes.nodes import encode_cursor
    from resourcemap.freshness import freshness_since
    from resourcemap.queries import list_public_nodes

    limit = filters.pop("limit")
    nodes = list_public_nodes(store, **filters, limit=limit + 1)
    shown = nodes[:limit]
    nxt = encode_cursor(shown[-1]["id"]) if len(nodes) > limit and shown else None
    items = [{**n, **freshness_since(n["verified_at"], date.today())} for n in shown]
    return orjson.dumps({"items": items, "next": nxt}, option=orjson.OPT_NON_STR_KEYS)


def _raw(api, params: dict) -> bytes:
    r = api.client.get("/v1/nodes", params=params, headers=api.auth("viewer"))
    assert r.status_code == 200, r.text
    return r.content


def test_a_page_from_kept_nodes_is_byte_for_byte_the_page_read_whole(api):
    """After writes, with every node's JSON kept from earlier pages, each page is the same bytes as the page
    read and encoded whole — order, cursor, freshness, deleted nodes — for every kind of filter."""
    state = api.client.app.state.services
    store = state.store
    from resourcemap.geo import load_chome

    town = load_chome("13206")[5]
    first = _page(api, "limit=30")
    cursor = first["next"]
    cases = [({"limit": 30}, {}), ({"limit": 30, "cursor": cursor}, {"after": first["items"][-1]["id"]}),
             ({"limit": 40, "category": "ibasho"}, {"category": "ibasho"}),
             ({"limit": 20, "kind": "agency", "city": "13206"}, {"kind": "agency", "city": "13206"}),
             ({"limit": 100, "near": f"{town.lat},{town.lng}", "radius": 1500},
              {"near": (town.lat, town.lng, 1500.0)}),
             ({"limit": 500, "include_deleted": "true"}, {"include_deleted": True})]
    for params, _ in cases:
        _raw(api, params)  # every node of these pages is kept now
    node = first["items"][3]
    r = api.client.patch(f"/v1/nodes/{node['id']}", json={"description": "書き換えた説明"},
                         headers=api.auth("editor", **{"If-Match": f'"{node["version"]}"'}))
    assert r.status_code == 200
    gone = first["items"][4]
    r = api.client.delete(f"/v1/nodes/{gone['id']}", headers=api.auth("editor", **{"If-Match": f'"{gone["version"]}"'}))
    assert r.status_code == 200
    for params, filters in cases:
        assert _raw(api, params) == _read_whole(store, limit=params["limit"], **filters), params
    page = _page(api, "limit=30")
    assert page["items"][3]["description"] == "書き換えた説明" and gone["id"] not in [n["id"] for n in page["items"]]
    deleted = [n for n in _page(api, "limit=500&include_deleted=true")["items"] if n["id"] == gone["id"]]
    assert deleted and deleted[0]["deleted"] is True


def test_a_kept_node_is_encoded_again_at_its_new_version(api):
    """A page kept before a write, every node kept too: the next read shows the write (a memo that ignored
    the version would show the old text), and only the written node is read again."""
    state = api.client.app.state.services
    store = state.store
    page = _page(api, "limit=20")
    assert _page(api, "limit=20") == page  # kept
    node = page["items"][7]
    fetched: list[list[str]] = []
    read = store.get_public_nodes
    store.get_public_nodes = lambda ids: fetched.append(list(ids)) or read(ids)  # counts reads, reads for real
    try:
        r = api.client.patch(f"/v1/nodes/{node['id']}", json={"description": "新しい説明"},
                             headers=api.auth("editor", **{"If-Match": f'"{node["version"]}"'}))
        assert r.status_code == 200
        after = _page(api, "limit=20")
    finally:
        del store.get_public_nodes
    assert after["items"][7]["description"] == "新しい説明" and after["items"][7]["version"] == node["version"] + 1
    assert [n for i, n in enumerate(after["items"]) if i != 7] == [n for i, n in enumerate(page["items"]) if i != 7]
    assert fetched == [[node["id"]]]


def test_a_node_written_between_listing_and_reading_is_shown_as_written(api):
    """Another process writes a listed node after the route listed the versions and before it read the node:
    the page is read whole instead (never the listed version's text under the new version, never kept)."""
    state = api.client.app.state.services
    store = state.store
    page = _page(api, "kind=agency&city=13206&limit=10")
    target = page["items"][2]
    state.node_json = type(state.node_json)(size=100)  # nothing kept: the route must read the listed nodes
    listing = store.query_node_versions

    def list_then_write(query):
        listed = listing(query)
        other = SQLiteStore(api.db, create=False)
        try:
            node = other.get_node(target["id"])
            other.update_node(node.model_copy(update={"name": "割り込んだ名前"}), expected_version=node.version,
                              actor="other-process")
        finally:
            other.close()
        return listed

    store.query_node_versions = list_then_write
    try:
        raced = _page(api, "kind=agency&city=13206&limit=11")  # not a kept page
    finally:
        del store.query_node_versions
    shown = next(n for n in raced["items"] if n["id"] == target["id"])
    assert shown["name"] == "割り込んだ名前" and shown["version"] == target["version"] + 1
    assert target["id"] not in state.node_json._items  # the refused page kept nothing
    again = _page(api, "kind=agency&city=13206&limit=11")
    assert next(n for n in again["items"] if n["id"] == target["id"]) == shown


def test_node_encodings_are_kept_per_version_and_day_within_their_bound():
    from api.state import NodeEncodings

    reads: list[list[str]] = []

    def fetch(ids):
        reads.append(list(ids))
        return {i: (versions[i], f"{i}@{versions[i]}".encode()) for i in ids}

    versions = {"a": 1, "b": 1, "c": 1}
    memo = NodeEncodings(size=2)
    assert memo.get([("a", 1), ("b", 1)], "d1", fetch) == [b"a@1", b"b@1"]
    assert memo.get([("a", 1), ("b", 1)], "d1", fetch) == [b"a@1", b"b@1"] and reads == [["a", "b"]]
    versions["a"] = 2
    assert memo.get([("a", 2), ("b", 1)], "d1", fetch) == [b"a@2", b"b@1"] and reads[-1] == ["a"]
    assert memo.get([("a", 2)], "d2", fetch) == [b"a@2"] and reads[-1] == ["a"]  # another day: encoded again
    assert memo.get([("c", 1)], "d2", fetch) == [b"c@1"] and len(memo._items) == 2  # bound: LRU "b" left
    assert memo.get([("b", 1)], "d2", fetch) == [b"b@1"] and reads[-1] == ["b"]
    assert memo.get([("a", 1)], "d2", fetch) is None  # listed at a version the store no longer has
