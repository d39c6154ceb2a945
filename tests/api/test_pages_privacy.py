"""The pages keep the privacy promise of ``POST /v1/match`` (``test_match_api.test_privacy_nothing_but_counters``):
a coordinator's searches, with unique markers in every field of the form, reach no file, no log line and no
other response — and 「未充足として記録」 adds exactly the aggregated cells, once.

The server runs as uvicorn with the access log on and every logger at DEBUG (``logged_server``); a person
signs in with httpx as a browser does (the sign-in page's token and cookie).
"""
from __future__ import annotations

import re
import sqlite3
import time
import uuid

import httpx

from tests.api.conftest import PASSWORD, form_token, logged_server, make_keys, make_people
from tests.conftest import copy_catalogue


def _rows(db) -> dict[str, set[tuple]]:
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: set(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables}
    finally:
        con.close()


def test_searches_on_the_pages_leave_nothing_but_counters(seeded_db, tmp_path):
    db = copy_catalogue(seeded_db, tmp_path / "catalogue.db")
    people, keys = make_people(db, roles=("viewer",)), make_keys(db, roles=("admin",))
    with logged_server(db, tmp_path) as (url, log_path), httpx.Client(base_url=url) as c:
        c.post("/login", data={"name": people["viewer"], "password": PASSWORD,
                               "csrf": form_token(c.get("/").text)})
        token = form_token(c.get("/pages/13206/match").text)
        before = _rows(db)
        markers: list[str] = []
        ages = list(range(101, 131))
        recorded = 0
        for i in range(6):
            tag = f"MK{uuid.uuid4().hex[:10]}"
            house = f"{7000 + i}番{300 + i}号"
            markers += [tag, house, f"ニーズ{tag}"]
            form = {"csrf": token, "address": f"白糸台三丁目{house} {tag}", "age0": str(ages[i]),
                    "needs0": "居場所、ヤングケアラー", "field0": f"分野{tag}", "age1": str(ages[-1 - i]),
                    "needs1": "介護予防", "speed": f"9{tag}", "open_from": f"10:{tag}", "day_MO": tag,
                    "max_distance_m": "1" if i % 2 else "2000", "limit": f"3{tag}", "replace": f"{tag}\t居場所"}
            found = c.post("/pages/13206/match", data=form)
            assert found.status_code == 200, found.text[:500]
            assert tag not in re.sub(r'value="[^"]*"', "", found.text)  # only the form gives its own values back
            sheet = c.post("/pages/13206/sheet", data=form)
            assert sheet.status_code == 200 and tag not in sheet.text and house not in sheet.text
            assert not re.search(rf"(?<!\d){ages[i]}(?!\d)", re.sub(r"<[^>]+>", " ", sheet.text))  # no age on the sheet
            refused = c.post("/pages/13206/match", data={**form, "needs0": f"ニーズ{tag}"})
            assert refused.status_code == 422
            cells = re.findall(r'name="(cell\d+)" value="([^"]+)"', found.text)
            assert cells
            rec = c.post("/pages/13206/unmet", data={"csrf": token, "chome": "白糸台三丁目",
                                                     "area_id": re.search(r'name="area_id" value="([^"]*)"',
                                                                          found.text).group(1),
                                                     **dict(cells)}, follow_redirects=False)
            assert rec.status_code == 303
            recorded += len(cells)
        counts = httpx.get(f"{url}/v1/unmet", params={"city": "13206"},
                           headers={"Authorization": f"Bearer {keys['admin']}"}).json()
        assert counts["total"] == recorded  # each recorded once; the searches themselves counted nothing
        texts = [c.get(p).text for p in ("/", "/pages/13206/report", "/pages/13206/map",
                                         "/pages/resource/fuchu.hub.bunka-shiraitodai")]
        after = _rows(db)
        changed = {t for t in after if after[t] != before.get(t, set())}
        assert changed <= {"match_unmet"}, changed
        assert all(not (set(row) & set(ages)) for row in after["match_unmet"])
        time.sleep(0.5)
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and p.name != "server.log")
        log_text = log_path.read_text(encoding="utf-8", errors="replace")
        assert "POST /pages/13206/match" in log_text, "the log was captured"
        for m in markers:
            assert m.encode() not in raw, f"{m} found in the database files"
            assert m not in log_text, f"{m} found in the server log"
            assert all(m not in t for t in texts), f"{m} found in another page"
        no_addresses = re.sub(r"\d+\.\d+\.\d+\.\d+(:\d+)?|\[\d+\]", "", log_text)
        assert not re.search(r"\b(1[01]\d|12\d|130)\b", no_addresses), "an age in the log"
