"""National geography benchmark: ``init --city`` cold, geocoding throughput, memory with all of Japan.

Why these three: a municipality that tries resourcemap runs ``init --city`` once (it must not pay
for the other 1,900), coordinators geocode addresses all day (any municipality, written any way),
and a server that serves a 広域 or a prefecture may end up holding much of Japan in memory.

* ``init --city`` cold: a new process per municipality (``resourcemap init --city CODE`` into a
  fresh file) for a random sample of municipalities; the baseline, measured in the same run, is
  the time to read the same municipality's rows with a plain gzip + csv scan of
  ``../shared/geo/jp_chome_points.csv.gz`` (what the package would do without its per-municipality
  archive).
* geocoding: addresses built from real national rows (prefecture + municipality + 町丁目, the 丁目
  number in kanji or digits at random, a 番地 after it), no city given; the baseline is an exact
  dict look-up of the same name (the floor any geocoder pays).
* memory: every municipality's 町丁目 points and boundary loaded in one process (RSS).

    python bench/geo_national.py [--sample 50] [--addresses 100000] [--seed 12]

Writes the "National geography" section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import random
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

from _sections import machine, write_section

POINTS = ROOT.parent / "shared" / "geo" / "jp_chome_points.csv.gz"


def scan_rows(code: str) -> float:
    """Seconds to read one municipality's rows with a plain gzip + csv scan of the national file."""
    t = time.perf_counter()
    with gzip.open(POINTS, "rt", encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.reader(fh) if r[0] == code]
    assert rows
    return time.perf_counter() - t


def init_cold(code: str, tmp: Path) -> float:
    """Seconds of ``resourcemap init --city CODE`` in a new process (cold: nothing cached)."""
    db = tmp / f"{code}.db"
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "resourcemap", "--db", str(db), "init", "--city", code],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"init --city {code} failed: {done.stderr}")
    return elapsed


_IMPORTS = "import resourcemap.cli, resourcemap.cli.cmd_init, resourcemap.catalogue, resourcemap.geo, " \
           "resourcemap.graph.stores.sqlite"


def python_start() -> float:
    """Seconds for the interpreter to start and import what ``init`` imports (part of every cold init)."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", _IMPORTS], check=True)
    return time.perf_counter() - t


def package_read(code: str) -> float:
    """Seconds to read one municipality's rows from the package archive, cold, in a new process (imports excluded)."""
    script = (f"{_IMPORTS}\nimport time\nfrom resourcemap.geo import load_chome, unplaced_chome\n"
              f"t = time.perf_counter(); load_chome({code!r}); unplaced_chome({code!r}); print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return float(done.stdout)


def addresses(n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(address, expected code, expected 町丁目) from real rows of the packaged national archive."""
    from resourcemap.cities import CITIES
    from resourcemap.geo import load_chome
    from resourcemap.textnorm import int_to_kanji

    codes = [c.code for c in CITIES.values() if c.kind != "政令市" and c.chome]
    rows = [(code, r) for code in codes for r in load_chome(code)]
    out = []
    for code, r in rng.sample(rows, min(n, len(rows))):
        city = CITIES[code]
        town = r.town + r.koaza
        if r.number is not None and rng.random() < 0.5:
            town = town.replace(f"{int_to_kanji(r.number)}丁目", f"{r.number}丁目")
        prefix = city.full_name if rng.random() < 0.7 else city.name
        out.append((f"{prefix}{town}{rng.randint(1, 30)}-{rng.randint(1, 20)}", code, r.town))
    return out


def geocode_run(items: list[tuple[str, str, str]]) -> tuple[float, int, int]:
    """(seconds, hits at the right 町丁目, errors) geocoding every address without a city."""
    from resourcemap.errors import GeocodeError
    from resourcemap.geo import geocode

    ok = errors = 0
    t = time.perf_counter()
    for text, code, town in items:
        try:
            r = geocode(text)
        except GeocodeError:
            errors += 1
            continue
        ok += (r.city, r.chome) == (code, town)
    return time.perf_counter() - t, ok, errors


def dict_baseline(items: list[tuple[str, str, str]]) -> float:
    index = {text: (code, town) for text, code, town in items}
    t = time.perf_counter()
    for text, _, _ in items:
        index[text]
    return time.perf_counter() - t


def memory_all() -> tuple[float, float, float]:
    """(RSS MiB before, RSS MiB with all of Japan loaded, seconds to load it), in a new process."""
    code = """
import time, resource
from pathlib import Path
def rss():
    return int(next(l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmRSS')).split()[1]) / 1024
import resourcemap.geo as g
from resourcemap.cities import CITIES
before = rss(); t = time.perf_counter()
for code in CITIES:
    g.load_chome(code); g.boundary(code)
print(before, rss(), time.perf_counter() - t)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, secs = (float(x) for x in done.stdout.split())
    return before, after, secs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--addresses", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    from resourcemap.cities import CITIES

    rng = random.Random(args.seed)
    sample = rng.sample([c.code for c in CITIES.values() if c.chome and c.kind != "政令市"], args.sample)
    start = python_start()
    cold, reads, scans = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for code in sample:
            cold.append(init_cold(code, Path(tmp)))
            reads.append(package_read(code))
            scans.append(scan_rows(code) if POINTS.is_file() else float("nan"))
    biggest = max(sample, key=lambda c: CITIES[c].chome)

    items = addresses(args.addresses, rng)
    secs, ok, errors = geocode_run(items)
    warm, _, _ = geocode_run(items[:20_000])
    base = dict_baseline(items)
    before, after, load_s = memory_all()

    p50, mx, s50, r50 = statistics.median(cold), max(cold), statistics.median(scans), statistics.median(reads)
    slowest = sample[cold.index(mx)]
    section = f"""<!-- geo_national:start -->
## National geography (`bench/geo_national.py`, {date.today().isoformat()})

Machine: {machine()}.

| what | median | max | baseline (same run) | ratio |
|---|---|---|---|---|
| `init --city` cold, new process, {len(sample)} random municipalities (町丁目, areas, store written) | {p50:.2f} s | {mx:.2f} s ({CITIES[slowest].full_name}) | plain gzip+csv scan of the national file for the same rows: median {s50:.2f} s, max {max(scans):.2f} s | {p50 / s50:.1f}× |
| of which interpreter start + imports | {start:.2f} s | | | |
| reading the same municipality's rows from the package, cold (new process, imports excluded) | {r50 * 1000:.1f} ms | {max(reads) * 1000:.1f} ms | the gzip+csv scan above | {s50 / r50:,.0f}× faster |
| geocoding {len(items):,} national addresses (no city given; first pass loads each municipality) | {secs / len(items) * 1e6:.0f} µs/address ({len(items) / secs:,.0f}/s) | | exact dict look-up: {base / len(items) * 1e6:.2f} µs/address | {secs / base:,.0f}× |
| same, warm (20,000 addresses again) | {warm / 20_000 * 1e6:.0f} µs/address ({20_000 / warm:,.0f}/s) | | | |
| memory with all of Japan loaded ({len(CITIES):,} municipalities: 町丁目 points + boundaries) | {after:.0f} MiB RSS ({after - before:.0f} MiB for the geography, {load_s:.1f} s to load) | | target < 1,024 MiB | |

Geocoding accuracy on the sample: {ok:,} of {len(items):,} at the expected 町丁目 ({ok / len(items):.2%}), {errors:,}
errors (a name the data holds twice in one municipality, e.g. with and without 大字, or a 小字 spelled like a 丁目).
The largest sampled municipality was {CITIES[biggest].full_name} ({CITIES[biggest].chome:,} 町丁目). Cold `init`
includes starting Python and importing the CLI, the store and the geometry libraries (the second row); the
per-municipality archive means `init` reads only its own member, where the baseline scan reads all 277,676 rows.
The machine is shared (2 cores): wall times include waiting for the CPU.
<!-- geo_national:end -->
"""
    write_section("geo_national", section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
