"""Shared by the HTTP benchmarks: the benchmark catalogue, a real server, and the load from a second process.

Why a second process: the load generator must not share the server's interpreter (its GIL would
be measured too), so :func:`measure` starts ``resourcemap serve`` on a free loopback port and
re-runs this file with ``--load``: C keep-alive clients in threads, each endpoint for a fixed time
after a warm-up, requests/s and p50/p95 latency per endpoint. The endpoints are given as
``{label: [(method, path, body), ...]}``; each client walks its own rotation of the list.

    python bench/_load.py --load URL SPEC.json --seconds 8 --clients 4 --warmup 1   # the second process
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KINDS = ("place", "hub", "subsidy_group", "agency")
Requests = dict[str, list[tuple[str, str, dict | None]]]


def build_catalogue(db: Path, resources: int) -> dict:
    """Seeds + synthetic resources at real 町丁目 points until *resources* resource nodes exist."""
    from resourcemap.catalogue import build_catalogue as from_seeds
    from resourcemap.cities import CITIES
    from resourcemap.geo import load_chome
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.graph.stores.base import NodeQuery
    from resourcemap.model import NODE_KINDS, RESOURCE_KINDS, Node, Targets
    from resourcemap.taxonomy import load_taxonomy

    store = SQLiteStore(db)
    from_seeds(store, "all")
    have = sum(1 for n in store.query_nodes() if n.kind in RESOURCE_KINDS)
    tax = load_taxonomy()
    leaves = sorted(c.id for c in tax if not tax.children(c.id))
    cities = sorted({n.city for n in store.query_nodes() if n.kind == "municipality"})
    chome = {c: load_chome(c) for c in cities}
    rng = random.Random(5000)
    nodes: list = []
    synthetic = 0
    for i in range(max(0, resources - have)):
        if len(nodes) == 100_000:  # a million resources are written 100,000 at a time (the builder's memory)
            store.bulk_load(nodes, [], actor="bench")
            synthetic += len(nodes)
            nodes = []
        city = cities[i % len(cities)]
        pt = chome[city][rng.randrange(len(chome[city]))]
        cats = rng.sample(leaves, 2)
        fields = sorted({f for c in cats for f in tax.categories[c].fields}) or ["全世代"]
        nodes.append(Node(id=f"bench.{i:05d}", kind=KINDS[i % len(KINDS)], name=f"{CITIES[city].name}の資源 {i}",
                          city=city, lat=pt.lat, lng=pt.lng, location_precision="chome", categories=cats,
                          targets=Targets(fields=fields), source="public"))
    store.bulk_load(nodes, [], actor="bench")
    synthetic += len(nodes)
    count = store.count_nodes()
    total = count - sum(len(store.query_nodes(NodeQuery(kind=k))) for k in NODE_KINDS if k not in RESOURCE_KINDS)
    store.close()
    return {"resources": total, "nodes": count, "synthetic": synthetic}


def drive(url: str, key: str | None, reqs: list, seconds: float, clients: int, warmup: float) -> dict:
    """One endpoint: *clients* keep-alive clients for warm-up + *seconds*; latencies after the warm-up."""
    import httpx

    lat_ms: list[float] = []
    errors = [0]
    answered = [0]  # every request answered, warm-up included (the server's CPU is counted over all of them)
    lock = threading.Lock()
    stop = time.perf_counter() + warmup + seconds
    headers = {"Authorization": f"Bearer {key}"} if key else {}

    def client(offset: int) -> None:
        mine: list[float] = []
        with httpx.Client(base_url=url, headers=headers, timeout=30) as c:
            i = offset
            while True:
                method, path, body = reqs[i % len(reqs)]
                i += 1
                t0 = time.perf_counter()
                r = c.request(method, path, json=body)
                t1 = time.perf_counter()
                with lock:
                    answered[0] += 1
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
    return {"requests": len(lat_ms), "answered": answered[0], "rps": len(lat_ms) / seconds, "errors": errors[0],
            "p50_ms": statistics.median(lat_ms), "p95_ms": lat_ms[int(0.95 * (len(lat_ms) - 1))]}


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server process and its workers."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def measure(db: Path, requests: Requests, *, key: str | None, seconds: float, clients: int,
            warmup: float, workers: int = 1) -> dict[str, dict]:
    """Serve *db* with ``resourcemap serve`` and load each endpoint of *requests* from a second process.

    Besides requests/s and latency, each endpoint gets the server's CPU time per request
    (``cpu_ms``: the server's and its workers' CPU during that endpoint's run, warm-up included,
    divided by the requests answered) — the figure a busy shared machine disturbs least.
    """
    from tests.api.conftest import start_server, stop_server  # `resourcemap serve` on a free port

    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(db, timeout=300, workers=workers)
        try:
            for label, reqs in requests.items():
                spec = Path(tmp) / "load.json"
                spec.write_text(json.dumps({"key": key, "requests": {label: reqs}}, ensure_ascii=False),
                                encoding="utf-8")
                cpu0 = server_cpu_s(server.proc.pid)
                done = subprocess.run([sys.executable, __file__, "--load", server.url, str(spec), "--seconds",
                                       str(seconds), "--warmup", str(warmup), "--clients", str(clients)],
                                      capture_output=True, text=True)
                cpu = server_cpu_s(server.proc.pid) - cpu0
                if done.returncode != 0:
                    raise RuntimeError(f"the load process failed:\n{done.stderr[-3000:]}")
                result = json.loads(done.stdout)[label]
                result["cpu_ms"] = 1000 * cpu / max(1, result["answered"])
                out[label] = result
        finally:
            stop_server(server)
    return out


def arguments(description: str, section: str) -> argparse.Namespace:
    """The options every HTTP benchmark takes (catalogue size, load shape, ``--write-docs``)."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--resources", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1, help="runs (a fresh server each); the table shows medians")
    ap.add_argument("--workers", type=int, nargs="+", default=[1],
                    help="worker counts to serve with, each measured in every run (e.g. 1 2)")
    ap.add_argument("--write-docs", action="store_true", help=f"update the {section} section of docs/benchmarks.md")
    return ap.parse_args()


def medians(runs: list[dict[str, dict]], baseline: str = "GET /health") -> dict[str, dict]:
    """Per endpoint, the median of each figure over *runs*; ``ratio`` = median of each run's req/s ratio."""
    out: dict[str, dict] = {}
    for label in runs[0]:
        rows = [run[label] for run in runs]
        out[label] = {k: statistics.median(r[k] for r in rows) for k in ("rps", "p50_ms", "p95_ms", "cpu_ms")}
        out[label]["errors"] = sum(r["errors"] for r in rows)
        out[label]["ratios"] = [run[label]["rps"] / run[baseline]["rps"] for run in runs]
        out[label]["p95_p50"] = statistics.median(r["p95_ms"] / r["p50_ms"] for r in rows)
    return out


def catalogue(db: Path, resources: int) -> dict:
    """:func:`build_catalogue`, saying on stderr what was built and how long it took."""
    t0 = time.perf_counter()
    cat = build_catalogue(db, resources)
    print(f"catalogue: {cat} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return cat


def table(res: dict[str, dict], baseline: str = "GET /health") -> list[str]:
    """The markdown table of :func:`measure`'s results (or :func:`medians` of several), with each endpoint's
    req/s as a ratio to *baseline*'s measured in the same run."""
    lines = ["| endpoint | requests/s | p50 ms | p95 ms | p95 / p50 | req/s vs `/health` (per run) "
             "| server CPU ms/request | non-200 |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, r in res.items():
        ratios = r.get("ratios") or [r["rps"] / res[baseline]["rps"]]
        per_run = f" ({', '.join(f'{x:.2f}' for x in ratios)})" if len(ratios) > 1 else ""
        p95_p50 = r.get("p95_p50", r["p95_ms"] / r["p50_ms"])
        lines.append(f"| `{label}` | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {p95_p50:.1f} | "
                     f"{statistics.median(ratios):.2f}×{per_run} | {r.get('cpu_ms', float('nan')):.2f} | "
                     f"{r['errors']} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--load", nargs=2, metavar=("URL", "SPEC"), required=True)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--clients", type=int, default=4)
    args = ap.parse_args()
    url, spec_file = args.load
    spec = json.loads(Path(spec_file).read_text(encoding="utf-8"))
    print(json.dumps({label: drive(url, spec["key"], reqs, args.seconds, args.clients, args.warmup)
                      for label, reqs in spec["requests"].items()}))


if __name__ == "__main__":
    main()
