"""Before/after of a store's ``bulk_load``: another checkout's store against this one's, side by side.

Why: the shared machine's load average moves by a factor of several within minutes, so a load
measured today cannot be compared with one from another day. This script loads the same
catalogue (``bench/store.py``'s) with the plain load, then *base*'s store and this checkout's (which
of the two goes first alternates), *rounds* times, and reports medians of wall and CPU seconds and each store's ratio to
the plain load of its round. Both stores get the very same ``Node``/``Edge`` objects (built by this
checkout's model; the two model versions must agree, which ``bulk_load`` only reads).

    git worktree add /tmp/base <commit>   # or: git clone -q . /tmp/base && git -C /tmp/base checkout -q <commit>
    python bench/store_ab.py --base /tmp/base [--store sqlite|bolt] [--nodes 100000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from store import make_catalogue, plain_bolt, plain_sqlite  # noqa: E402

MODULES = {"sqlite": ("resourcemap.graph.stores.sqlite", "SQLiteStore"),
           "bolt": ("resourcemap.graph.stores.bolt", "BoltStore")}


def store_class(root: Path, store: str) -> type:
    """The store class of the checkout at *root* (its own ``resourcemap`` package, imported fresh)."""
    for name in [m for m in sys.modules if m == "resourcemap" or m.startswith("resourcemap.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        module, cls = MODULES[store]
        return getattr(importlib.import_module(module), cls)
    finally:
        sys.path.remove(str(root))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="the checkout to compare with (e.g. main)")
    ap.add_argument("--store", choices=tuple(MODULES), default="sqlite")
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    nodes, edges, _ = make_catalogue(args.nodes)
    names = {"base": args.base.resolve(), "this": ROOT}
    classes = {name: store_class(root, args.store) for name, root in names.items()}
    server = None
    if args.store == "bolt":
        from tests.contract.bolt_server import _start

        server = _start()
    runs: dict[str, list[tuple[float, float]]] = {"plain": [], "base": [], "this": []}
    try:
        for r in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                cpu = time.process_time()
                wall = (plain_sqlite(Path(tmp) / "plain.db", nodes, edges) if server is None
                        else plain_bolt(server.url, nodes, edges))
                runs["plain"].append((wall, time.process_time() - cpu))
                for name, cls in list(classes.items())[::1 if r % 2 == 0 else -1]:  # alternate who goes first
                    store = cls(Path(tmp) / f"{name}.db") if server is None else cls(server.url)
                    if server is not None:
                        store.clear()
                    t, cpu = time.perf_counter(), time.process_time()
                    store.bulk_load(nodes, edges, actor="bench")
                    runs[name].append((time.perf_counter() - t, time.process_time() - cpu))
                    assert store.count_nodes() == len(nodes)
                    if server is not None:
                        store.clear()
                    store.close()
            print(f"round {r + 1} (load average {os.getloadavg()[0]:.1f}): "
                  + ", ".join(f"{k} {v[-1][0]:.1f} s" for k, v in runs.items()), flush=True)
    finally:
        if server is not None:
            server.stop()
    med = statistics.median
    print(f"\n{args.store}, {args.nodes:,} nodes, {args.rounds} rounds (medians)\n")
    print("| load | wall s | CPU s | / plain (wall) |\n|---|---:|---:|---:|")
    for name, res in runs.items():
        ratio = med(w / p for (w, _), (p, _) in zip(res, runs["plain"]))
        print(f"| {name} | {med(w for w, _ in res):.2f} | {med(c for _, c in res):.2f} | {ratio:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
