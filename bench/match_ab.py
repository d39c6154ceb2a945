"""Two checkouts' matchers side by side, in process: CPU time per household match, and the same answers.

Why: the matcher's cost is best seen without the server around it, and on a shared machine only
figures taken at the same moment compare. Each checkout (``--base``, e.g. a clone at the commit
before a change, and this one) runs in its own process over a copy of the same catalogue
(``bench/api.py``'s: seeds + synthetic resources at real 町丁目 points), alternating, ``--rounds``
times. A process matches the households once on a fresh read model (*cold*: every point new, nothing
kept for the revision yet), then again ``--passes`` times (*warm*), and reports the CPU time per match
of each. The households are ``bench/api.py``'s 50 (an address in 府中市, 2 members, 3 needs) and 20
located by lat/lng (a synonym, session times, given 分野), and every answer of both checkouts must be
byte-identical (the run stops otherwise).

    git clone -q . /tmp/base && git -C /tmp/base checkout -q <commit>
    python bench/match_ab.py --base /tmp/base [--rounds 3] [--passes 6] [--address-only]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def households(address_only: bool = False) -> list[dict]:
    from resourcemap.geo import load_chome

    points = [(c.town, c.lat, c.lng) for c in load_chome("13206")]
    random.Random(1).shuffle(points)  # the order bench/api.py uses
    by_address = [{"city": "13206", "location": {"address": town},
                   "members": [{"age": 45, "needs": ["ひきこもり", "居場所"]}, {"age": 80, "needs": ["介護予防"]}],
                   "max_distance_m": 2000, "limit": 5} for town, _, _ in points[:50]]
    by_point = [{"city": "13206", "location": {"lat": lat, "lng": lng},
                 "members": [{"age": 17, "needs": ["学習支援", "8050", "子育て"],
                              "times": [{"day": "SA", "start": "10:00", "end": "12:00"}]},
                             {"age": 70, "needs": ["認知症"], "fields": ["障害"]}],
                 "max_distance_m": 3000, "limit": 3} for _, lat, lng in points[50:70]]
    return by_address if address_only else by_address + by_point


def worker(db: Path, out: Path, passes: int, address_only: bool) -> None:
    """In the checkout's own process: answers to *out*, CPU ms per match (cold, warm) on stdout."""
    from resourcemap.graph.readmodel import ReadModel
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.match import MatchRequest, match_household
    from resourcemap.taxonomy import load_taxonomy

    load_taxonomy()  # parsed once per process (a server does it at start-up)
    rm = ReadModel(SQLiteStore(db), follow=False)
    reqs = [MatchRequest.model_validate(b) for b in households(address_only)]
    t0 = time.process_time()
    answers = [match_household(rm, r, now=NOW) for r in reqs]
    cold = (time.process_time() - t0) / len(reqs) * 1000
    out.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    t0 = time.process_time()
    for _ in range(passes):
        for r in reqs:
            match_household(rm, r, now=NOW)
    warm = (time.process_time() - t0) / (passes * len(reqs)) * 1000
    print(json.dumps({"cold_ms": cold, "warm_ms": warm}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=Path, help="the other checkout (its own resourcemap/)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--passes", type=int, default=6, help="warm passes over the households per process")
    ap.add_argument("--resources", type=int, default=5000)
    ap.add_argument("--address-only", action="store_true",
                    help="only the 50 households by address (the ones bench/api.py and bench/ab.py send)")
    ap.add_argument("--worker", nargs=2, type=Path, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        sys.path.insert(0, os.getcwd())  # the checkout this process was started in
        worker(*args.worker, args.passes, args.address_only)
        return
    if args.base is None:
        ap.error("--base is required")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from _load import build_catalogue
    from _sections import machine

    sides = {"base": args.base.resolve(), "this": ROOT}
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        build_catalogue(db, args.resources)
        for _ in range(args.rounds):
            answers = {}
            for side, checkout in sides.items():
                out = Path(tmp) / f"{side}.json"
                env = {**os.environ, "PYTHONPATH": str(checkout)}
                env.pop("RESOURCEMAP_STORE", None)
                done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(db), str(out),
                                       "--passes", str(args.passes),
                                       *(["--address-only"] if args.address_only else [])], cwd=checkout, env=env, check=True,
                                      capture_output=True, text=True)
                runs[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
                answers[side] = out.read_bytes()
            if answers["base"] != answers["this"]:
                sys.exit("the two checkouts answer differently: not a like-for-like comparison")
    load = f"load average {load0:.1f} → {os.getloadavg()[0]:.1f}"
    print(f"In process on {machine()} ({load}): {len(households(args.address_only))} households, {args.rounds} rounds alternating "
          f"base and this; cold = the first pass on a fresh read model, warm = {args.passes} more passes; CPU time "
          f"per match, medians (runs). Answers byte-identical in every round.\n")
    print("| | base ms | this ms | this / base |")
    print("|---|---:|---:|---:|")
    for key, label in (("cold_ms", "cold (every point new)"), ("warm_ms", "warm")):
        b = [r[key] for r in runs["base"]]
        t = [r[key] for r in runs["this"]]
        print(f"| {label} | {statistics.median(b):.2f} ({', '.join(f'{x:.2f}' for x in b)}) | "
              f"{statistics.median(t):.2f} ({', '.join(f'{x:.2f}' for x in t)}) | "
              f"{statistics.median(t) / statistics.median(b):.2f}× |")


if __name__ == "__main__":
    main()
