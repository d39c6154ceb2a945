"""Benchmark of the HTTP API through a real server: requests/s and p50/p95 latency at 5,000 resources.

Set-up: the seed catalogue plus synthetic resources up to 5,000 resource nodes (agency/hub/
place/subsidy_group), each placed at a real 町丁目 point of its municipality (never invented
coordinates), in a temp catalogue; ``resourcemap serve`` (uvicorn, one worker) on loopback;
the load comes from a *second process* (``bench/_load.py``, shared with ``bench/hsds.py``): C
keep-alive clients in threads, each endpoint for a fixed time after a warm-up.

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
import random
import tempfile
from datetime import date
from pathlib import Path

from _load import Requests, arguments, catalogue, measure, table  # bench/ is on sys.path when run
from _sections import machine

START, END = "<!-- api:start -->", "<!-- api:end -->"


def _requests(city_points: list[tuple[str, float, float]]) -> Requests:
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


# -- report ------------------------------------------------------------------------------------
def markdown(cat: dict, res: dict, args: argparse.Namespace) -> str:
    lines = [START, "## API", "",
             f"Run {date.today().isoformat()} with `python bench/api.py --seconds {args.seconds:g} --clients "
             f"{args.clients}` on {machine()} (shared machine: compare the ratios, measured in the same run).", "",
             f"Catalogue: {cat['resources']:,} resources ({cat['nodes']:,} nodes; the seed catalogue + "
             f"{cat['synthetic']:,} synthetic resources at real 町丁目 points). Server: `resourcemap serve` (uvicorn, "
             f"1 worker) on 127.0.0.1; load: a second process, {args.clients} keep-alive clients, "
             f"{args.warmup:g} s warm-up then {args.seconds:g} s per endpoint; every /v1 request carries a viewer key.",
             "", *table(res),
             "", "`GET /health` is the baseline (framework + loopback floor, no key check, no store). Server and "
             "load generator share the 2 cores, so absolute figures are a lower bound.", END]
    return "\n".join(lines)


def main() -> None:
    args = arguments(__doc__, "API")
    from resourcemap.geo import load_chome
    from tests.api.conftest import make_keys

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        cat = catalogue(db, args.resources)
        key = make_keys(db, roles=("viewer",))["viewer"]
        points = [(c.town, c.lat, c.lng) for c in load_chome("13206")]
        random.Random(1).shuffle(points)
        res = measure(db, _requests(points), key=key, seconds=args.seconds, clients=args.clients, warmup=args.warmup)
    section = markdown(cat, res, args)
    print(section)
    if args.write_docs:
        from _sections import write_section

        write_section("api", section)


if __name__ == "__main__":
    main()
