"""Benchmark of the HSDS API (/hsds/) through a real server, against ``GET /health`` of the same server.

Set-up: the benchmark catalogue of ``bench/api.py`` (the seeds plus synthetic resources at real
町丁目 points up to 5,000 resources, all active, so all public), ``resourcemap serve`` on loopback,
the load from a second process (``bench/_load.py``); no key (the directory is public).

Endpoints, side by side in the same run:
- ``GET /health`` — the baseline (framework and loopback floor);
- ``GET /hsds/services?per_page=50`` — a page of list items, rotating over every page;
- ``GET /hsds/services/{id}`` — one full service (organization, program, location, terms), rotating over all;
- ``GET /hsds/service_at_locations?postcode=…&proximity=1000`` — a proximity page around a 町丁目 of 府中市.

Before the load, in process: how long the directory of one revision takes to build (the first request
after any write pays it) and to build every full service object once.

    python bench/hsds.py                      # 5,000 resources, 8 s per endpoint, 4 clients
    python bench/hsds.py --seconds 4 --write-docs
"""
from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from _load import Requests, arguments, catalogue, measure, table  # bench/ is on sys.path when run
from _sections import machine

START, END = "<!-- hsds:start -->", "<!-- hsds:end -->"


def directory_costs(db: Path, runs: int = 3) -> dict:
    """Median seconds to build one revision's directory, and then every full service object of it."""
    from resourcemap.graph.readmodel import ReadModel
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.hsds.directory import PublicDirectory

    store = SQLiteStore(db, create=False)
    rm = ReadModel(store, follow=False)
    build, objects = [], []
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            d = PublicDirectory(rm, [e for e in store.query_edges(include_deleted=True) if e.deleted])
            t1 = time.perf_counter()
            for node_id in d.services:
                d.service(node_id)
            build.append(t1 - t0)
            objects.append(time.perf_counter() - t1)
    finally:
        store.close()
    return {"build_s": statistics.median(build), "objects_s": statistics.median(objects), "services": len(d.services)}


def _requests(db: Path) -> Requests:
    from resourcemap.cities import CITIES
    from resourcemap.geo import load_chome
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.hsds.directory import is_public_service
    from resourcemap.hsds.mapping import hsds_id

    store = SQLiteStore(db, create=False)
    try:
        ids = [hsds_id("service", n.id) for n in store.query_nodes() if is_public_service(n)]
    finally:
        store.close()
    random.Random(7).shuffle(ids)
    pages = math.ceil(len(ids) / 50)
    towns = [c.town for c in load_chome("13206")]
    random.Random(1).shuffle(towns)
    return {"GET /health": [("GET", "/health", None)],
            "GET /hsds/services?per_page=50": [("GET", f"/hsds/services?per_page=50&page={p}", None)
                                              for p in range(1, pages + 1)],
            "GET /hsds/services/{id}": [("GET", f"/hsds/services/{i}", None) for i in ids],
            "GET /hsds/service_at_locations?postcode=…&proximity=1000": [
                ("GET", f"/hsds/service_at_locations?postcode={CITIES['13206'].name}{t}&proximity=1000&per_page=50",
                 None) for t in towns[:50]]}


def markdown(cat: dict, costs: dict, res: dict, args: argparse.Namespace) -> str:
    lines = [START, "## HSDS API", "",
             f"Run {date.today().isoformat()} with `python bench/hsds.py --seconds {args.seconds:g} --clients "
             f"{args.clients}` on {machine()} (shared machine: compare the ratios, measured in the same run).", "",
             f"Catalogue: {cat['resources']:,} resources, all active, so {costs['services']:,} public services "
             f"({cat['nodes']:,} nodes; the seed catalogue + {cat['synthetic']:,} synthetic resources at real 町丁目 "
             f"points). Server: `resourcemap serve` (uvicorn, 1 worker) on 127.0.0.1; load: a second process, "
             f"{args.clients} keep-alive clients, {args.warmup:g} s warm-up then {args.seconds:g} s per endpoint; "
             "no key (the directory is public). Pages rotate over every page, ids over every service.",
             "", *table(res),
             "", f"In process (medians of 3): the directory of one revision builds in {costs['build_s'] * 1000:.0f} ms "
             f"(paid by the first request after a write); building all {costs['services']:,} full service objects "
             f"once takes {costs['objects_s'] * 1000:.0f} ms (then each is kept until the next write).",
             "`GET /health` is the baseline (framework + loopback floor, no store). Server and load generator share "
             "the 2 cores, so absolute figures are a lower bound.", END]
    return "\n".join(lines)


def main() -> None:
    args = arguments(__doc__, "HSDS")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        cat = catalogue(db, args.resources)
        costs = directory_costs(db)
        res = measure(db, _requests(db), key=None, seconds=args.seconds, clients=args.clients, warmup=args.warmup)
    section = markdown(cat, costs, res, args)
    print(section)
    if args.write_docs:
        from _sections import write_section

        write_section("hsds", section)


if __name__ == "__main__":
    main()
