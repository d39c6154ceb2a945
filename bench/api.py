"""Benchmark of the HTTP API through a real server: requests/s and p50/p95 latency at 5,000 resources.

Set-up: the seed catalogue plus synthetic resources up to 5,000 resource nodes (agency/hub/
place/subsidy_group), each placed at a real 町丁目 point of its municipality (never invented
coordinates), in a temp catalogue; ``resourcemap serve`` (uvicorn, one worker) on loopback;
the load comes from a *second process* (this script re-run with ``--load``): C keep-alive
clients in threads, each endpoint for a fixed time after a warm-up.

Endpoints, side by side in the same run:
- ``GET /health`` — the baseline: the framework and network floor (no key, no store);
- ``GET /v1/nodes?limit=100`` — one page of the catalogue (key check, SQLite, JSON);
- ``GET /v1/nodes?near=…&radius=1000`` — a spatial filter around a 町丁目;
- ``POST /v1/match`` — one household (2 members, 3 needs) at a 町丁目 of 府中市.

    python bench/api.py                      # 5,000 resources, 8 s per endpoint, 4 clients
    python bench/api.py --seconds 4 --write-docs
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from _sections import machine  # bench/_sections.py (bench/ is on sys.path when run)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
START, END = "<!-- api:start -->", "<!-- api:end -->"
KINDS = ("place", "hub", "subsidy_group", "agency")


# -- the catalogue ---------------------------------------------------------------------------
def build(db: Path, resources: int) -> dict:
    """Seeds + synthetic resources at real 町丁目 points until *resources* resource nodes exist."""
    from resourcemap.catalogue import build_catalogue
    from resourcemap.cities import CITIES
    from resourcemap.geo import load_chome
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.model import RESOURCE_KINDS, Node, Targets
    from resourcemap.taxonomy import load_taxonomy

    store = SQLiteStore(db)
    build_catalogue(store, "all")
    have = sum(1 for n in store.query_nodes() if n.kind in RESOURCE_KINDS)
    tax = load_taxonomy()
    leaves = sorted(c.id for c in tax if not tax.children(c.id))
    cities = sorted({n.city for n in store.query_nodes() if n.kind == "municipality"})
    chome = {c: load_chome(c) for c in cities}
    rng = random.Random(5000)
    nodes = []
    for i in range(max(0, resources - have)):
        city = cities[i % len(cities)]
        pt = chome[city][rng.randrange(len(chome[city]))]
        cats = rng.sample(leaves, 2)
        fields = sorted({f for c in cats for f in tax.categories[c].fields}) or ["全世代"]
        nodes.append(Node(id=f"bench.{i:05d}", kind=KINDS[i % len(KINDS)], name=f"{CITIES[city].name}の資源 {i}",
                          city=city, lat=pt.lat, lng=pt.lng, location_precision="chome", categories=cats,
                          targets=Targets(fields=fields), source="public"))
    store.bulk_load(nodes, [], actor="bench")
    total = sum(1 for n in store.query_nodes() if n.kind in RESOURCE_KINDS)
    count = store.count_nodes()
    store.close()
    return {"resources": total, "nodes": count, "synthetic": len(nodes)}


# -- the load (second process) -----------------------------------------------------------------
def _requests(city_points: list[tuple[str, float, float]]) -> dict[str, list[tuple[str, str, dict | None]]]:
    """Per endpoint, a deterministic rotation of (method, path, body)."""
    near = [("GET", f"/v1/nodes?near={lat},{lng}&radius=1000&limit=100", None) for _, lat, lng in city_points[:50]]
    match = [("POST", "/v1/match", {"city": "13206", "location": {"address": town},
                                    "members": [{"age": 45, "needs": ["ひきこもり", "居場所"]},
                                                {"age": 80, "needs": ["介護予防"]}],
                                    "max_distance_m": 2000, "limit": 5}) for town, _, _ in city_points[:50]]
    return {"GET /health": [("GET", "/health", None)],
            "GET /v1/nodes?limit=100": [("GET", "/v1/nodes?limit=100", None)],
            "GET /v1/nodes?near=…&radius=1000": near,
            "POST /v1/match": match}


def _drive(url: str, key: str, reqs: list, seconds: float, clients: int, warmup: float) -> dict:
    """One endpoint: *clients* keep-alive clients for warm-up + *seconds*; latencies after the warm-up."""
    import httpx

    lat_ms: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + warmup + seconds

    def client(offset: int) -> None:
        mine: list[float] = []
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
            i = offset
            while True:
                method, path, body = reqs[i % len(reqs)]
                i += 1
                t0 = time.perf_counter()
                r = c.request(method, path, json=body)
                t1 = time.perf_counter()
                if t1 > stop:
                    break
                if r.status_code != 200:
                    with lock:
                        errors[0] += 1
                if t0 >= stop - seconds:  # after the warm-up
                    mine.append((t1 - t0) * 1000)
        with lock:
            lat_ms.extend(mine)

    threads = [threading.Thread(target=client, args=(k * 7,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat_ms.sort()
    return {"requests": len(lat_ms), "rps": len(lat_ms) / seconds, "errors": errors[0],
            "p50_ms": statistics.median(lat_ms), "p95_ms": lat_ms[int(0.95 * (len(lat_ms) - 1))]}


def load(url: str, key: str, seconds: float, clients: int, warmup: float, points: list) -> dict:
    return {label: _drive(url, key, reqs, seconds, clients, warmup) for label, reqs in _requests(points).items()}


# -- report ------------------------------------------------------------------------------------


def markdown(cat: dict, res: dict, args: argparse.Namespace) -> str:
    base = res["GET /health"]["rps"]
    lines = [START, "## API", "",
             f"Run {date.today().isoformat()} with `python bench/api.py --seconds {args.seconds:g} --clients "
             f"{args.clients}` on {machine()} (shared machine: compare the ratios, measured in the same run).", "",
             f"Catalogue: {cat['resources']:,} resources ({cat['nodes']:,} nodes; the seed catalogue + "
             f"{cat['synthetic']:,} synthetic resources at real 町丁目 points). Server: `resourcemap serve` (uvicorn, "
             f"1 worker) on 127.0.0.1; load: a second process, {args.clients} keep-alive clients, "
             f"{args.warmup:g} s warm-up then {args.seconds:g} s per endpoint; every /v1 request carries a viewer key.",
             "", "| endpoint | requests/s | p50 ms | p95 ms | req/s vs `/health` | non-200 |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, r in res.items():
        lines.append(f"| `{label}` | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['rps'] / base:.2f}× | {r['errors']} |")
    lines += ["", "`GET /health` is the baseline (framework + loopback floor, no key check, no store). Server and "
              "load generator share the 2 cores, so absolute figures are a lower bound.", END]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--resources", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--write-docs", action="store_true", help="update the API section of docs/benchmarks.md")
    ap.add_argument("--load", nargs=2, metavar=("URL", "KEYFILE"), help=argparse.SUPPRESS)  # the second process
    args = ap.parse_args()
    if args.load:
        url, keyfile = args.load
        spec = json.loads(Path(keyfile).read_text())
        print(json.dumps(load(url, spec["key"], args.seconds, args.clients, args.warmup, spec["points"])))
        return

    from resourcemap.geo import load_chome
    from tests.api.conftest import make_keys, start_server, stop_server  # `resourcemap serve` on a free port

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        cat = build(db, args.resources)
        print(f"catalogue: {cat} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        key = make_keys(db, roles=("viewer",))["viewer"]
        points = [(c.town, c.lat, c.lng) for c in load_chome("13206")]
        random.Random(1).shuffle(points)
        spec = Path(tmp) / "load.json"
        spec.write_text(json.dumps({"key": key, "points": points}))
        server = start_server(db, timeout=300)
        try:
            done = subprocess.run([sys.executable, __file__, "--load", server.url, str(spec),
                                   "--seconds", str(args.seconds), "--warmup", str(args.warmup),
                                   "--clients", str(args.clients)], capture_output=True, text=True, check=True)
        finally:
            stop_server(server)
    res = json.loads(done.stdout)
    section = markdown(cat, res, args)
    print(section)
    if args.write_docs:
        from _sections import write_section

        write_section("api", section)


if __name__ == "__main__":
    main()
