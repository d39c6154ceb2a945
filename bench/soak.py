"""Soak: one server under a steady, bounded mixed load for minutes; does it stay up, flat and correct?

Set-up: the benchmark catalogue (``bench/_load.py``: the seed catalogue + synthetic resources at
real 町丁目 points, 5,000 resources) in a temp folder, ``resourcemap serve`` (uvicorn, one worker, or
``--workers N`` behind one port, each following the store's change log) on loopback, and the load from this process: a pacer thread releases one request every
1/rate s (open loop: a slow answer does not slow the offered load) into a bounded queue that a
pool of keep-alive clients works off. The mix, per 100 requests:

- 40 ``GET /v1/nodes?limit=50`` (pages through the catalogue with its cursor, some by category),
- 20 ``GET /v1/nodes?near=…&radius=1000`` (around a 町丁目 of 府中市),
- 15 ``POST /v1/match`` (a household of two at a 町丁目 of 府中市),
- 8 ``GET /v1/nodes/{id}``,
- 16 ``PATCH /v1/nodes/{id}`` with ``If-Match`` (the version this process last saw; one writer per node at a time),
- 1 ``POST /v1/import?format=csv&dry_run=false`` (one new 居場所 row).

Every minute: requests, errors (a non-2xx answer, a refused connection or a time-out; a 412 is
an error too, since no one else writes these nodes), p50/p99 latency, the server's RSS and open
file descriptors (summed over the server's processes when it has several workers). At the end, with the server stopped, the store is opened directly: every write
the server accepted must be there (the node at the version the answer named, with the text it
wrote) and in the change log (one ``update`` entry per accepted PATCH with that text, one
``create`` per imported row).

    python bench/soak.py                       # 10 minutes at 100 requests/s
    python bench/soak.py --minutes 1 --rate 50 # a quick look
    python bench/soak.py --write-docs          # rewrite the Soak section of docs/benchmarks.md
    python bench/soak.py --workers 2 --write-docs  # the same load on 2 workers (its own section)
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from _load import ROOT, catalogue, server_cpu_s  # bench/ is on sys.path when run
from _sections import machine

MIX = (("list", 40), ("near", 20), ("match", 15), ("get", 8), ("write", 16), ("import", 1))
CITY = "13206"  # 府中市: the municipality of the near, match and import requests


@dataclass
class Minute:
    latencies: list[float] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    late: int = 0  # released more than 1 s after its slot (the pool could not keep up)


@dataclass
class Ledger:
    """What the server accepted: PATCHes (id → [(version, text)]) and imported rows (name → id)."""

    versions: dict[str, int]
    writes: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def checkout(self, rng: random.Random) -> tuple[str, int] | None:
        with self.lock:
            free = [i for i in rng.sample(sorted(self.versions), 8) if i not in self.busy]
            if not free:
                return None
            self.busy.add(free[0])
            return free[0], self.versions[free[0]]

    def done(self, node_id: str, version: int | None, text: str | None) -> None:
        with self.lock:
            self.busy.discard(node_id)
            if version is not None and text is not None:
                self.versions[node_id] = version
                self.writes.setdefault(node_id, []).append((version, text))


class Soak:
    def __init__(self, url: str, keys: dict[str, str], ledger: Ledger, towns: list[tuple[str, float, float]],
                 ids: list[str], categories: list[str]) -> None:
        self.url, self.keys, self.ledger = url, keys, ledger
        self.towns, self.ids, self.categories = towns, ids, categories
        self.minutes: dict[int, Minute] = {}
        self.lock = threading.Lock()
        self.cursor: str | None = None
        self.counter = 0

    def record(self, minute: int, kind: str, ms: float | None, error: str | None, late: bool) -> None:
        with self.lock:
            m = self.minutes.setdefault(minute, Minute())
            m.kinds[kind] = m.kinds.get(kind, 0) + 1
            if ms is not None:
                m.latencies.append(ms)
            if error:
                m.errors.append(error)
            m.late += late

    def next_number(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    # -- one request of each kind; each returns an error text or None ---------------------------
    def run(self, client, kind: str, rng: random.Random) -> str | None:
        return getattr(self, f"_{kind}")(client, rng)

    @staticmethod
    def _status(r, *ok: int) -> str | None:
        return None if r.status_code in (ok or (200,)) else f"{r.request.method} {r.request.url.path}: {r.status_code}"

    def _list(self, client, rng):
        params = {"limit": "50"}
        if rng.random() < 0.3:
            params["category"] = rng.choice(self.categories)
        elif self.cursor:
            params["cursor"] = self.cursor
        r = client.get("/v1/nodes", params=params)
        if r.status_code == 200 and "category" not in params:
            self.cursor = r.json()["next"]  # walks the catalogue, then starts again
        return self._status(r)

    def _near(self, client, rng):
        _, lat, lng = rng.choice(self.towns)
        return self._status(client.get("/v1/nodes", params={"near": f"{lat},{lng}", "radius": "1000", "limit": "100"}))

    def _match(self, client, rng):
        town = rng.choice(self.towns)[0]
        body = {"city": CITY, "location": {"address": town}, "max_distance_m": 2000, "limit": 5,
                "members": [{"age": rng.randint(30, 60), "needs": ["ひきこもり", "居場所"]},
                            {"age": rng.randint(65, 90), "needs": ["介護予防"]}]}
        return self._status(client.post("/v1/match", json=body))

    def _get(self, client, rng):
        return self._status(client.get(f"/v1/nodes/{rng.choice(self.ids)}"))

    def _write(self, client, rng):
        picked = self.ledger.checkout(rng)
        if picked is None:
            return None
        node_id, version = picked
        text = f"soak write {self.next_number()} at {datetime.now(UTC).isoformat()}"
        new_version = None
        try:
            r = client.patch(f"/v1/nodes/{node_id}", json={"description": text},
                             headers={"If-Match": f'"{version}"', "Authorization": f"Bearer {self.keys['editor']}"})
            if r.status_code == 200:
                new_version = int(r.json()["version"])
            return self._status(r)
        finally:
            self.ledger.done(node_id, new_version, text if new_version is not None else None)

    def _import(self, client, rng):
        name = f"ソーク取込の居場所{self.next_number()}"
        town = rng.choice(self.towns)[0]
        data = f"名称,種別,市区町村,所在町丁目,分類\n{name},居場所,府中市,{town},居場所\n".encode()
        r = client.post("/v1/import", params={"format": "csv", "dry_run": "false", "name": "soak.csv"}, content=data,
                        headers={"content-type": "text/csv", "Authorization": f"Bearer {self.keys['editor']}"})
        if r.status_code == 200:
            rows = r.json().get("rows", [])
            created = [row["id"] for row in rows if row.get("name") == name and row.get("id")]
            if len(created) == 1:
                with self.ledger.lock:
                    self.ledger.imports[name] = created[0]
            else:
                return f"import {name}: the report names {len(created)} created rows"
        return self._status(r)


def drive(soak: Soak, *, rate: float, seconds: float, clients: int, server_pid: int,
          sample: list[dict]) -> None:
    """Release rate × seconds requests on a fixed schedule; a pool of *clients* answers them."""
    import httpx

    kinds = [k for k, n in MIX for _ in range(n)]
    tickets: queue.Queue = queue.Queue(maxsize=int(rate * 5))  # bounded: at most 5 s of backlog
    start = time.perf_counter()
    stop = threading.Event()

    def worker(k: int) -> None:
        rng = random.Random(1000 + k)
        with httpx.Client(base_url=soak.url, timeout=30,
                          headers={"Authorization": f"Bearer {soak.keys['viewer']}"}) as client:
            while True:
                item = tickets.get()
                if item is None:
                    return
                slot, kind = item
                minute = int((slot - start) // 60)
                late = time.perf_counter() - slot > 1.0
                t0 = time.perf_counter()
                try:
                    error = soak.run(client, kind, rng)
                except httpx.HTTPError as exc:
                    error = f"{kind}: {type(exc).__name__}"
                ms = (time.perf_counter() - t0) * 1000
                soak.record(minute, kind, ms, error, late)

    def monitor() -> None:
        while not stop.wait(5.0):
            sample.append({"t": time.perf_counter() - start, **server_memory(server_pid),
                           "cpu": server_cpu_s(server_pid)})

    pool = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    watcher = threading.Thread(target=monitor, daemon=True)
    for t in [*pool, watcher]:
        t.start()
    rng = random.Random(7)
    n = int(rate * seconds)
    for i in range(n):
        slot = start + i / rate
        pause = slot - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        try:
            tickets.put_nowait((slot, kinds[rng.randrange(len(kinds))]))
        except queue.Full:
            soak.record(int((slot - start) // 60), "dropped", None, "dropped: 5 s of backlog", True)
    for _ in pool:
        tickets.put(None)
    for t in pool:
        t.join()
    stop.set()
    watcher.join()


def server_memory(pid: int) -> dict[str, int]:
    """RSS and open file descriptors of the server: its process and its workers' together."""
    import psutil

    root = psutil.Process(pid)
    rss = fds = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            rss += proc.memory_info().rss
            fds += proc.num_fds()
        except psutil.NoSuchProcess:
            continue
    return {"rss": rss, "fds": fds}


def verify(db: Path, ledger: Ledger, since_rev: int) -> dict:
    """Every accepted write in the store and in the change log (the server is stopped)."""
    from resourcemap.graph.stores.sqlite import SQLiteStore

    store = SQLiteStore(db, create=False)
    try:
        log = store.changes(since=since_rev)
        updates: dict[str, set[str]] = {}
        created: set[str] = set()
        for ch in log:
            if ch.op == "update" and ch.after is not None:
                updates.setdefault(ch.entity_id, set()).add(ch.after.get("description") or "")
            if ch.op == "create":
                created.add(ch.entity_id)
        missing_store, missing_log = [], []
        for node_id, writes in ledger.writes.items():
            node = store.get_node(node_id)
            version, text = max(writes)
            if node.version != version or node.description != text:
                missing_store.append(node_id)
            missing_log += [f"{node_id}@{v}" for v, t in writes if t not in updates.get(node_id, set())]
        for name, node_id in ledger.imports.items():
            try:
                if store.get_node(node_id).name != name:
                    missing_store.append(node_id)
            except Exception:
                missing_store.append(node_id)
            if node_id not in created:
                missing_log.append(node_id)
        return {"writes": sum(len(w) for w in ledger.writes.values()), "imports": len(ledger.imports),
                "log_entries": len(log), "missing_in_store": missing_store, "missing_in_log": missing_log}
    finally:
        store.close()


def server_errors(log: Path) -> dict[str, int]:
    """The server's logged errors by their last traceback line (exception type and message; no request content)."""
    counts: dict[str, int] = {}
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    for k, line in enumerate(lines):
        if line.startswith("Traceback"):
            last = next((x for x in lines[k + 1:] if x and not x.startswith((" ", "Traceback", "The above", "During"))), "?")
            counts[last[:200]] = counts.get(last[:200], 0) + 1
    return counts


def per_minute(soak: Soak, sample: list[dict]) -> list[dict]:
    rows = []
    for minute in sorted(soak.minutes):
        m = soak.minutes[minute]
        lat = sorted(m.latencies)
        in_minute = [s for s in sample if minute * 60 <= s["t"] < (minute + 1) * 60] or sample[-1:]
        rows.append({"minute": minute + 1, "requests": sum(m.kinds.values()),
                     "answered": sum(m.kinds.values()) - m.kinds.get("dropped", 0), "errors": len(m.errors),
                     "late": m.late, "p50": statistics.median(lat) if lat else float("nan"),
                     "p99": lat[int(0.99 * (len(lat) - 1))] if lat else float("nan"),
                     "rss_mib": in_minute[-1]["rss"] / 2**20, "fds": in_minute[-1]["fds"],
                     "error_kinds": sorted(set(m.errors))[:5]})
    return rows


def markdown(args, cat: dict, rows: list[dict], check: dict, cpu_s: float, load: str) -> str:
    warm = rows[1] if len(rows) > 1 else rows[0]
    growth = (rows[-1]["rss_mib"] - warm["rss_mib"]) / warm["rss_mib"]
    total = sum(r["requests"] for r in rows)
    errors = sum(r["errors"] for r in rows)
    answered = sum(r["answered"] for r in rows)
    name = section_name(args.workers)
    workers = f"{args.workers} workers" if args.workers > 1 else "1 worker"
    lines = [f"<!-- {name}:start -->",
             "## Soak (`bench/soak.py`)" if args.workers == 1 else f"### Soak on {workers}", "",
             f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python bench/soak.py --minutes "
             f"{args.minutes:g} --rate {args.rate:g}{f' --workers {args.workers}' if args.workers > 1 else ''}` "
             f"on {machine()} ({load}).", "",
             f"Catalogue: {cat['resources']:,} resources ({cat['nodes']:,} nodes). One `resourcemap serve` (uvicorn, "
             f"{workers}, SQLite) on loopback; the load from a second process: one request every 1/{args.rate:g} s "
             f"(open loop), {args.clients} keep-alive clients. Mix per 100: "
             + ", ".join(f"{n} {k}" for k, n in MIX) + " (list = `GET /v1/nodes?limit=50` with its cursor or a "
             "category; near = `GET /v1/nodes?near=…&radius=1000`; match = `POST /v1/match`; get = "
             "`GET /v1/nodes/{id}`; write = `PATCH /v1/nodes/{id}` with `If-Match`; import = `POST /v1/import` of a "
             "one-row CSV, written).", "",
             "| minute | requests | errors | released > 1 s late | p50 ms | p99 ms | server RSS MiB | open fds |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['minute']} | {r['requests']:,} | {r['errors']} | {r['late']} | {r['p50']:.1f} | "
                     f"{r['p99']:.1f} | {r['rss_mib']:.0f} | {r['fds']} |")
    kinds = sorted({k for r in rows for k in r["error_kinds"]})
    lines += ["",
              f"**{total:,} requests, {errors} errors**{' (' + '; '.join(kinds) + ')' if kinds else ''}. "
              f"RSS after the first minute {warm['rss_mib']:.0f} MiB → end {rows[-1]['rss_mib']:.0f} MiB "
              f"(**{growth:+.1%}**, target < 5 %). Server CPU {cpu_s:.0f} s over the run "
              f"({1000 * cpu_s / max(1, answered):.2f} ms per request it was sent: {answered:,}, the rest dropped "
              "before sending).", "",
              f"At the end (server stopped, store opened directly): {check['writes']:,} accepted PATCHes and "
              f"{check['imports']} imported rows; **{len(check['missing_in_store'])} missing in the store, "
              f"{len(check['missing_in_log'])} missing in the change log** ({check['log_entries']:,} log entries "
              "written during the soak). Each accepted PATCH must be the node's version and text (its last) and an "
              "`update` entry with its text; each imported row a node with its name and a `create` entry.",
              f"<!-- {name}:end -->"]
    return "\n".join(lines)


def section_name(workers: int) -> str:
    """The marked section of docs/benchmarks.md a run writes: ``soak`` for one worker, ``soak-workers`` else."""
    return "soak" if workers == 1 else "soak-workers"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=100.0, help="requests per second, offered on a fixed schedule")
    ap.add_argument("--clients", type=int, default=16, help="keep-alive clients answering the schedule")
    ap.add_argument("--resources", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the one server")
    ap.add_argument("--write-docs", action="store_true", help="update the Soak section of docs/benchmarks.md")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from resourcemap.geo import load_chome
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.model import RESOURCE_KINDS
    from tests.api.conftest import make_keys, start_server, stop_server

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "soak.db"
        cat = catalogue(db, args.resources)
        keys = make_keys(db, roles=("viewer", "editor"))
        store = SQLiteStore(db, create=False)
        resources = [n for n in store.query_nodes() if n.kind in RESOURCE_KINDS]
        since = store.revision()
        store.close()
        ledger = Ledger(versions={n.id: n.version for n in resources if n.id.startswith("bench.")})
        towns = [(c.town, c.lat, c.lng) for c in load_chome(CITY)]
        categories = sorted({c for n in resources for c in n.categories})[:20]
        server_log = Path(tmp) / "server.log"
        server = start_server(db, timeout=300, workers=args.workers, stderr=server_log)
        sample: list[dict] = []
        load0 = os.getloadavg()[0]
        cpu0 = server_cpu_s(server.proc.pid)
        try:
            soak = Soak(server.url, keys, ledger, towns, [n.id for n in resources], categories)
            drive(soak, rate=args.rate, seconds=args.minutes * 60, clients=args.clients, server_pid=server.proc.pid,
                  sample=sample)
            cpu = server_cpu_s(server.proc.pid) - cpu0
        finally:
            stop_server(server)
        load = f"load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, from other work on 2 cores"
        check = verify(db, ledger, since)
        check["server_errors"] = server_errors(server_log)
    rows = per_minute(soak, sample)
    print(json.dumps({"minutes": rows, "check": check}, ensure_ascii=False, indent=1), file=sys.stderr)
    section = markdown(args, cat, rows, check, cpu, load)
    print(section)
    if args.write_docs:
        from _sections import write_section

        write_section(section_name(args.workers), section)


if __name__ == "__main__":
    main()
