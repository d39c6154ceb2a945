"""Open-data import benchmark: the national 指定避難所 + 指定緊急避難場所 files, one prefecture and all of Japan.

What is compared, in the same run on the same rows: ``resourcemap.opendata.import_open_data``
(read, map types, check every point against its municipality's boundary, build and validate
nodes, diff against the catalogue, write nodes + category index + change log in one
transaction) against a plain ``csv`` + ``sqlite3`` ``executemany`` load of the same rows (the
same files read and decompressed the same way, the same municipality filter, one table of raw
columns). Targets (issue 10): the import within 3× of the plain load, peak memory < 1 GiB.

Every case runs in its own subprocess so that its peak memory (``ru_maxrss``) is its own; each is
repeated and the median taken. The files are the ones shipped in the package
(``resourcemap/opendata/data/national/gsi/*.csv.xz``: 82,557 + 115,402 rows).

Municipality boundaries: the package's national ones (:class:`resourcemap.opendata.PackagedGeography`,
docs/geography.md: wards, and the 20 政令指定都市 as whole cities, whose codes the GSI files use).

    python bench/opendata.py [--repeat 3] [--pref 13] [--only pref|country]

Writes the "Open data" section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import lzma
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _sections import machine, write_section  # noqa: E402

FILES = ("evacuation.csv.xz", "emergency.csv.xz")


def _data_dir() -> Path:
    return ROOT / "resourcemap" / "opendata" / "data" / "national" / "gsi"


def _geography():
    from resourcemap.opendata import PackagedGeography

    return PackagedGeography(), "packaged"


def _accepts(pref: str | None):
    return (lambda code: True) if pref is None else (lambda code: code[:2] == pref)


def run_baseline(pref: str | None) -> dict:
    """csv + sqlite3 executemany of the same rows (same files, same decompression, same filter)."""
    accepts = _accepts(pref)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        conn = sqlite3.connect(Path(tmp) / "plain.db")
        rows_total = 0
        for name in FILES:
            text = lzma.decompress((_data_dir() / name).read_bytes()).decode("utf-8")
            reader = csv.reader(io.StringIO(text, newline=""))
            header = next(reader)
            table = name.split(".")[0]
            conn.execute(f"CREATE TABLE {table}({', '.join(f'c{i}' for i in range(len(header)))})")
            rows = [r for r in reader if accepts(r[0])]
            conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(header))})", rows)
            rows_total += len(rows)
        conn.commit()
        conn.close()
        return {"seconds": time.perf_counter() - t0, "rows": rows_total}


def run_import(pref: str | None) -> dict:
    """Both files through the importer, together, into an empty catalogue (one transaction, errors skipped)."""
    from resourcemap.auxdb import AuxDB
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.opendata import Registry, import_open_data

    geography, _ = _geography()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalogue.db"
        store = SQLiteStore(path)
        registry = Registry(AuxDB(path))
        t0 = time.perf_counter()
        files = [(name, (_data_dir() / name).read_bytes()) for name in FILES]
        r = import_open_data(store, files, "gsi-shelters", pref=pref, dry_run=False, skip_errors=True,
                             geography=geography, registry=registry)
        counts = {"rows_in_scope": r["rows_read"] - r["outside"], "added": r["added"], "matched": r["matched"],
                  "errors": len(r["errors"])}
        seconds = time.perf_counter() - t0
        nodes = store.count_nodes()
        store.close()
        return {"seconds": seconds, "nodes": nodes, **counts}


def _child(kind: str, pref: str | None) -> dict:
    """Run one case in a fresh interpreter; its result plus the child's peak RSS."""
    code = (f"import json, resource, sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import opendata as b; "
            f"r = b.run_{kind}({pref!r}); "
            "r['peak_mib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(r))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(label: str, pref: str | None, repeat: int) -> dict:
    base = [_child("baseline", pref) for _ in range(repeat)]
    imp = [_child("import", pref) for _ in range(repeat)]
    b_s, i_s = statistics.median(x["seconds"] for x in base), statistics.median(x["seconds"] for x in imp)
    rows = imp[0]["rows_in_scope"]
    return {"label": label, "rows": rows, "baseline_rows": base[0]["rows"], "baseline_s": b_s, "import_s": i_s,
            "ratio": i_s / b_s, "baseline_rows_s": base[0]["rows"] / b_s, "import_rows_s": rows / i_s,
            "import_peak_mib": max(x["peak_mib"] for x in imp), "baseline_peak_mib": max(x["peak_mib"] for x in base),
            "nodes": imp[0]["nodes"], "matched": imp[0]["matched"], "errors": imp[0]["errors"], "repeat": repeat}


def section(results: list[dict], geo_note: str) -> str:
    lines = ["<!-- opendata:start -->", "## Open data import (`bench/opendata.py`)", "",
             f"{date.today().isoformat()} · {machine()}", "",
             "The national 国土地理院 指定避難所 (82,557 rows) + 指定緊急避難場所 (115,402 rows) files shipped in the package, "
             "imported together into an empty SQLite catalogue with `resourcemap.opendata.import_open_data` (read, map "
             "types, check every point against its municipality, build and validate nodes, diff, write nodes + category "
             "index + change log in one transaction, rows with errors skipped), against a plain `csv` + `sqlite3` "
             "`executemany` load of the same rows (same files and decompression, same filter) measured in the same run. "
             f"Medians of {results[0]['repeat']} runs, each in its own process (peak memory = its max RSS). "
             f"Boundaries: {geo_note}.", "",
             "| scope | rows | plain load | import | import / plain | rows/s plain | rows/s import | peak MiB plain | "
             "peak MiB import | sites written |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['label']} | {r['rows']:,} | {r['baseline_s']:.2f} s | {r['import_s']:.2f} s | "
                     f"**{r['ratio']:.2f}×** | {r['baseline_rows_s']:,.0f} | {r['import_rows_s']:,.0f} | "
                     f"{r['baseline_peak_mib']:.0f} | {r['import_peak_mib']:.0f} | {r['nodes']:,} |")
    lines += ["", "Target: import within 3× of the plain load, peak memory < 1 GiB. Sites written is fewer than rows: "
              "a place listed in both files (or twice in one, as a 福祉避難所 designation) is one site, and rows with "
              f"errors (points outside their municipality, unknown codes) are left out "
              f"({', '.join(str(r['errors']) for r in results)} errors reported).", "",
              "One prefecture meets the target: both sides spend most of their time decompressing and parsing the "
              "two national files. All of Japan does not: under a profiler the import's time splits into reading and "
              "mapping the rows (≈ ¼), building each node and validating it with the model — `parse_node`, the same "
              "checks as every API write, ≈ 35 µs a node here — (≈ ⅓), writing nodes, their category index and "
              "one change-log entry each, with the store's indexes, in one transaction (≈ ⅕), and finding the sites "
              "the two lists share (≈ ⅙). A raw load does none of that per row; skipping the model's validation "
              "would break the rule that every write is validated once at the boundary, so the gap is reported, "
              "not hidden. Peak memory stays well under 1 GiB (one municipality planned at a time).",
              "<!-- opendata:end -->"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pref", default="13", help="prefecture code of the one-prefecture case (default 13 東京都)")
    ap.add_argument("--only", choices=["pref", "country"])
    ap.add_argument("--no-write", action="store_true", help="print, do not update docs/benchmarks.md")
    args = ap.parse_args(argv)
    _, geo_note = _geography()
    results = []
    if args.only in (None, "pref"):
        results.append(measure(f"one prefecture ({args.pref})", args.pref, args.repeat))
    if args.only in (None, "country"):
        results.append(measure("all Japan", None, args.repeat))
    text = section(results, geo_note)
    print(text)
    if not args.no_write:
        write_section("opendata", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
