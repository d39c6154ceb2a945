"""Reading import files into records: one record per resource, each remembering its row and columns.

Why records and not nodes: an import must report *every* problem with the row and the
column the user typed it in, before anything is written. A :class:`Record` keeps the raw
values under canonical field names plus the label of the column each came from; the
planner (:mod:`resourcemap.io.plan`) turns records into nodes and reports per row. Which reader
reads which format is :mod:`resourcemap.io.readers`'s (so the HSDS reader, which builds records
too, and this module do not import each other).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal

from ..errors import InputError
from .fields import OUTPUT_ONLY, canonical_header, from_spreadsheet_text

__all__ = ["Record", "RecordSet", "Format", "detect_format", "read_csv", "read_geojson",
           "decode_text", "load_json"]

Format = Literal["csv", "geojson", "hsds"]


@dataclass
class Record:
    row: int                                    # CSV: the spreadsheet row (header = 1); JSON: item number from 1
    values: dict[str, Any]                      # canonical field → raw value
    columns: dict[str, str]                     # canonical field → the column as named in the file
    stub: bool = False                          # create only when missing (HSDS organizations/programs)
    edges: list[dict[str, Any]] = field(default_factory=list)  # edges to create (HSDS: organization → service)
    warnings: list[str] = field(default_factory=list)


@dataclass
class RecordSet:
    label: str
    format: Format
    records: list[Record]
    errors: list[dict[str, Any]] = field(default_factory=list)  # file-level: {row, column, message}


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Shift_JIS/CP932 as saved by Excel in Japan."""
    for enc in ("utf-8-sig", "cp932"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("ファイルの文字コードが分かりません。UTF-8 か Shift_JIS で保存してください。")


def load_json(data: bytes, what: str) -> Any:
    """Parse JSON input; any failure (syntax, absurd nesting) is the sender's to fix, never a 500."""
    try:
        return json.loads(decode_text(data))
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} の JSON が読めません（{exc.msg}, 行 {exc.lineno}）。") from None
    except RecursionError:
        raise InputError(f"{what} の JSON の入れ子が深すぎます。") from None


def detect_format(data: bytes, name: str | None = None) -> Format:
    """By extension when it says, else by content (JSON list/page of services → hsds)."""
    suffix = PurePath(name or "").suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix == ".geojson":
        return "geojson"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        doc = load_json(data, "GeoJSON / HSDS")
        if isinstance(doc, dict) and doc.get("type") in ("FeatureCollection", "Feature"):
            return "geojson"
        return "hsds"
    return "csv"


def _map_headers(headers: list[str], errors: list[dict[str, Any]], row: int) -> list[str | None]:
    seen: dict[str, str] = {}
    out: list[str | None] = []
    for h in headers:
        name = canonical_header(h) if h and h.strip() else None
        if h and h.strip() and name is None:
            errors.append({"row": row, "column": h, "message": "この列名は分かりません（docs/api.md の列名一覧を参照）"})
        elif name is not None and name in seen:
            errors.append({"row": row, "column": h, "message": f"列「{seen[name]}」と同じ項目です。どちらか一方にしてください"})
            name = None
        elif name is not None:
            seen[name] = h
        out.append(name)
    return out


def read_csv(data: bytes, name: str = "upload.csv") -> RecordSet:
    """The municipality's spreadsheet: a header row, then one row per resource."""
    text = decode_text(data)
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"CSV が読めません（{exc}）。Excel から「CSV UTF-8」で保存し直してください。") from None
    errors: list[dict[str, Any]] = []
    if not rows:
        raise InputError("CSV が空です。1 行目に列名、2 行目から 1 行 1 資源で書いてください。")
    headers = rows[0]
    names = _map_headers(headers, errors, 1)
    records = []
    for i, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
            errors.append({"row": i, "column": None, "message": f"列が {len(cells)} 個あり、見出し（{len(headers)} 個）より多いです"})
        values, columns = {}, {}
        for h, n, cell in zip(headers, names, cells):
            if n is None or n in OUTPUT_ONLY:
                continue
            values[n], columns[n] = from_spreadsheet_text(cell), h
        records.append(Record(row=i, values=values, columns=columns))
    return RecordSet(label=name, format="csv", records=records, errors=errors)


def _flatten(props: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in props.items():
        if k == "targets" and isinstance(v, dict):
            for sk, sv in v.items():
                out[f"targets.{sk}"] = sv
        else:
            out[k] = v
    return out


def read_geojson(data: bytes, name: str = "upload.geojson") -> RecordSet:
    """A FeatureCollection of Point (or null-geometry) features whose properties are node fields."""
    doc = load_json(data, "GeoJSON")
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise InputError("GeoJSON は FeatureCollection（features の配列）にしてください。")
    records, errors = [], []
    for i, feat in enumerate(doc["features"], start=1):
        if not isinstance(feat, dict) or not isinstance(feat.get("properties") or {}, dict):
            errors.append({"row": i, "column": "properties", "message": "Feature の properties はオブジェクトにしてください"})
            continue
        values, columns = {}, {}
        for key, v in _flatten(feat.get("properties") or {}).items():
            n = canonical_header(key)
            if n is None:
                errors.append({"row": i, "column": f"properties.{key}", "message": "この項目名は分かりません"})
            elif n not in OUTPUT_ONLY:
                values[n], columns[n] = v, f"properties.{key}"
        geom = feat.get("geometry")
        if geom is not None:
            coords = geom.get("coordinates") if isinstance(geom, dict) else None
            if not isinstance(geom, dict) or geom.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
                errors.append({"row": i, "column": "geometry", "message": "geometry は Point（[経度, 緯度]）か null にしてください"})
            else:
                values["lng"], values["lat"] = coords[0], coords[1]
                columns["lng"] = columns["lat"] = "geometry"
                if "location_precision" not in values:
                    values["location_precision"] = "exact"
                    columns["location_precision"] = "geometry"
        records.append(Record(row=i, values=values, columns=columns))
    return RecordSet(label=name, format="geojson", records=records, errors=errors)

