"""``GET /v1/nodes`` under writes: two checkouts side by side, server CPU per list and near page after a PATCH.

Why: the page cache (``AppState.node_pages``) is keyed by the store's revision, so in a server that takes
writes every second (the soak: 16 PATCHes a second among 60 list/near pages) nearly every page is built
anew; ``bench/api.py`` (no writes) mostly measures kept pages. Here both servers (the checkout in
``--base`` and this one) serve copies of the same catalogue (``bench/_load.py``'s: seeds + synthetic
resources at real 町丁目 points), each walked once with ``limit=500`` (as a server that has run a while
has listed every node) and warmed up with one run; one client runs, per round and alternating which server goes first: one
``PATCH /v1/nodes/{id}`` of a description (with ``If-Match``), then ``--gets`` list pages (``limit=50``,
walking the catalogue with the cursor, a category in 3 of 10) or near pages (``near=…&radius=1000&limit=100``
around a 町丁目 of 府中市), the same requests on both. Reported: each server's CPU time per GET (measured
around the GETs only, the PATCH excluded), per GET of the round's last page asked again as often (a kept page:
the route's floor), and per PATCH, medians of ``--repeat`` runs, and the ratio
this/base of each run.

    git clone -q . /tmp/base && git -C /tmp/base checkout -q <commit>
    python bench/pages_writes.py --base /tmp/base [--rounds 60] [--gets 4] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))

from _sections import machine  # noqa: E402

CITY = "13206"


def _gets(kind: str, rng: random.Random, categories: list[str], towns: list[tuple[float, float]],
          n: int) -> list[dict[str, str] | None]:
    """*n* GET parameter sets of *kind*; None is the next list page of the catalogue (the server's own cursor)."""
    out: list[dict[str, str] | None] = []
    for _ in range(n):
        if kind == "near":
            lat, lng = rng.choice(towns)
            out.append({"near": f"{lat},{lng}", "radius": "1000", "limit": "100"})
        elif rng.random() < 0.3:
            out.append({"limit": "50", "category": rng.choice(categories)})
        else:
            out.append(None)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, type=Path, help="the other checkout (its own resourcemap/ and api/)")
    ap.add_argument("--rounds", type=int, default=60, help="PATCH + GETs rounds per page kind and run")
    ap.add_argument("--gets", type=int, default=4, help="GETs after each PATCH")
    ap.add_argument("--repeat", type=int, default=3, help="runs (the same servers); medians are reported")
    ap.add_argument("--resources", type=int, default=5000)
    args = ap.parse_args()

    import httpx
    from _load import build_catalogue, server_cpu_s
    from ab import _serve, _wait

    from resourcemap.geo import load_chome
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.model import RESOURCE_KINDS
    from tests.api.conftest import free_port, make_keys
    from tests.conftest import copy_catalogue

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        this_db = Path(tmp) / "this.db"
        build_catalogue(this_db, args.resources)
        keys = make_keys(this_db, roles=("viewer", "editor"))
        store = SQLiteStore(this_db, create=False)
        resources = [n for n in store.query_nodes() if n.kind in RESOURCE_KINDS]
        store.close()
        categories = sorted({c for n in resources for c in n.categories})[:20]
        writable = [n for n in resources if n.id.startswith("bench.")]
        base_db = copy_catalogue(this_db, Path(tmp) / "base.db")
        towns = [(c.lat, c.lng) for c in load_chome(CITY)]
        sides = {"base": (args.base.resolve(), base_db), "this": (ROOT, this_db)}
        procs, clients = {}, {}
        try:
            for side, (checkout, db) in sides.items():
                port = free_port()
                procs[side] = _serve(checkout, db, port)
                clients[side] = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                             headers={"Authorization": f"Bearer {keys['viewer']}"})
            for side in sides:
                _wait(str(clients[side].base_url).rstrip("/"), procs[side])
            for side in sides:  # every node listed once, as a server that has run a while has listed them
                nxt: str | None = ""
                while nxt is not None:
                    nxt = clients[side].get("/v1/nodes", params={"limit": "500", **({"cursor": nxt} if nxt else {})}
                                            ).json()["next"]
            versions = {side: {n.id: n.version for n in writable} for side in sides}
            cursors: dict[str, str | None] = dict.fromkeys(sides)
            runs: list[dict[str, dict[str, float]]] = []
            rng = random.Random(14)
            for run in range(args.repeat + 1):  # run 0 warms both servers up (kept pages, kept nodes)
                cpu = {side: dict.fromkeys(("list", "near", "list kept", "near kept", "patch"), 0.0) for side in sides}
                for r in range(2 * args.rounds):
                    kind = "list" if r % 2 == 0 else "near"
                    node = rng.choice(writable).id
                    text = f"pages_writes run {run} round {r}"
                    plan = _gets(kind, rng, categories, towns, args.gets)
                    for side in (["base", "this"] if r % 4 < 2 else ["this", "base"]):
                        c, pid = clients[side], procs[side].pid
                        t0 = server_cpu_s(pid)
                        w = c.patch(f"/v1/nodes/{node}", json={"description": text},
                                    headers={"If-Match": f'"{versions[side][node]}"',
                                             "Authorization": f"Bearer {keys['editor']}"})
                        if w.status_code != 200:
                            raise RuntimeError(f"{side} PATCH: {w.status_code} {w.text[:200]}")
                        versions[side][node] = int(w.json()["version"])
                        t1 = server_cpu_s(pid)
                        for params in plan:
                            walk = params is None  # the next page of this server's walk through the catalogue
                            if walk:
                                params = {"limit": "50", **({"cursor": cursors[side]} if cursors[side] else {})}
                            g = c.get("/v1/nodes", params=params)
                            if g.status_code != 200:
                                raise RuntimeError(f"{side} GET {params}: {g.status_code} {g.text[:200]}")
                            if walk:
                                cursors[side] = g.json()["next"]
                        t2 = server_cpu_s(pid)
                        for _ in plan:  # the floor: the last page again, now kept (no write since)
                            if c.get("/v1/nodes", params=params).status_code != 200:
                                raise RuntimeError(f"{side} GET {params} again")
                        t3 = server_cpu_s(pid)
                        cpu[side]["patch"] += t1 - t0
                        cpu[side][kind] += t2 - t1
                        cpu[side][f"{kind} kept"] += t3 - t2
                if run:
                    runs.append({side: {k: 1000 * t / (2 * args.rounds if k == "patch" else args.rounds * args.gets)
                                        for k, t in v.items()} for side, v in cpu.items()})
        finally:
            for client in clients.values():
                client.close()
            for proc in procs.values():
                proc.terminate()
                proc.wait(timeout=30)
    load_after = os.getloadavg()
    print(f"Side by side on {machine()}: {args.repeat} runs of {args.rounds} rounds per page kind (a PATCH, then "
          f"{args.gets} GETs), catalogue of {args.resources:,} resources; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after.\n")
    print("| server CPU ms per request | base (median) | this (median) | this / base (median of runs) | runs this/base |")
    print("|---|---:|---:|---:|---:|")
    labels = {"list": "`GET /v1/nodes?limit=50` (cursor or category) after a write",
              "near": "`GET /v1/nodes?near=…&radius=1000&limit=100` after a write",
              "list kept": "the last list page again (kept: the floor of the route)",
              "near kept": "the last near page again (kept)",
              "patch": "`PATCH /v1/nodes/{id}` (description)"}
    for kind, label in labels.items():
        base = statistics.median(run["base"][kind] for run in runs)
        this = statistics.median(run["this"][kind] for run in runs)
        ratios = [run["this"][kind] / run["base"][kind] for run in runs]
        print(f"| {label} | {base:.2f} | {this:.2f} | **{statistics.median(ratios):.2f}×** | "
              f"{', '.join(f'{x:.2f}' for x in ratios)} |")


if __name__ == "__main__":
    main()
