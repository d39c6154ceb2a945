"""The matcher under writes, in process: CPU per match when every match follows a description edit.

Why: in ``bench/soak.py`` 16 % of the requests edit a node's description, so nearly every match meets a
new read-model revision. Before issue 14's fourth round that meant a fresh :class:`MatchContext` (every
per-revision fact rebuilt); now the context is carried over what the edit cannot touch
(``resourcemap/match/context.py``). This loop does what the server does, without the server: one
``update_node`` of a synthetic resource's description through the store (the read model follows it
through the store's subscription, as the server's does), then one match of the soak's household
(two members, 3 needs, at a random 町丁目 of 府中市). Three modes, alternating within each round so their
figures are taken side by side:

- ``fresh``: the context is dropped after each edit (what a write cost before the carry);
- ``carry``: ``context_for`` as it is (the edit's revision carries the previous context);
- ``no-write``: the same matches without edits (the floor: everything kept).

It reports, per mode, the CPU time per match (the median over rounds of each round's mean) and, for
``carry``, the CPU time of the carry itself (the ``context_for`` call after an edit, median).

    python bench/match_carry.py [--rounds 3] [--matches 300] [--resources 5000]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _load import catalogue  # bench/ is on sys.path when run

from resourcemap.geo import load_chome
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.base import NodeQuery
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.match import match_household, parse_request
from resourcemap.match.context import context_for

CITY = "13206"
MODES = ("fresh", "carry", "no-write")


def household(rng: random.Random, towns: list[str]) -> dict:
    """``bench/soak.py``'s match request."""
    return {"city": CITY, "location": {"address": rng.choice(towns)}, "max_distance_m": 2000, "limit": 5,
            "members": [{"age": rng.randint(30, 60), "needs": ["ひきこもり", "居場所"]},
                        {"age": rng.randint(65, 90), "needs": ["介護予防"]}]}


def run(store: SQLiteStore, rm: ReadModel, mode: str, matches: int, seed: int, towns: list[str],
        writable: list[str]) -> dict:
    rng = random.Random(seed)
    match_cpu: list[float] = []
    carry_cpu: list[float] = []
    for k in range(matches):
        if mode != "no-write":
            node = rm.node(rng.choice(writable))
            store.update_node(node.model_copy(update={"description": f"match_carry {mode} {seed} {k}"}),
                              expected_version=node.version, actor="bench")
            if mode == "fresh":
                rm.derived.pop("match", None)
            else:
                t = time.thread_time()
                context_for(rm)
                carry_cpu.append(time.thread_time() - t)
        req = parse_request(household(rng, towns))
        t = time.thread_time()
        match_household(rm, req)
        match_cpu.append(time.thread_time() - t)
    return {"match_ms": 1000 * statistics.fmean(match_cpu),
            "carry_ms": 1000 * statistics.median(carry_cpu) if carry_cpu else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--matches", type=int, default=300, help="matches per mode and round")
    ap.add_argument("--resources", type=int, default=5000)
    args = ap.parse_args()
    towns = [c.town for c in load_chome(CITY) if not c.koaza]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "catalogue.db"
        catalogue(db, args.resources)
        store = SQLiteStore(db)
        rm = ReadModel(store)
        writable = sorted(n.id for n in store.query_nodes(NodeQuery()) if n.id.startswith("bench."))
        for town in towns:  # warm: every 町丁目's streams and areas once, as a running server has
            match_household(rm, parse_request(household(random.Random(0), [town])))
        figures: dict[str, list[dict]] = {m: [] for m in MODES}
        for r in range(args.rounds):
            for mode in MODES:
                figures[mode].append(run(store, rm, mode, args.matches, 1000 * r + MODES.index(mode), towns, writable))
        rm.close()
        store.close()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    base = statistics.median(f["match_ms"] for f in figures["fresh"])
    print(f"{args.rounds} rounds × {args.matches} matches per mode, {args.resources:,} resources; load average {load}")
    print("| mode | CPU ms per match (median of rounds) | rounds | vs fresh |")
    print("|---|---:|---|---:|")
    for mode in MODES:
        ms = [f["match_ms"] for f in figures[mode]]
        print(f"| {mode} | {statistics.median(ms):.2f} | {', '.join(f'{x:.2f}' for x in ms)} | "
              f"{statistics.median(ms) / base:.2f}× |")
    carry = [f["carry_ms"] for f in figures["carry"]]
    print(f"carry itself (context_for after an edit), CPU ms, median per round: {', '.join(f'{x:.3f}' for x in carry)}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
