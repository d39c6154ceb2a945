"""Benchmark of the pages for people: bytes per page, and the time to the first result of a search —
on the server (p50/p95 of the POST that answers the search form) and in a real browser (from pressing
さがす to the results with their map drawn) — with 1 and 8 people searching at once.

Set-up: the seed catalogue with its shipped open data (as `init --seed all`) in a temp file, one person per simultaneous user, ``resourcemap serve`` (uvicorn,
one worker) on loopback. The household is the 府中市 one of issue 11 (白糸台三丁目: 52 ひきこもり・居場所;
80 介護予防・認知症; 34 子育て). Side by side in the same run, as the baseline: ``POST /v1/match`` with the
same household (the JSON API: what the page adds is the form, the cards, the base map and the template).
Server times come from a second process (this script with ``--load``), C keep-alive clients in threads.

    python bench/pages.py                    # 6 s per measurement, 10 browser searches per user
    python bench/pages.py --seconds 4 --write-docs
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from _sections import machine, write_section  # bench/_sections.py (bench/ is on sys.path when run)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "benchmark password 11"
FORM = {"address": "白糸台三丁目", "age0": "52", "needs0": "ひきこもり、居場所", "age1": "80", "needs1": "介護予防、認知症",
        "age2": "34", "needs2": "子育て"}
BODY = {"city": "13206", "location": {"address": "白糸台三丁目"},
        "members": [{"age": 52, "needs": ["ひきこもり", "居場所"]}, {"age": 80, "needs": ["介護予防", "認知症"]},
                    {"age": 34, "needs": ["子育て"]}]}
CHROMIUM = "/usr/bin/chromium"
LAUNCH = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync"]


def setup(folder: Path, users: int) -> tuple[Path, str]:
    from resourcemap.auxdb import AuxDB
    from resourcemap.catalogue import build_catalogue
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.cities import SEED_CITIES
    from resourcemap.keys import KeyRing
    from resourcemap.opendata import Registry, load_seed_open_data
    from resourcemap.people import People

    db = folder / "catalogue.db"
    store = SQLiteStore(db)
    build_catalogue(store, "all")
    aux = AuxDB(db)
    load_seed_open_data(store, Registry(aux), sorted(SEED_CITIES))  # as `init --seed all`: plans + open data
    store.close()
    for i in range(users):
        People(aux).create(f"bench{i}", "viewer", PASSWORD)
    key = KeyRing(aux).create("viewer", "bench")[0]
    aux.close()
    return db, key


def serve(db: Path) -> tuple[subprocess.Popen, str]:
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = db.with_suffix(".log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "resourcemap", "--db", str(db), "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    log.seek(0)
    raise SystemExit("the server did not start:\n" + log.read()[-2000:])


def signed_in(url: str, name: str):
    import httpx

    c = httpx.Client(base_url=url, timeout=60)
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)
    c.post("/login", data={"name": name, "password": PASSWORD, "csrf": token})
    return c


def token_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


# -- bytes per page ------------------------------------------------------------------------------------------
def page_weights(url: str) -> list[tuple[str, int, int]]:
    """(page, HTML bytes, HTML + every /static file it loads), uncompressed, each file counted once per page."""
    c = signed_in(url, "bench0")
    token = token_of(c.get("/pages/13206/match").text)
    pages = {
        "サインイン": lambda: __import__("httpx").get(f"{url}/"),
        "はじめ（市区町村一覧）": lambda: c.get("/"),
        "資源をさがす（フォーム）": lambda: c.get("/pages/13206/match"),
        "検索結果（府中市の世帯）": lambda: c.post("/pages/13206/match", data={**FORM, "csrf": token}),
        "支援会議シート": lambda: c.post("/pages/13206/sheet", data={**FORM, "csrf": token}),
        "資源のページ": lambda: c.get("/pages/resource/fuchu.hub.bunka-shiraitodai"),
        "空白地図": lambda: c.get("/pages/13206/map"),
        "会議資料": lambda: c.get("/pages/13206/report"),
        "多機関協働ネットワーク": lambda: c.get("/pages/13206/network"),
        "API の説明 (/docs)": lambda: c.get("/docs"),
    }
    out = []
    for name, get in pages.items():
        r = get()
        assert r.status_code == 200, (name, r.status_code)
        assets = sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text)))
        extra = sum(len(c.get(a).content) for a in assets)
        out.append((name, len(r.content), len(r.content) + extra))
    c.close()
    return out


# -- server time: the load process ---------------------------------------------------------------------------
def load(url: str, key: str, clients: int, seconds: float) -> dict:
    """Each client signs in as its own person, then posts the search form (and, as baseline, the API) in turns."""
    import httpx

    results: dict[str, list[float]] = {"page": [], "api": []}
    lock = threading.Lock()

    def worker(i: int, what: str, stop: float) -> None:
        if what == "page":
            c = signed_in(url, f"bench{i}")
            data = {**FORM, "csrf": token_of(c.get("/pages/13206/match").text)}
            call = lambda: c.post("/pages/13206/match", data=data)  # noqa: E731
        else:
            c = httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {key}"})
            call = lambda: c.post("/v1/match", json=BODY)  # noqa: E731
        mine = []
        while time.perf_counter() < stop:
            t = time.perf_counter()
            r = call()
            mine.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text[:200]
        with lock:
            results[what] += mine
        c.close()

    for what in ("api", "page", "api", "page"):  # interleaved: neither gets the warmer server
        stop = time.perf_counter() + seconds / 2
        threads = [threading.Thread(target=worker, args=(i, what, stop)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return {what: {"n": len(v), "p50": statistics.median(v) * 1000,
                   "p95": statistics.quantiles(v, n=20)[18] * 1000 if len(v) >= 20 else max(v) * 1000,
                   "rps": len(v) / seconds} for what, v in results.items()}


# -- in the browser ------------------------------------------------------------------------------------------
async def browser_times(url: str, users: int, searches: int) -> list[float]:
    """Per search: ms from pressing さがす to the results and their map being drawn (*users* at once)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH)

        async def one(i: int) -> list[float]:
            context = await browser.new_context()
            page = await context.new_page()
            await page.goto(f"{url}/")
            await page.fill("#name", f"bench{i}")
            await page.fill("#password", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{url}/")
            times = []
            for _ in range(searches):
                await page.goto(f"{url}/pages/13206/match")
                for k, v in FORM.items():
                    if k.startswith(("age2", "needs2")):
                        continue  # the third row stays folded: two members typed, as most searches
                    await page.fill(f"#{k}", v)
                t = time.perf_counter()
                await page.click("#search button[type=submit]")
                await page.wait_for_selector("body[data-search=ready] #result-map .leaflet-marker-icon", state="attached")
                times.append((time.perf_counter() - t) * 1000)
            await context.close()
            return times

        found = await asyncio.gather(*(one(i) for i in range(users)))
        await browser.close()
    return [t for ts in found for t in ts]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--searches", type=int, default=10, help="browser searches per simultaneous user")
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--load", nargs=4, metavar=("URL", "KEY", "CLIENTS", "SECONDS"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.load:
        print(json.dumps(load(a.load[0], a.load[1], int(a.load[2]), float(a.load[3]))))
        return
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        db, key = setup(Path(tmp), 8)
        proc, url = serve(db)
        try:
            weights = page_weights(url)
            server = {n: json.loads(subprocess.run([sys.executable, __file__, "--load", url, key, str(n), str(a.seconds)],
                                                   capture_output=True, text=True, check=True).stdout)
                      for n in (1, 8)}
            browser = {n: asyncio.run(browser_times(url, n, a.searches if n == 1 else max(2, a.searches // 4)))
                       for n in (1, 8)}
        finally:
            proc.terminate()
            proc.wait()
    lines = ["<!-- pages:start -->", "## Pages for people (bench/pages.py)", "",
             f"Machine: {machine()}. Date: {date.today().isoformat()}. One uvicorn worker on loopback; "
             f"the seed catalogue with its shipped open data (`init --seed all`); the 府中市 household of issue 11. `python bench/pages.py --seconds {a.seconds:g}"
             f" --searches {a.searches}`. Load average (1 min) of the machine, which other work shares: "
             f"{load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after it.", "",
             "**Bytes per page** (uncompressed; the page's HTML, then with every `/static` file it loads — a "
             "browser caches those after the first page):", "",
             "| page | HTML | with its static files |", "|---|---:|---:|"]
    lines += [f"| {n} | {h / 1024:,.1f} KiB | {t / 1024:,.1f} KiB |" for n, h, t in weights]
    lines += ["", "**Time to the first result of a search** — server: the POST answering the search form (p50 / p95), "
              "beside `POST /v1/match` for the same household (the baseline, same run, interleaved); browser: "
              "from pressing さがす to the cards and the map drawn (p50 / p95 over all searches):", "",
              "| people at once | page POST p50 / p95 | /v1/match p50 / p95 | page ÷ API (p50) | page requests/s "
              "| in the browser p50 / p95 |", "|---:|---:|---:|---:|---:|---:|"]
    for n in (1, 8):
        s, b = server[n], sorted(browser[n])
        p95 = b[int(0.95 * (len(b) - 1))]
        lines.append(f"| {n} | {s['page']['p50']:.0f} / {s['page']['p95']:.0f} ms | {s['api']['p50']:.0f} / "
                     f"{s['api']['p95']:.0f} ms | {s['page']['p50'] / s['api']['p50']:.2f}× | {s['page']['rps']:.1f} | "
                     f"{statistics.median(b):.0f} / {p95:.0f} ms ({len(b)} searches) |")
    lines += ["", "The page costs more than the API answer by the base map it sends (boundary, areas, 町丁目 names: "
              "the bulk of the results page's HTML) and the cards' template; at 8 people the one worker queues "
              "requests (two cores, shared with the browsers in this run).", "<!-- pages:end -->"]
    section = "\n".join(lines)
    print(section)
    if a.write_docs:
        write_section("pages", section)


if __name__ == "__main__":
    main()
