"""Exporting the catalogue: CSV (the spreadsheet), GeoJSON, GeoPackage and HSDS 3.0 JSON.

Why these four: staff edit a spreadsheet (CSV with Japanese headers, UTF-8 with BOM so that
Excel opens it); GIS tools read GeoJSON and GeoPackage; other resource directories read
Open Referral HSDS. CSV and GeoJSON carry every node field, so export → edit → import loses
nothing (the ``版`` / ``version`` column lets the import notice edits made in between).
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..cities import resolve_city
from ..errors import InputError
from ..freshness import staleness
from ..graph.stores.base import GraphStore, NodeQuery
from ..model import NODE_KINDS, Node
from .fields import FIELDS, TEXT_KINDS, format_cell, header_label, spreadsheet_text

__all__ = ["ExportFormat", "MEDIA_TYPES", "SUFFIXES", "GPKG_LAYER", "GPKG_CRS", "Export", "export_nodes",
           "export_file", "export_bytes", "write_export", "to_csv", "to_geojson", "to_gpkg"]

ExportFormat = Literal["geojson", "gpkg", "csv", "hsds"]
MEDIA_TYPES: dict[str, str] = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3",
                               "csv": "text/csv; charset=utf-8", "hsds": "application/json"}
SUFFIXES: dict[str, str] = {"geojson": ".geojson", "gpkg": ".gpkg", "csv": ".csv", "hsds": ".hsds.json"}
GPKG_LAYER = "nodes"
GPKG_CRS = "EPSG:4326"
_COLUMNS = [f for f in FIELDS if f.name != "locate"]


def export_nodes(store: GraphStore, *, city: str | None = None, kind: str | None = None) -> list[Node]:
    """The live nodes to export (all kinds unless *kind*), ordered by id."""
    if kind is not None and kind not in NODE_KINDS:
        raise InputError(f"kind {kind!r} はありません。使えるのは: {', '.join(NODE_KINDS)}")
    code = resolve_city(city).code if city else None
    return store.query_nodes(NodeQuery(city=code, kind=kind))


def _value(node: Node, name: str) -> Any:
    if name.startswith("targets."):
        return getattr(node.targets, name.split(".", 1)[1])
    value = getattr(node, name)
    if name == "verified_at" and value is not None:
        return value.isoformat()
    if name == "schedules":
        return [s.model_dump(mode="json") for s in value]
    return value


def _csv_cell(f: Any, value: Any) -> str:
    cell = format_cell(f, value)
    return spreadsheet_text(cell) if f.kind in TEXT_KINDS else cell


def to_csv(nodes: list[Node]) -> bytes:
    """The spreadsheet: text cells that a spreadsheet would run as a formula are quoted (OWASP)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([header_label(f) for f in _COLUMNS])
    for n in nodes:
        w.writerow([_csv_cell(f, _value(n, f.name)) for f in _COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def to_geojson(nodes: list[Node]) -> bytes:
    features = []
    for n in nodes:
        props = n.public_dict()
        props.pop("lat"), props.pop("lng")
        props["staleness"] = staleness(n)
        geom = {"type": "Point", "coordinates": [n.lng, n.lat]} if n.located else None
        features.append({"type": "Feature", "id": n.id, "geometry": geom, "properties": props})
    doc = {"type": "FeatureCollection", "name": "resourcemap", "features": features}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def to_gpkg(nodes: list[Node], path: str | Path) -> None:
    """One layer ``nodes`` (Point, EPSG:4326); list fields joined with 「、」 as in the CSV."""
    import geopandas as gpd
    from shapely.geometry import Point

    rows = []
    for n in nodes:
        row: dict[str, Any] = {}
        for f in _COLUMNS:
            if f.name in ("lat", "lng"):
                continue
            v = _value(n, f.name)
            row[f.name.replace(".", "_")] = format_cell(f, v) if isinstance(v, list) else v
        row["staleness"] = staleness(n)
        rows.append(row)
    geoms = [Point(n.lng, n.lat) if n.located else None for n in nodes]
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=GPKG_CRS)
    frame.to_file(path, layer=GPKG_LAYER, driver="GPKG", engine="pyogrio")


@dataclass
class Export:
    """An export file's content, and the records left out because they would not validate
    against the format's schema (only HSDS has one): ``{id, name, field, message}`` each."""

    data: bytes
    skipped: list[dict[str, Any]] = field(default_factory=list)


def export_file(store: GraphStore, fmt: str, *, city: str | None = None, kind: str | None = None) -> Export:
    """The export in *fmt*. Never fails on stored data: see :attr:`Export.skipped`."""
    if fmt not in MEDIA_TYPES:
        raise InputError(f"形式 {fmt!r} には対応していません（geojson, gpkg, csv, hsds）。")
    if fmt == "hsds":
        from .hsds import export_hsds

        skipped: list[dict[str, Any]] = []
        services = export_hsds(store, city=city, skipped=skipped)
        return Export(json.dumps(services, ensure_ascii=False, indent=1).encode("utf-8"), skipped)
    nodes = export_nodes(store, city=city, kind=kind)
    if fmt == "csv":
        return Export(to_csv(nodes))
    if fmt == "geojson":
        return Export(to_geojson(nodes))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "export.gpkg"
        to_gpkg(nodes, out)
        return Export(out.read_bytes())


def export_bytes(store: GraphStore, fmt: str, *, city: str | None = None, kind: str | None = None) -> bytes:
    """The export file's content in *fmt* (records skipped by :func:`export_file` are logged)."""
    return export_file(store, fmt, city=city, kind=kind).data


def write_export(store: GraphStore, fmt: str, out: str | Path, **filters: Any) -> Export:
    """Write the export to *out*; returns what was written and what was skipped."""
    result = export_file(store, fmt, **filters)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_bytes(result.data)
    return result
