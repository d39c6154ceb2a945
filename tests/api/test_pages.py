"""The web pages: a person signs in (name, password, CSRF token); the map, report, network and search render.

Accounts, sessions and CSRF in detail: ``tests/api/test_web_security.py``; the pages in a real browser:
``tests/e2e/test_coordinator_flow.py``.
"""
from __future__ import annotations

import sqlite3

from tests.api.conftest import PASSWORD, form_token, make_people, sign_in


def test_pages_need_a_person_then_render(api):
    people = make_people(api.db)
    c = api.client
    start = c.get("/")
    assert start.status_code == 200 and "パスワード" in start.text and "府中市" not in start.text
    assert c.get("/pages/13206/map", follow_redirects=False).status_code == 303
    assert sign_in(c, people["viewer"], "wrong password!!").status_code == 401
    assert sign_in(c, "だれでもない", PASSWORD).status_code == 401
    ok = sign_in(c, people["viewer"])
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
    other = c.get("/pages/27100/match")  # a municipality of Japan this catalogue does not hold: how to add it
    assert other.status_code == 404 and "init --city 27100" in other.text
    assert PASSWORD not in m.text + r.text + n.text
    assert c.post("/logout", data={"csrf": form_token(index.text)}, follow_redirects=False).status_code == 303
    assert c.get("/pages/13206/map", follow_redirects=False).status_code == 303


def test_match_page_finds_resources_and_keeps_nothing(api):
    people = make_people(api.db, roles=("viewer",))
    c = api.client
    sign_in(c, people["viewer"])
    form = c.get("/pages/13206/match")
    assert form.status_code == 200 and "白糸台三丁目" in form.text  # the 町丁目 list offered to the coordinator
    token = form_token(form.text)
    r = c.post("/pages/13206/match", data={"csrf": token, "address": "白糸台三丁目", "age0": "83",
                                           "needs0": "介護予防, 見守り", "max_distance_m": "5000"})
    assert r.status_code == 200 and "支援チーム" in r.text and "介護予防" in r.text
    bad = c.post("/pages/13206/match", data={"csrf": token, "address": "白糸台九丁目", "needs0": "居場所"})
    assert bad.status_code == 422 and "白糸台" in bad.text
    none = c.post("/pages/13206/match", data={"csrf": token, "address": "白糸台三丁目"})
    assert none.status_code == 422
    # the page stored no request: only aggregated rows exist anywhere
    con = sqlite3.connect(api.db)
    tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for t in tables:
        for row in con.execute(f"SELECT * FROM {t}"):
            assert "白糸台九丁目" not in " ".join(map(str, row))
    con.close()
