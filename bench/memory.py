"""Server memory at 5,000 / 100,000 / 1,000,000 resources: RSS of ``resourcemap serve`` after start and warm-up.

Why the server: its read model (the graph + spatial index, :mod:`resourcemap.graph.readmodel`) holds
every live node in memory in every worker, so its size is what a deployment must provision per
worker. Set-up per size: the benchmark catalogue (``bench/_load.py``: the seed catalogue +
synthetic resources at real 町丁目 points) in a temp SQLite file; ``resourcemap serve`` (uvicorn,
one worker) on loopback; RSS once ``/health`` answers (read model built), then after a warm-up
of a few reads and matches (the matcher's per-revision context, the key cache), then after *use*:
``--matches`` more households at other 町丁目 of two municipalities with other needs (what the
matcher keeps per public point grows with the points and needs asked until its bounds hold it —
a 20-match warm-up hid a growth past 4 GiB at 1,000,000 resources); peak = the kernel's
high-water mark (``VmHWM``).

    python bench/memory.py                          # 5,000, 100,000 and 1,000,000 resources
    python bench/memory.py --sizes 5000 100000 --matches 600 --write-docs
    python bench/memory.py --breakdown 10000        # where a node's bytes go (tracemalloc, in process)
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from _load import ROOT, catalogue  # bench/ is on sys.path when run
from _sections import machine

START, END = "<!-- memory:start -->", "<!-- memory:end -->"
GIB = 2 ** 30


def _peak(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


#: What the use phase asks: one member's needs, in turn (their categories and sub-categories differ).
USE_NEEDS = (["介護予防"], ["ひきこもり", "居場所"], ["子育て"], ["認知症"], ["学習支援"], ["8050"])
#: The two municipalities whose 町丁目 the use phase walks.
USE_CITIES = ("13206", "13223")


def use_requests(matches: int) -> list[dict]:
    """*matches* match bodies: every 町丁目 of :data:`USE_CITIES` in turn, each with the next needs."""
    from resourcemap.geo import load_chome

    towns = [(code, c.town) for code in USE_CITIES for c in load_chome(code)]
    return [{"city": code, "location": {"address": town}, "max_distance_m": 2000,
             "members": [{"age": 45, "needs": USE_NEEDS[i % len(USE_NEEDS)]}]}
            for i, (code, town) in enumerate(itertools.islice(itertools.cycle(towns), matches))]


def measure(size: int, tmp: Path, matches: int) -> dict:
    import httpx
    import psutil

    from resourcemap.geo import load_chome
    from tests.api.conftest import make_keys, start_server, stop_server

    db = tmp / f"memory-{size}.db"
    cat = catalogue(db, size)
    key = make_keys(db, roles=("viewer",))["viewer"]
    t0 = time.perf_counter()
    server = start_server(db, timeout=3600)
    started = time.perf_counter() - t0
    try:
        proc = psutil.Process(server.proc.pid)
        after_start = proc.memory_info().rss
        towns = [c.town for c in load_chome("13206")][:20]
        with httpx.Client(base_url=server.url, timeout=600, headers={"Authorization": f"Bearer {key}"}) as c:
            for town in towns:
                assert c.get("/v1/nodes", params={"limit": "100"}).status_code == 200
                r = c.post("/v1/match", json={"city": "13206", "location": {"address": town}, "max_distance_m": 2000,
                                              "members": [{"age": 80, "needs": ["介護予防"]}]})
                assert r.status_code == 200, r.text
            warm = proc.memory_info().rss
            for body in use_requests(matches):
                r = c.post("/v1/match", json=body)
                assert r.status_code == 200, r.text
        used = proc.memory_info().rss
        peak = _peak(proc.pid)
    finally:
        stop_server(server)
    db_bytes = sum(p.stat().st_size for p in tmp.glob(f"memory-{size}.db*"))
    for p in tmp.glob(f"memory-{size}.db*"):
        p.unlink()
    return {**cat, "start_s": started, "rss_start": after_start, "rss_warm": warm, "rss_used": used, "peak": peak,
            "db_bytes": db_bytes, "matches": matches}


def breakdown(size: int, tmp: Path, top: int = 12) -> str:
    """Where a read model's memory goes: ``tracemalloc`` over building one in process, per node, by source line.

    Why in process: the server's RSS says how much, not what; this says which allocation each byte
    of the read model comes from (the node's field dict, its values, networkx, the spatial index).
    """
    import gc
    import tracemalloc

    from resourcemap.graph.readmodel import ReadModel
    from resourcemap.graph.stores.sqlite import SQLiteStore

    db = tmp / f"breakdown-{size}.db"
    cat = catalogue(db, size)
    store = SQLiteStore(db)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    rm = ReadModel(store, follow=False)
    gc.collect()
    after = tracemalloc.take_snapshot()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = rm.graph.number_of_nodes()
    root = str(ROOT) + "/"
    lines = [f"Read model of {cat['resources']:,} resources ({n:,} nodes) built in process: {held / n:,.0f} bytes "
             f"per node held, {peak / n:,.0f} at the peak of the build (`tracemalloc`).", "",
             "| bytes per node | objects per node | allocated at |", "|---:|---:|---|"]
    for stat in after.compare_to(before, "lineno")[:top]:
        frame = stat.traceback[0]
        where = frame.filename.replace(root, "").split("site-packages/")[-1]
        lines.append(f"| {stat.size_diff / n:,.0f} | {stat.count_diff / n:.2f} | `{where}:{frame.lineno}` |")
    store.close()
    return "\n".join(lines)


def markdown(rows: list[dict], args: argparse.Namespace) -> str:
    lines = [START, "## Server memory (`bench/memory.py`)", "",
             f"Run {date.today().isoformat()} with `python bench/memory.py --sizes "
             f"{' '.join(str(s) for s in args.sizes)} --matches {args.matches}` on {machine()} (shared machine; load average "
             f"{args.load[0]:.1f} at the start, {args.load[1]:.1f} at the end, from other work on 2 cores).", "",
             "One `resourcemap serve` (uvicorn, 1 worker, SQLite) per size over the benchmark catalogue (the seed "
             "catalogue + synthetic resources at real 町丁目 points). RSS once `/health` answers (the read model is "
             "built at start), then after 20 list reads and 20 matches (warm), then after "
             f"{args.matches:,} more matches (used: every 町丁目 of 府中市 and 武蔵村山市 in turn, each with other needs — "
             "what the matcher keeps per public point grows until its bounds hold it); peak = the process's "
             "high-water mark.", "",
             "| resources | nodes | catalogue file MiB | start to `/health` s | RSS at start MiB | RSS warm MiB | "
             "RSS used MiB | peak MiB | per resource KiB (used) |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['resources']:,} | {r['nodes']:,} | {r['db_bytes'] / 2**20:.0f} | {r['start_s']:.1f} | "
                     f"{r['rss_start'] / 2**20:.0f} | {r['rss_warm'] / 2**20:.0f} | {r['rss_used'] / 2**20:.0f} | "
                     f"{r['peak'] / 2**20:.0f} | {r['rss_used'] / r['nodes'] / 1024:.2f} |")
    big = max(rows, key=lambda r: r["resources"])
    verdict = "meets" if big["peak"] <= 2 * GIB else "misses"
    lines += ["", f"Target: ≤ 2 GiB at 1,000,000 resources. The largest size measured here ({big['resources']:,}) "
              f"peaks at {big['peak'] / GIB:.2f} GiB: it **{verdict}** the target. Every worker holds its own read "
              "model, so `serve --workers N` needs N times the used RSS.", END]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 100_000, 1_000_000])
    ap.add_argument("--matches", type=int, default=600, help="matches of the use phase, after the warm-up")
    ap.add_argument("--breakdown", type=int, metavar="RESOURCES",
                    help="instead: where the read model's memory goes, per node, at this many resources")
    ap.add_argument("--write-docs", action="store_true", help="update the memory section of docs/benchmarks.md")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.breakdown:
        with tempfile.TemporaryDirectory() as tmp:
            print(breakdown(args.breakdown, Path(tmp)))
        return
    rows = []
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            rows.append(measure(size, Path(tmp), args.matches))
            r = rows[-1]
            print(f"{size:,}: start {r['start_s']:.1f} s, RSS {r['rss_start'] / 2**20:.0f} → {r['rss_warm'] / 2**20:.0f} "
                  f"→ {r['rss_used'] / 2**20:.0f} MiB, peak {r['peak'] / 2**20:.0f} MiB", file=sys.stderr, flush=True)
    args.load = (load0, os.getloadavg()[0])
    section = markdown(rows, args)
    print(section)
    if args.write_docs:
        from _sections import write_section

        write_section("memory", section)


if __name__ == "__main__":
    main()
