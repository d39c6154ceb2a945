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

With ``--workers 1 2`` every run also serves the same catalogue with ``serve --workers 2`` and
loads it the same way (1 vs 2 workers side by side); ``--repeat 3`` gives medians of 3 runs.

    python bench/api.py                      # 5,000 resources, 8 s per endpoint, 4 clients
    python bench/api.py --seconds 5 --repeat 3 --workers 1 2 --write-docs
"""
from __future__ import annotations

import argparse
import os
import random
import tempfile
from datetime import date
from pathlib import Path

from _load import Requests, arguments, catalogue, measure, medians, table  # bench/ is on sys.path when run
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
def markdown(cat: dict, res: dict[int, dict], args: argparse.Namespace, load: str) -> str:
    lines = [START, "## API", "",
             f"Run {date.today().isoformat()} with `python bench/api.py --seconds {args.seconds:g} --clients "
             f"{args.clients} --repeat {args.repeat} --workers {' '.join(map(str, args.workers))}` on {machine()} "
             f"(shared machine, {load}: compare the ratios, measured in the same run).", "",
             f"Catalogue: {cat['resources']:,} resources ({cat['nodes']:,} nodes; the seed catalogue + "
             f"{cat['synthetic']:,} synthetic resources at real 町丁目 points). Server: `resourcemap serve` (uvicorn) "
             f"on 127.0.0.1; load: a second process, {args.clients} keep-alive clients, "
             f"{args.warmup:g} s warm-up then {args.seconds:g} s per endpoint; every /v1 request carries a viewer key. "
             f"Figures are medians of {args.repeat} runs (a fresh server each); the ratio column also lists each "
             "run's own ratio. Server CPU ms/request = the server's CPU time during an endpoint's run / the requests "
             "it answered (the figure the other work on the machine disturbs least)."]
    for workers, r in res.items():
        lines += ["", f"### {workers} worker{'s' if workers > 1 else ''}", "", *table(r)]
    if len(res) > 1:
        one = res[min(res)]
        lines += ["", "### 1 vs more workers (same runs)", "",
                  "| endpoint | " + " | ".join(f"req/s, {w} worker{'s' if w > 1 else ''}" for w in res) +
                  f" | {max(res)} / {min(res)} |", "|---|" + "---:|" * (len(res) + 1)]
        for label in one:
            figures = " | ".join(f"{res[w][label]['rps']:.0f}" for w in res)
            lines.append(f"| `{label}` | {figures} | {res[max(res)][label]['rps'] / one[label]['rps']:.2f}× |")
    lines += ["", "`GET /health` is the baseline (framework + loopback floor, no key check, no store). Server and "
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
        runs: dict[int, list] = {w: [] for w in args.workers}
        load0 = os.getloadavg()[0]
        for _ in range(args.repeat):
            for w in args.workers:
                runs[w].append(measure(db, _requests(points), key=key, seconds=args.seconds, clients=args.clients,
                                       warmup=args.warmup, workers=w))
        res = {w: medians(r) for w, r in runs.items()}
        load = f"load average {load0:.1f} → {os.getloadavg()[0]:.1f} from other work on 2 cores"
    section = markdown(cat, res, args, load)
    print(section)
    if args.write_docs:
        from _sections import write_section

        write_section("api", section)


if __name__ == "__main__":
    main()
