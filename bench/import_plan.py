"""Planning a one-row import: CPU time per plan against the benchmark catalogue (the soak's 1-in-100 request).

Why CPU time: the machine is shared, and CPU time is what other work disturbs least. The plan is a
dry run of ``POST /v1/import``'s own path (:func:`resourcemap.io.import_file`) with the soak's file: one
new 居場所 in 府中市 placed by its 町丁目. Compare two checkouts by running this file in each, alternately
(``cp bench/import_plan.py <other>/bench/ && cd <other> && python bench/import_plan.py``).

    python bench/import_plan.py                    # 5,000 resources, 20 plans, median CPU ms
    python bench/import_plan.py --resources 20000
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _load import catalogue  # bench/ is on sys.path when run

FILE = "名称,種別,市区町村,所在町丁目,分類\nベンチ取込の居場所,居場所,府中市,白糸台一丁目,居場所\n".encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--resources", type=int, default=5000)
    ap.add_argument("--plans", type=int, default=20)
    args = ap.parse_args()
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.io import import_file

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "plan.db"
        cat = catalogue(db, args.resources)
        store = SQLiteStore(db, create=False)
        try:
            import_file(store, FILE, name="plan.csv", dry_run=True)  # warm: taxonomy, 町丁目, municipalities
            cpu = []
            for _ in range(args.plans):
                t0 = time.process_time()
                report = import_file(store, FILE, name="plan.csv", dry_run=True)
                cpu.append(time.process_time() - t0)
            assert report["added"] == 1, report["errors"]
        finally:
            store.close()
    print(f"{cat['nodes']:,} nodes: median {1000 * statistics.median(cpu):.1f} ms CPU per one-row import plan "
          f"({args.plans} plans)")


if __name__ == "__main__":
    main()
