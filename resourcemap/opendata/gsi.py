"""国土地理院 指定避難所 / 指定緊急避難場所: the official CSV, the CSV with city codes, or the per-city GeoJSON.

Why one reader for three shapes: they carry the same GSI fields under the same names — the
official ``mergeFromCity_1.csv`` (指定避難所) / ``_2.csv`` (指定緊急避難場所) with ``緯度``/``経度`` and
no municipality code, the shipped national CSV with ``city_code5``/``city_code6``/``lat``/``lng``
added, and the per-city GeoJSON with the point as geometry. Which list a file is comes from its
columns (受入対象者 → 指定避難所; the hazard columns 洪水… → 指定緊急避難場所). The municipality of a
row is ``city_code5`` when present, else the 5 digits inside ``共通ID`` (``E`` + code + serial +
designation), which equal ``city_code5`` on every row of the national file.

GSI has no facility type: :mod:`.mapping` reads it from the name (小学校, 公民館, 児童センター …).
A site listed twice in one list (a 福祉避難所 designation beside the general one: 共通ID ending
121 and 111, same name and address) is one site: the rows are merged and the site keeps both
ids, joined by ``+``.
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import InputError
from .files import Table, decompress, header_key, read_text
from .mapping import load_mapping
from .rows import ReadResult, RowSink, Scope, SiteRow

__all__ = ["read_gsi", "HAZARDS"]

#: The 8 hazard columns of 指定緊急避難場所, in GSI order.
HAZARDS = ("洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事", "内水氾濫", "火山現象")
_EVACUATION_MARKS = ("受入対象者", "指定緊急避難場所との住所同一")
_EMERGENCY_MARKS = ("洪水", "指定避難所との住所同一")


def _which(columns: set[str]) -> str | None:
    keys = {header_key(c) for c in columns}
    if any(header_key(m) in keys for m in _EVACUATION_MARKS):
        return "gsi-evacuation"
    if any(header_key(m) in keys for m in _EMERGENCY_MARKS):
        return "gsi-emergency"
    return None


def read_gsi(data: bytes, name: str, scope: Scope) -> ReadResult:
    raw = decompress(data)
    head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"{":
        return _read_geojson(raw, name, scope)
    return _read_csv(read_text(raw), name, scope)


_MARKED = frozenset({"1", "○", "〇", 1})


def _description(dataset: str, values: dict[str, Any]) -> str:
    if dataset == "gsi-emergency":
        hazards = [h for h in HAZARDS if values.get(h) in _MARKED]
        return "指定緊急避難場所" + (f"（対象とする災害: {'・'.join(hazards)}）" if hazards else "")
    who = str(values.get("受入対象者") or "").strip()
    return "指定避難所" + (f"（受入対象者: {who}）" if who else "")


def _categories(dataset: str, pid: str, values: dict[str, Any]) -> tuple[str, ...]:
    if dataset == "gsi-emergency":
        return ("shelter.emergency",)
    welfare = "要配慮" in str(values.get("受入対象者") or "") or pid[-3:-1] == "12"
    return ("shelter.evacuation", "shelter.welfare") if welfare else ("shelter.evacuation",)


class _Reader:
    def __init__(self, dataset: str, scope: Scope) -> None:
        self.dataset = dataset
        self.sink = RowSink(dataset, "gsi-shelters", scope)
        self.rules = load_mapping().shelter_names
        self.by_key: dict[tuple[str, str, str], SiteRow] = {}

    def add(self, row: int, city: str, values: dict[str, Any], columns: dict[str, str], lat: Any, lng: Any,
            point_column: tuple[str, str]) -> None:
        """One in-scope row (the caller counted it and checked its municipality)."""
        pid = str(values.get("共通ID") or "").strip()
        name = str(values.get("施設・場所名") or "").strip()
        address = str(values.get("住所") or "").strip()
        first = self.by_key.get((city, name, address))
        if first is not None and pid and name:  # the same site listed again (another designation)
            first.pid = "+".join(sorted({*first.pid.split("+"), pid}))
            self.sink.saw(pid, row)
            first.categories = tuple(dict.fromkeys((*first.categories, *_categories(self.dataset, pid, values))))
            return
        rule = self.rules.find(name)
        if rule is self.rules.fallback:
            self.sink.repaired("施設名から種別が分からないため「避難施設（未分類）」として取り込む行")
        site = self.sink.site(
            row, pid=pid, pid_column=columns.get("共通ID", "共通ID"), city=city, name=name,
            name_column=columns.get("施設・場所名", "施設・場所名"), rule=rule, type_value=None, type_column=None,
            extra_categories=_categories(self.dataset, pid, values),
            raw={"lat": (lat, point_column[0]), "lng": (lng, point_column[1]),
                 "address": (address, columns.get("住所", "住所")),
                 "description": (_description(self.dataset, values), "")})
        if site is not None:
            self.by_key[(city, name, address)] = site


def _city_of(pid: str) -> str | None:
    """The municipality code inside a 共通ID (``E`` + 5-digit code + …)."""
    code = pid.strip()[1:6]
    return code if len(code) == 5 and code.isdigit() else None


def _read_csv(text: str, name: str, scope: Scope) -> ReadResult:
    table = Table(text, name)
    dataset = _which(set(table.headers))
    if dataset is None:
        raise InputError(f"{name} は国土地理院の指定避難所・指定緊急避難場所の CSV ではありません"
                         "（「受入対象者」または「洪水」などの列が必要です）。")
    reader = _Reader(dataset, scope)
    sink = reader.sink
    cols: dict[str, int] = {}
    for field, names in (("共通ID", ("共通ID",)), ("施設・場所名", ("施設・場所名",)), ("lat", ("lat", "緯度")),
                         ("lng", ("lng", "経度"))):
        i = table.column(*names)
        if i is None:
            sink.missing(1, names[-1], f"必須の列「{names[-1]}」がありません")
        else:
            cols[field] = i
    if sink.result.errors:
        return sink.finish()
    for field in ("住所", "受入対象者", *HAZARDS):
        if (i := table.column(field)) is not None:
            cols[field] = i
    columns = {f: table.name(i) for f, i in cols.items()}
    point = (columns["lat"], columns["lng"])
    lat_i, lng_i, pid_i = cols.pop("lat"), cols.pop("lng"), cols["共通ID"]
    code_i = table.column("city_code5")
    items = list(cols.items())
    accepts, result = scope.accepts, sink.result
    for n, cells in table.rows():
        result.rows_read += 1
        city = cells[code_i].strip() if code_i is not None else _city_of(cells[pid_i])
        if not city:
            sink.error(n, columns["共通ID"], f"共通ID {cells[pid_i]!r} から市区町村コードが読めません")
            continue
        if not accepts(city):
            result.outside += 1
            continue
        reader.add(n, city, {f: cells[i] for f, i in items}, columns, cells[lat_i], cells[lng_i], point)
    return sink.finish()


def _read_geojson(raw: bytes, name: str, scope: Scope) -> ReadResult:
    try:
        doc = json.loads(read_text(raw))
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} の JSON が読めません（{exc.msg}, 行 {exc.lineno}）。") from None
    if isinstance(doc, dict) and doc.get("type") == "unavailable":
        raise InputError(f"{name}: {doc.get('message') or 'この自治体のデータは公開されていません。'}"
                         f"（{doc.get('name') or doc.get('code') or ''}）")
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise InputError(f"{name} は GeoJSON の FeatureCollection ではありません。")
    props = [f.get("properties") or {} for f in doc["features"] if isinstance(f, dict)]
    dataset = _which({k for p in props for k in p})
    if dataset is None:
        raise InputError(f"{name} は国土地理院の指定避難所・指定緊急避難場所の GeoJSON ではありません。")
    reader = _Reader(dataset, scope)
    columns = {f: f"properties.{f}" for f in ("共通ID", "施設・場所名", "住所")}
    for n, feat in enumerate(doc["features"], start=1):
        if not isinstance(feat, dict) or not isinstance(feat.get("properties"), dict):
            reader.sink.error(n, "properties", "Feature の properties がありません")
            continue
        geom = feat.get("geometry") or {}
        coords = geom.get("coordinates") if isinstance(geom, dict) and geom.get("type") == "Point" else None
        lng, lat = (coords[0], coords[1]) if isinstance(coords, list) and len(coords) >= 2 else (None, None)
        values = feat["properties"]
        reader.sink.result.rows_read += 1
        city = _city_of(str(values.get("共通ID") or ""))
        if city is None:
            reader.sink.error(n, columns["共通ID"], f"共通ID {values.get('共通ID')!r} から市区町村コードが読めません")
        elif not scope.accepts(city):
            reader.sink.result.outside += 1
        else:
            reader.add(n, city, values, columns, lat, lng, ("geometry", "geometry"))
    return reader.sink.finish()
