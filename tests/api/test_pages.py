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


def test_match_page_finds_resources_and_keeps_nothing(api):
    c = api.client
    c.post("/login", data={"key": api.keys["viewer"]})
    form = c.get("/pages/13206/match")
    assert form.status_code == 200 and "白糸台三丁目" in form.text  # the 町丁目 list offered to the coordinator
    r = c.post("/pages/13206/match", data={"address": "白糸台三丁目", "age0": "83", "needs0": "介護予防, 見守り",
                                           "max_distance_m": "5000"})
    assert r.status_code == 200 and "支援チーム" in r.text and "介護予防" in r.text
    bad = c.post("/pages/13206/match", data={"address": "白糸台九丁目", "needs0": "居場所"})
    assert bad.status_code == 422 and "白糸台" in bad.text
    none = c.post("/pages/13206/match", data={"address": "白糸台三丁目"})
    assert none.status_code == 422
    # the page used the same counters as the API and stored no request: only aggregated rows exist
    import sqlite3

    con = sqlite3.connect(api.db)
    tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for t in tables:
        for row in con.execute(f"SELECT * FROM {t}"):  # noqa: S608 - table names from sqlite_master
            assert "白糸台九丁目" not in " ".join(map(str, row))
    con.close()
