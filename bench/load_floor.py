"""The floor of a 100,000-node load on this machine: the plain SQLite load of ``bench/store.py``, split in two.

Why: issue 14 asks for 100,000 nodes into SQLite in ≤ 3 s. ``bench/store.py`` compares the store's
``bulk_load`` with a *plain* load of the same rows (``executemany`` into two tables with a primary key,
one transaction, WAL); this script times that plain load's two halves apart — serialising the 198,040
nodes and edges to JSON (pydantic, as the store does once per entity) and the ``executemany`` + commit —
so a reader can see whether 3 s is within reach of any load that writes these rows on this machine.

    python bench/load_floor.py [--nodes 100000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from store import make_catalogue, plain_rows, write_plain_sqlite  # bench/ is on sys.path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    nodes, edges, _ = make_catalogue(args.nodes)
    serialise, insert = [], []
    for r in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            node_rows, edge_rows = plain_rows(nodes, edges)
            t1 = time.perf_counter()
            write_plain_sqlite(Path(tmp) / "plain.db", node_rows, edge_rows)
            t2 = time.perf_counter()
        serialise.append(t1 - t0)
        insert.append(t2 - t1)
        print(f"run {r + 1}: serialise {t1 - t0:.2f} s, executemany + commit {t2 - t1:.2f} s, "
              f"total {t2 - t0:.2f} s (load average {os.getloadavg()[0]:.1f})", flush=True)
    print(f"medians of {args.repeat}: serialise {statistics.median(serialise):.2f} s, executemany + commit "
          f"{statistics.median(insert):.2f} s, plain load {statistics.median(s + i for s, i in zip(serialise, insert)):.2f} s "
          f"({len(nodes):,} nodes + {len(edges):,} edges)")


if __name__ == "__main__":
    main()
