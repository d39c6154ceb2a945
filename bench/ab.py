"""Two checkouts' request paths side by side: the same catalogue, both servers up, requests interleaved.

Why: on a shared 2-core machine, two benchmark runs minutes apart differ by more than most code
changes do. Here the checkout in ``--base`` (e.g. a clone at the commit before a refactor) and this one
each serve a copy of the same catalogue (``bench/api.py``'s: seeds + synthetic resources at real
町丁目 points) with ``resourcemap serve``; one client sends each request to both, alternating which goes
first, so both servers see the same moment of the machine. Reported: p50/p95 per endpoint and the
ratio this/base, and each server's CPU time per request after the warm-up (the figure the rest of the
machine disturbs least).

    git clone -q . /tmp/base && git -C /tmp/base checkout -q <commit>
    python bench/ab.py --base /tmp/base [--rounds 400] [--resources 5000]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after ROOT: `api` is the package, bench/api.py is loaded by path below

from _sections import machine  # noqa: E402


def _bench_api():
    """bench/api.py (its catalogue builder and request mix), loaded by path: its module name is taken."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _serve(checkout: Path, db: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONUNBUFFERED": "1"}
    env.pop("RESOURCEMAP_STORE", None)
    return subprocess.Popen([sys.executable, "-m", "resourcemap", "--db", str(db), "serve", "--port", str(port)],
                            cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(url: str, proc: subprocess.Popen, timeout: float = 300.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, type=Path, help="the other checkout (its own resourcemap/ and api/)")
    ap.add_argument("--rounds", type=int, default=400, help="requests per endpoint and server")
    ap.add_argument("--resources", type=int, default=5000)
    args = ap.parse_args()

    import httpx

    from resourcemap.geo import load_chome
    from tests.api.conftest import free_port, make_keys
    from tests.conftest import copy_catalogue

    with tempfile.TemporaryDirectory() as tmp:
        bench_api = _bench_api()
        this_db = Path(tmp) / "this.db"
        from _load import build_catalogue, server_cpu_s

        build_catalogue(this_db, args.resources)
        key = make_keys(this_db, roles=("viewer",))["viewer"]
        base_db = copy_catalogue(this_db, Path(tmp) / "base.db")
        points = [(c.town, c.lat, c.lng) for c in load_chome("13206")]
        random.Random(1).shuffle(points)
        sides = {"base": (args.base.resolve(), base_db), "this": (ROOT, this_db)}
        procs, urls = {}, {}
        try:
            for side, (checkout, db) in sides.items():
                port = free_port()
                procs[side], urls[side] = _serve(checkout, db, port), f"http://127.0.0.1:{port}"
            for side in sides:
                _wait(urls[side], procs[side])
            clients = {side: httpx.Client(base_url=urls[side], headers={"Authorization": f"Bearer {key}"},
                                          timeout=30) for side in sides}
            rows = []
            for label, reqs in bench_api._requests(points).items():
                lat: dict[str, list[float]] = {side: [] for side in sides}
                cpu0: dict[str, float] = {}
                for i in range(args.rounds + 50):  # the first 50 warm up
                    if i == 50:
                        cpu0 = {side: server_cpu_s(procs[side].pid) for side in sides}
                    method, path, body = reqs[i % len(reqs)]
                    order = ["base", "this"] if i % 2 else ["this", "base"]
                    for side in order:
                        t0 = time.perf_counter()
                        r = clients[side].request(method, path, json=body)
                        dt = (time.perf_counter() - t0) * 1000
                        if r.status_code != 200:
                            raise RuntimeError(f"{side} {label}: {r.status_code} {r.text[:200]}")
                        if i >= 50:
                            lat[side].append(dt)
                cpu = {side: (server_cpu_s(procs[side].pid) - cpu0[side]) * 1000 / args.rounds for side in sides}
                p50 = {s: statistics.median(v) for s, v in lat.items()}
                p95 = {s: sorted(v)[int(0.95 * (len(v) - 1))] for s, v in lat.items()}
                rows.append(f"| `{label}` | {p50['base']:.2f} | {p95['base']:.2f} | {p50['this']:.2f} | "
                            f"{p95['this']:.2f} | {p50['this'] / p50['base']:.2f}× | {cpu['base']:.2f} | "
                            f"{cpu['this']:.2f} | {cpu['this'] / cpu['base']:.2f}× |")
        finally:
            for proc in procs.values():
                proc.terminate()
                proc.wait(timeout=30)
    print(f"Side by side on {machine()}: {args.rounds} interleaved requests per endpoint and server, one client, "
          f"keep-alive, viewer key; catalogue of {args.resources:,} resources.\n")
    print("| endpoint | base p50 ms | base p95 ms | this p50 ms | this p95 ms | p50 this/base "
          "| base server CPU ms/req | this server CPU ms/req | CPU this/base |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
