"""Accounts, sessions, CSRF, lock-out and headers of the pages for people (issue 11, item 1).

* A form post without its token, with a wrong one, or from another site (``Origin``/``Sec-Fetch-Site``) is
  refused with 403 and changes nothing — sign-in (login CSRF) and sign-out included.
* The cookie holds a random session id, never a key or a name; the server keeps only its hash; sign-out
  ends the session on the server (the old cookie opens nothing); disabling a person ends their sessions.
* Repeated failed sign-ins from one address are refused (429) for a while; the same person signs in from
  another address at once (an attacker cannot lock a real user out), and the wait drains.
* Every response carries the security headers; the CSP allows no inline script; /docs loads nothing from
  outside.
* A change made on a page is in the audit log under the person's name.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import replace

import pytest

from api.ratelimit import FailureLimiter
from resourcemap.config import AuthLimits
from resourcemap.errors import InputError
from resourcemap.people import People
from tests.api.conftest import PASSWORD, build_app, form_token, make_people, sign_in

NODE = "fuchu.hub.bunka-chuo"


@pytest.fixture
def web(seeded_copy):
    from fastapi.testclient import TestClient

    people = make_people(seeded_copy)
    with TestClient(build_app(seeded_copy)) as client:
        yield client, people, seeded_copy


def _reports(db) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM corrections").fetchone()[0]
    finally:
        con.close()


def test_form_posts_need_their_token_and_this_site(web):
    c, people, db = web
    sign_in(c, people["editor"])
    page = c.get(f"/pages/resource/{NODE}")
    token = form_token(page.text)
    body = {"field": "phone", "message": "電話番号が違います"}
    before = _reports(db)
    assert c.post(f"/pages/resource/{NODE}/report", data=body).status_code == 403            # no token
    assert c.post(f"/pages/resource/{NODE}/report", data={**body, "csrf": "x" * 43}).status_code == 403  # wrong
    for header in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        r = c.post(f"/pages/resource/{NODE}/report", data={**body, "csrf": token}, headers=header)
        assert r.status_code == 403 and "別のサイト" in r.text
    assert _reports(db) == before
    ok = c.post(f"/pages/resource/{NODE}/report", data={**body, "csrf": token},
                headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
    assert ok.status_code == 303 and _reports(db) == before + 1
    # every other form of the pages is guarded the same way
    for path in ("/pages/13206/match", "/pages/13206/sheet", "/pages/13206/unmet", f"/pages/resource/{NODE}/edit",
                 "/pages/corrections/1/resolve", "/pages/admin/users", "/logout"):
        assert c.post(path, data={"address": "白糸台三丁目", "needs0": "居場所"}).status_code in (403, 303), path
    assert c.get("/pages/13206/match").status_code == 200  # still signed in: the refused sign-out did nothing


def test_sign_in_has_its_own_token_and_sign_out_ends_the_session(web):
    c, people, db = web
    # login CSRF: a cross-site page cannot sign a victim in as somebody else
    assert c.post("/login", data={"name": people["viewer"], "password": PASSWORD}).status_code == 403
    c.get("/")  # the sign-in page sets the nonce cookie; a token made for another nonce is refused
    assert c.post("/login", data={"name": people["viewer"], "password": PASSWORD,
                                  "csrf": "0" * 64}).status_code == 403
    r = sign_in(c, people["viewer"])
    assert r.status_code == 303
    cookie = c.cookies.get("rm_session")
    assert cookie and len(cookie) >= 40 and people["viewer"] not in r.headers["set-cookie"]
    assert PASSWORD not in r.headers["set-cookie"]
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    con = sqlite3.connect(db)
    stored = [bytes(row[0]) for row in con.execute("SELECT id_hash FROM web_sessions")]
    con.close()
    assert stored and all(cookie.encode() not in s for s in stored)  # only a hash is kept
    home = c.get("/")
    assert c.post("/logout", data={"csrf": form_token(home.text)}, follow_redirects=False).status_code == 303
    c.cookies.set("rm_session", cookie)  # the old cookie, replayed, opens nothing
    assert c.get("/pages/13206/match", follow_redirects=False).status_code == 303


def test_disabling_a_person_ends_their_sessions(web):
    c, people, db = web
    sign_in(c, people["editor"])
    assert c.get("/pages/13206/match").status_code == 200
    from resourcemap.auxdb import AuxDB

    aux = AuxDB(db)
    People(aux).disable(people["editor"])
    aux.close()
    assert c.get("/pages/13206/match", follow_redirects=False).status_code == 303
    assert sign_in(c, people["editor"]).status_code == 401


def test_lock_out_stops_guessing_but_not_the_real_person(seeded_copy):
    from fastapi.testclient import TestClient

    people = make_people(seeded_copy, roles=("viewer",))
    app = build_app(seeded_copy, auth_limits=AuthLimits(per_key=3, per_client=30, window_s=60))
    with TestClient(app, client=("10.0.0.66", 4000)) as attacker, TestClient(app, client=("10.0.0.7", 4001)) as user:
        codes = [sign_in(attacker, people["viewer"], f"guess number {i}").status_code for i in range(5)]
        assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
        locked = sign_in(attacker, people["viewer"])  # even the right password waits, from this address
        assert locked.status_code == 429 and "秒後" in locked.text
        assert sign_in(user, people["viewer"]).status_code == 303  # the real person, elsewhere: at once
    clock = [0.0]
    gate = FailureLimiter(AuthLimits(per_key=3, per_client=30, window_s=60), clock=lambda: clock[0])
    for _ in range(3):
        gate.failed("10.0.0.66", "person:閲覧太郎")
    assert gate.retry_after("10.0.0.66", "person:閲覧太郎") > 0
    clock[0] = 21.0  # the bucket drains: never locked forever
    assert gate.retry_after("10.0.0.66", "person:閲覧太郎") == 0


def test_headers_on_every_response(web):
    c, people, _ = web
    sign_in(c, people["admin"])
    for path in ("/", "/pages/13206/match", "/pages/13206/map", "/pages/13206/network", "/pages/13206/report",
                 f"/pages/resource/{NODE}", "/pages/admin", "/docs", "/health", "/openapi.json", "/static/app.css"):
        r = c.get(path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        scripts = re.search(r"script-src ([^;]+)", csp).group(1)
        assert scripts == "'self'" and "frame-ancestors 'none'" in csp, path
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "same-origin"
        if r.headers["content-type"].startswith("text/html"):
            assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", r.text), \
                f"an inline script on {path}"
            assert "https://" not in " ".join(re.findall(r'(?:src|href)="([^"]*)"', r.text)).replace(
                "https://maps.gsi.go.jp", ""), f"{path} loads something from outside"
    assert c.get("/v1/nodes", headers={}).headers["x-frame-options"] == "DENY"  # a 401 carries them too


def test_a_fix_on_a_page_is_audited_under_the_persons_name(web):
    c, people, _ = web
    sign_in(c, people["editor"])
    page = c.get(f"/pages/resource/{NODE}")
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    data = {"csrf": form_token(page.text), "version": version, "phone": "042-333-1234", "verified": "1"}
    assert c.post(f"/pages/resource/{NODE}/edit", data=data, follow_redirects=False).status_code == 303
    stale = c.post(f"/pages/resource/{NODE}/edit", data={**data, "phone": "042-333-9999"})
    assert stale.status_code == 412 and "ほかの人が" in stale.text  # the version check of the API
    services = c.app.state.services
    last = services.store.changes(since=0, limit=100_000)[-1]
    assert last.actor == people["editor"] and last.entity_id == NODE
    assert last.after["phone"] != last.before["phone"] and last.after["verified_by"] == people["editor"]
    viewer_page = c.get(f"/pages/resource/{NODE}")
    assert "修正する" in viewer_page.text
    c.cookies.clear()
    assert sign_in(c, people["viewer"]).status_code == 303
    assert "修正する" not in c.get(f"/pages/resource/{NODE}").text  # viewers report; editors fix
    viewer_token = form_token(c.get(f"/pages/resource/{NODE}").text)
    assert c.post(f"/pages/resource/{NODE}/edit", data={**data, "csrf": viewer_token}).status_code == 403


def test_people_rules(tmp_path):
    from resourcemap.auxdb import AuxDB

    aux = AuxDB(tmp_path / "aux.db")
    people = People(aux, session_hours=0.0001)
    with pytest.raises(InputError, match="10"):
        people.create("短い人", "viewer", "short")
    with pytest.raises(InputError, match="role"):
        people.create("役割なし", "owner", PASSWORD)
    person = people.create(" 山田　花子 ", "editor", PASSWORD)
    assert person.name == "山田 花子"
    with pytest.raises(InputError, match="既に"):
        people.create("山田 花子", "viewer", PASSWORD)
    row = aux.connection().execute("SELECT hash FROM people").fetchone()[0]
    assert row.startswith("$argon2id$") and PASSWORD not in row
    assert people.check("山田 花子", PASSWORD) is not None and people.check("山田 花子", "wrong" * 3) is None
    sid = people.open_session(person)
    import time

    time.sleep(0.5)  # 0.36 s sessions: expired
    assert people.session(sid) is None
    aux.close()


def test_settings_for_sessions_and_tiles():
    from resourcemap.config import load

    s = load(environ={"RESOURCEMAP_SESSION_HOURS": "2", "RESOURCEMAP_TILES": "gsi"})
    assert s.session_hours == 2 and s.tiles is not None and "地理院タイル" in s.tiles.attribution
    assert load(environ=s.environment()).tiles == s.tiles
    with pytest.raises(InputError, match="RESOURCEMAP_TILES"):
        load(environ={"RESOURCEMAP_TILES": "ftp://x"})
    assert replace(s, tiles=None).tiles is None
