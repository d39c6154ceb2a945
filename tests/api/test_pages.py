"""The web pages: a key is needed (cookie after /login); the map, report and network render."""
from __future__ import annotations


def test_pages_need_a_key_then_render(api):
    c = api.client
    start = c.get("/")
    assert start.status_code == 200 and "API キー" in start.text and "府中市" not in start.text
    assert c.get("/pages/13206/map", follow_redirects=False).status_code == 303
    bad = c.post("/login", data={"key": "rmk_000000000000_nope"}, follow_redirects=False)
    assert bad.status_code == 401
    ok = c.post("/login", data={"key": api.keys["viewer"]}, follow_redirects=False)
    assert ok.status_code == 303 and "httponly" in ok.headers["set-cookie"].lower()
    index = c.get("/")
    for name in ("府中市", "入間市", "甲州市", "武蔵村山市", "福生市"):
        assert name in index.text
    m = c.get("/pages/府中市/map")
    assert m.status_code == 200 and "leaflet" in m.text.lower() and "府中市" in m.text
    r = c.get("/pages/13206/report")
    assert r.status_code == 200 and "白糸台" in r.text and "多機関協働ネットワーク" in r.text
    n = c.get("/pages/13218/network")
    assert n.status_code == 200 and "福生市" in n.text
    assert c.get("/pages/大阪市/map").status_code == 404
    assert api.keys["viewer"] not in m.text + r.text + n.text
    c.post("/logout")
    assert c.get("/pages/13206/map", follow_redirects=False).status_code == 303
