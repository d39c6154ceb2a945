"""Benchmark: 参加支援 matching — spatial retrieval beside the peer-bench peers, and the full household match.

Part 1 (retrieval) runs the workload of ``../shared/peer-bench`` (resources on real 町丁目 points,
S = 5,000 / M = 100,000 / L = 1,000,000; 2,000 queries "top 10 with tag T within 1.5 km") with
the harness's own generator and timing loop (``common.run_match_loop``), in one process, one
peer after another:

* ``ckdtree`` — the harness's near-limit baseline, the same code as ``peer_ckdtree.py``;
* ``resourcemap`` — :class:`resourcemap.graph.spatial.SpatialIndex` (what ``ReadModel.index``
  is), built from the workload with tags as categories; query = ``SpatialIndex.nearest``;
* ``resourcemap_stream`` — the first 10 of ``match.retrieve.nearest_stream`` (the candidate
  path the matcher reads, with its merge and completeness bookkeeping);
* ``postgis_rowtag`` (and ``postgis`` with ``--postgis-layouts array,rowtag``) — the harness's
  ``peer_postgis.py`` run as a subprocess on a throwaway loopback cluster (``pg_cluster.sh``),
  when its venv (``setup.sh``) is there; gap sweep cut to a 50-point subset (not reported).

Every peer's answers are checked against cKDTree's (same ids, same order, distances within 1e-6 m).

Part 2 (household) times the full match — 2 members × 2 needs, with reasons, team and coordinator —
on the seeded catalogue: in-process (``match_household``), and through HTTP (``POST /v1/match``) on a
real uvicorn server beside that server's own ``GET /health``, interleaved on one keep-alive client.

Nothing of peer-bench is copied: it is imported from ``../shared/peer-bench`` at run time.
Results: printed, and written as the marked section "match" of docs/benchmarks.md (``--no-write`` to skip).

    .venv/bin/python bench/match.py                 # S M L + household (≈ 6 min)
    .venv/bin/python bench/match.py --sizes S --no-postgis --no-write
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from _sections import machine  # bench/_sections.py (bench/ is on sys.path when run)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PEER_BENCH = next((p for p in (Path(os.environ.get("PEER_BENCH", REPO.parent / "shared" / "peer-bench")),)
                   if (p / "common.py").exists()), None)
PG_VENV_PY = Path(os.environ.get("BENCH_PG_PYTHON", "/tmp/benchvenv/bin/python"))
PG_DIR = Path(os.environ.get("BENCH_PG_DIR", "/tmp/rm_match_bench_pg"))
SECTION = "Match"
sys.path.insert(0, str(Path(__file__).resolve().parent))


# -- helpers ------------------------------------------------------------------------------------
def _common(data_dir: Path, out_dir: Path):
    """The harness's common module, pointed at our temp folders (it reads BENCH_* at import)."""
    if PEER_BENCH is None:
        sys.exit("peer-bench not found beside the repository (../shared/peer-bench)")
    os.environ["BENCH_DATA"], os.environ["BENCH_OUT"] = str(data_dir), str(out_dir)
    sys.path.insert(0, str(PEER_BENCH))
    return importlib.import_module("common")


def _p(values_s, q: float) -> float:
    return float(np.percentile(np.asarray(values_s) * 1000.0, q))


def _agree(ref_ids, ref_d, ids, dists) -> tuple[int, float]:
    """(queries with the same ids in the same order, max |Δd| m) against the reference."""
    same = int(np.sum(np.all(ref_ids == ids, axis=1)))
    both = np.isfinite(ref_d) & np.isfinite(dists)
    delta = float(np.max(np.abs(ref_d[both] - dists[both]))) if both.any() else 0.0
    return same, delta


# -- part 1: retrieval ---------------------------------------------------------------------------
def generate(sizes: str, data_dir: Path) -> None:
    subprocess.run([sys.executable, str(PEER_BENCH / "gen_workload.py"), "--sizes", sizes], check=True,
                   env={**os.environ, "BENCH_DATA": str(data_dir)}, stdout=subprocess.DEVNULL)


def run_ckdtree(C, wl):
    from scipy.spatial import cKDTree

    t0 = time.perf_counter()
    n_res = len(wl["res_lat"])
    xyz = C.unit_xyz(wl["res_lat"], wl["res_lng"])
    per_tag = C.tag_index(wl["tag_indptr"], wl["tag_ids"], n_res)
    trees = [cKDTree(xyz[ids], balanced_tree=False, compact_nodes=False) for ids in per_tag]
    build = time.perf_counter() - t0
    chord_r = C.chord_for_arc(C.MATCH_RADIUS_M)

    def match(lat, lng, tag):  # as peer_ckdtree.py
        la, lo = math.radians(lat), math.radians(lng)
        c = math.cos(la)
        d, i = trees[tag].query((c * math.cos(lo), c * math.sin(lo), math.sin(la)), k=C.K, distance_upper_bound=chord_r)
        ok = np.isfinite(d)
        return per_tag[tag][i[ok]], C.arc_for_chord(d[ok])

    return build, C.run_match_loop(match, wl["q_lat"], wl["q_lng"], wl["q_tag"])


def build_index(C, wl):
    from resourcemap.graph.spatial import SpatialIndex

    t0 = time.perf_counter()
    n = len(wl["res_lat"])
    indptr, tags = wl["tag_indptr"], wl["tag_ids"]
    names = [f"t{t:02d}" for t in range(C.N_TAGS)]
    lat, lng = wl["res_lat"].tolist(), wl["res_lng"].tolist()
    index = SpatialIndex.build((str(i), lat[i], lng[i], [names[t] for t in tags[indptr[i]:indptr[i + 1]]])
                               for i in range(n))
    return index, names, time.perf_counter() - t0


def run_resourcemap(C, wl, index, names, stream: bool):
    from resourcemap.match.retrieve import nearest_stream

    radius, k = C.MATCH_RADIUS_M, C.K

    def match(lat, lng, tag):
        if stream:
            found = []
            for item in nearest_stream(index, lat, lng, (names[tag],), radius):
                found.append(item)
                if len(found) == k:
                    break
        else:
            found = index.nearest(lat, lng, k, radius, names[tag])
        return [int(pid) for pid, _ in found], [d for _, d in found]

    return C.run_match_loop(match, wl["q_lat"], wl["q_lng"], wl["q_tag"])


def run_postgis(size: str, layout: str, tmp: Path) -> dict | None:
    """peer_postgis.py as a subprocess, results redirected to *tmp* (peer-bench is read-only)."""
    results = tmp / "pg_results"
    results.mkdir(exist_ok=True)
    code = ("import sys, runpy; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import common; "
            "common.RESULTS_DIR = Path(sys.argv[2]); sys.argv = [sys.argv[1] + '/peer_postgis.py'] + sys.argv[3:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')")
    env = {**os.environ, "PGBENCH_DIR": str(PG_DIR)}
    r = subprocess.run([str(PG_VENV_PY), "-c", code, str(PEER_BENCH), str(results), size, "--layout", layout,
                        "--gap-subset", "50"], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"  postgis {layout} {size} failed: {r.stderr.strip()[-300:]}")
        return None
    peer = "postgis" if layout == "array" else "postgis_rowtag"
    m = json.loads((results / f"{size}_{peer}.json").read_text())
    with np.load(Path(os.environ["BENCH_OUT"]) / f"{size}_{peer}.npz") as z:
        m["_ids"], m["_d"] = z["match_ids"], z["match_d"]
    return m


def pg_cluster(cmd: str) -> bool:
    env = {**os.environ, "PGBENCH_DIR": str(PG_DIR)}
    r = subprocess.run([str(PEER_BENCH / "pg_cluster.sh"), cmd], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"  pg_cluster.sh {cmd}: {r.stderr.strip()[-300:]}")
    return r.returncode == 0


def retrieval(sizes: list[str], tmp: Path, postgis_layouts: list[str]) -> list[dict]:
    C = _common(tmp / "data", tmp / "out")
    print(f"generating the peer-bench workload ({''.join(sizes)}) in {tmp / 'data'} …", flush=True)
    generate("".join(sizes), tmp / "data")
    pg_ok = bool(postgis_layouts) and PG_VENV_PY.exists() and pg_cluster("start")
    rows: list[dict] = []
    try:
        for size in sizes:
            wl = C.load_workload(size)
            n = len(wl["res_lat"])
            build_ck, (ck_ids, ck_d, ck_lat, ck_total) = run_ckdtree(C, wl)
            rows.append(dict(size=size, n=n, peer="ckdtree", build=build_ck, p50=_p(ck_lat, 50), p95=_p(ck_lat, 95),
                             qps=len(ck_lat) / ck_total, same=len(ck_lat), dmax=0.0))
            index, names, build_rm = build_index(C, wl)
            for stream in (False, True):
                ids, dists, lat, total = run_resourcemap(C, wl, index, names, stream)
                same, dmax = _agree(ck_ids, ck_d, ids, dists)
                rows.append(dict(size=size, n=n, peer="resourcemap_stream" if stream else "resourcemap",
                                 build=build_rm, p50=_p(lat, 50), p95=_p(lat, 95), qps=len(lat) / total,
                                 same=same, dmax=dmax))
            del index
            for layout in postgis_layouts if pg_ok else []:
                m = run_postgis(size, layout, tmp)
                if m is None:
                    continue
                same, dmax = _agree(ck_ids, ck_d, m["_ids"], m["_d"])
                rows.append(dict(size=size, n=n, peer=m["peer"], build=m["build_s"], p50=m["match_p50_ms"],
                                 p95=m["match_p95_ms"], qps=m["match_qps"], same=same, dmax=dmax))
            ck_p50 = _p(ck_lat, 50)
            for r in (r for r in rows if r["size"] == size):
                r["x_ck"] = r["p50"] / ck_p50
                print(f"  {size} {r['peer']:<20} p50 {r['p50']:.4f} ms  ×ck {r['x_ck']:.2f}  same {r['same']}/2000",
                      flush=True)
    finally:
        if pg_ok:
            pg_cluster("stop")
    return rows


# -- part 2: the household -------------------------------------------------------------------------
HOUSEHOLD = {"city": "府中市", "location": {"address": "白糸台三丁目"}, "max_distance_m": 4000, "limit": 5,
             "members": [{"age": 52, "needs": ["ボランティア", "居場所"]}, {"age": 83, "needs": ["介護予防", "サロン"]}]}


def _seeded(tmp: Path) -> Path:
    from resourcemap.catalogue import build_catalogue
    from resourcemap.graph.stores.sqlite import SQLiteStore

    db = tmp / "catalogue.db"
    store = SQLiteStore(db)
    build_catalogue(store, "all")
    store.close()
    return db


def household_in_process(db: Path, n: int) -> dict:
    from resourcemap.graph.readmodel import ReadModel
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.match import match_household, parse_request

    store = SQLiteStore(db)
    rm = ReadModel(store)
    body = HOUSEHOLD
    data = match_household(rm, parse_request(body))
    for _ in range(50):
        match_household(rm, parse_request(body))
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        match_household(rm, parse_request(body))  # parse included: the CLI and API both pay it
        lat.append(time.perf_counter() - t0)
    store.close()
    return {"p50": _p(lat, 50), "p95": _p(lat, 95), "n": n, "unmet": len(data["unmet"]),
            "matches": sum(len(r["matches"]) for r in data["results"]), "team": len(data["team"])}


def household_http(db: Path, n: int) -> dict:
    import httpx

    from resourcemap.keys import KeyRing

    ring = KeyRing(db)
    key = ring.create("viewer", "bench")[0]
    ring.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RESOURCEMAP_STORE": f"sqlite:///{db}"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning", "--no-access-log"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            first = client.post("/v1/match", json=HOUSEHOLD)
            first.raise_for_status()
            for _ in range(100):
                client.get("/health")
                client.post("/v1/match", json=HOUSEHOLD)
            health, match = [], []
            for _ in range(n):  # interleaved: both see the same machine noise
                t0 = time.perf_counter()
                r = client.get("/health")
                health.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                m = client.post("/v1/match", json=HOUSEHOLD)
                match.append(time.perf_counter() - t0)
                assert r.status_code == 200 and m.status_code == 200
        return {"health_p50": _p(health, 50), "health_p95": _p(health, 95), "match_p50": _p(match, 50),
                "match_p95": _p(match, 95), "n": n, "bytes": len(first.content)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- report -----------------------------------------------------------------------------------------


def report(rows: list[dict], hh: dict | None, http: dict | None, postgis_note: str) -> str:
    out = [f"## {SECTION}", "",
           f"`bench/match.py`, run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()} (shared; medians).",
           "Workload and timing loop: `../shared/peer-bench` (`gen_workload.py`, `common.run_match_loop`), generated",
           "into a temp folder at run time; all peers below ran in the same run, one after another.", ""]
    if rows:
        out += ["### Retrieval: top 10 with tag T within 1.5 km (2,000 queries)", "",
                "| size | resources | peer | build s | p50 ms | p95 ms | queries/s | p50 ×cKDTree | same answers as cKDTree | max Δd m |",
                "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            out.append(f"| {r['size']} | {r['n']:,} | {r['peer']} | {r['build']:.3g} | {r['p50']:.4f} | {r['p95']:.4f} | "
                       f"{r['qps']:,.0f} | {r['x_ck']:.2f} | {r['same']}/2000 | {r['dmax']:.1e} |")
        out += ["", postgis_note, "",
                "`resourcemap` = `SpatialIndex.nearest` (the read model's index: one cKDTree per category on unit "
                "vectors + a write delta + tombstones, string ids); `resourcemap_stream` = the matcher's candidate "
                "stream (`match.retrieve.nearest_stream`, first 10). Target: p50 within 5× cKDTree at every size.", ""]
    if hh or http:
        out += ["### Full household match (seeded catalogue, 2 members × 2 needs, reasons, team, coordinator)", "",
                f"Request: `{json.dumps(HOUSEHOLD, ensure_ascii=False)}`", ""]
        if hh:
            out.append(f"- in-process `match_household` (request parsing included), {hh['n']:,} calls: "
                       f"**p50 {hh['p50']:.3f} ms**, p95 {hh['p95']:.3f} ms ({hh['matches']} matches, "
                       f"{hh['team']} team members, {hh['unmet']} unmet). Target < 2 ms.")
        if http:
            out.append(f"- HTTP on a real uvicorn server (1 worker, loopback, keep-alive, viewer key), {http['n']:,} "
                       f"interleaved pairs: `GET /health` p50 {http['health_p50']:.3f} ms (p95 {http['health_p95']:.3f}); "
                       f"`POST /v1/match` **p50 {http['match_p50']:.3f} ms** (p95 {http['match_p95']:.3f}, "
                       f"{http['bytes']:,} bytes) = **{http['match_p50'] / http['health_p50']:.2f}× /health**. "
                       "Target ≤ 3×.")
        out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="S M L", help="peer-bench sizes (default: S M L)")
    ap.add_argument("--postgis-layouts", default="rowtag", help="array,rowtag | rowtag | '' ")
    ap.add_argument("--no-postgis", action="store_true")
    ap.add_argument("--no-retrieval", action="store_true")
    ap.add_argument("--no-household", action="store_true")
    ap.add_argument("--calls", type=int, default=2000, help="household calls (in-process and HTTP pairs)")
    ap.add_argument("--no-write", action="store_true", help="print only; do not touch docs/benchmarks.md")
    args = ap.parse_args()
    layouts = [] if args.no_postgis else [x for x in args.postgis_layouts.split(",") if x]
    tmp = Path(tempfile.mkdtemp(prefix="rm_match_bench_"))
    try:
        rows = [] if args.no_retrieval else retrieval(args.sizes.split(), tmp, layouts)
        pg_rows = [r for r in rows if r["peer"].startswith("postgis")]
        if pg_rows:
            note = ("PostGIS: PostgreSQL 15 + PostGIS 3 from Debian on a throwaway loopback cluster "
                    "(`pg_cluster.sh`, benchmark-only durability settings), driven by the harness's `peer_postgis.py` "
                    "(rowtag = its best layout; gap sweep cut to 50 points, not shown). The harness's own RESULTS.md "
                    "(2026-11-22) measured rowtag p50 0.47 / 0.50 / 1.06 ms (S/M/L) on a slower moment of this machine.")
        else:
            note = ("PostGIS was not run here; the harness's RESULTS.md (same machine kind, 2026-11-22) measured "
                    "p50 0.47 / 0.50 / 1.06 ms (rowtag, S/M/L) and 1.5 / 1.7 / 5.9 ms (array).")
        hh = http = None
        if not args.no_household:
            db = _seeded(tmp)
            hh = household_in_process(db, args.calls)
            print(f"household in-process p50 {hh['p50']:.3f} ms", flush=True)
            http = household_http(db, args.calls)
            print(f"household HTTP p50 {http['match_p50']:.3f} ms vs /health {http['health_p50']:.3f} ms", flush=True)
        text = report(rows, hh, http, note)
        print(text)
        if not args.no_write:
            from _sections import write_section  # bench/_sections.py: the shared marked-section writer

            write_section("match", f"<!-- match:start -->\n{text.rstrip()}\n<!-- match:end -->\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
