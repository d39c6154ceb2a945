"""Exporting the catalogue: CSV (the spreadsheet), GeoJSON, GeoPackage and HSDS 3.0 JSON.

Why these four: staff edit a spreadsheet (CSV with Japanese headers, UTF-8 with BOM so that
Excel opens it); GIS tools read GeoJSON and GeoPackage; other resource directories read
Open Referral HSDS. CSV and GeoJSON carry every node field, so export → edit → import loses
nothing (the ``版`` / ``version`` column lets the import notice edits made in between).

Credit: public open data may be shown only with its publisher's credit line. Every row of the CSV, every
feature of the GeoJSON and every row of the GeoPackage carries its own (``出典表示(attribution)``: the plan
document's and each dataset's, :func:`resourcemap.hsds.mapping.attribution_of`; an import reads past it),
the GeoJSON also lists them all at the top (``attribution``), the GeoPackage in a table ``attribution``,
and each HSDS service in ``jp_attribution``.
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from ..cities import resolve_city
from ..errors import InputError
from ..freshness import staleness
from ..graph.stores.base import GraphStore, NodeQuery
from ..hsds.mapping import attribution_of
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
GPKG_ATTRIBUTION_LAYER = "attribution"
_COLUMNS = [f for f in FIELDS if f.name != "locate"]
#: The header of the per-row credit line (an output-only column, :data:`~.fields.OUTPUT_ONLY`).
ATTRIBUTION_HEADER = "出典表示(attribution)"
Dates = Mapping[str, date]


def _credit(node: Node, dates: Dates | None) -> str:
    return attribution_of(node, dates) or ""


def credit_list(nodes: list[Node], dates: Dates | None) -> list[str]:
    """Every distinct credit line of *nodes* (for the top of a GeoJSON, a GeoPackage table), in order."""
    from ..opendata.listing import attributions  # lazily, as hsds.mapping does: opendata imports io

    return attributions(nodes, dates=dates or {})


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


def to_csv(nodes: list[Node], dates: Dates | None = None) -> bytes:
    """The spreadsheet: text cells that a spreadsheet would run as a formula are quoted (OWASP); the last
    column is each row's credit line."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([header_label(f) for f in _COLUMNS] + [ATTRIBUTION_HEADER])
    for n in nodes:
        w.writerow([_csv_cell(f, _value(n, f.name)) for f in _COLUMNS] + [spreadsheet_text(_credit(n, dates))])
    return buf.getvalue().encode("utf-8-sig")


def to_geojson(nodes: list[Node], dates: Dates | None = None) -> bytes:
    features = []
    for n in nodes:
        props = n.public_dict()
        props.pop("lat"), props.pop("lng")
        props["staleness"] = staleness(n)
        props["attribution"] = _credit(n, dates) or None
        geom = {"type": "Point", "coordinates": [n.lng, n.lat]} if n.located else None
        features.append({"type": "Feature", "id": n.id, "geometry": geom, "properties": props})
    doc = {"type": "FeatureCollection", "name": "resourcemap", "attribution": credit_list(nodes, dates),
           "features": features}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def to_gpkg(nodes: list[Node], path: str | Path, dates: Dates | None = None) -> None:
    """Layer ``nodes`` (Point, EPSG:4326; list fields joined with 「、」 as in the CSV; each row's credit line
    in ``attribution``) and table ``attribution`` (every credit line the data needs)."""
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
        row["attribution"] = _credit(n, dates) or None
        rows.append(row)
    geoms = [Point(n.lng, n.lat) if n.located else None for n in nodes]
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=GPKG_CRS)
    frame.to_file(path, layer=GPKG_LAYER, driver="GPKG", engine="pyogrio")
    write_attribution_table(path, credit_list(nodes, dates))


def write_attribution_table(path: str | Path, lines: list[str]) -> None:
    """Add the non-spatial table ``attribution`` (one credit line a row) to the GeoPackage at *path* — when
    there is something to credit (data from the plans and the API alone need none)."""
    import pandas as pd
    import pyogrio

    if not lines:
        return

    pyogrio.write_dataframe(pd.DataFrame({"attribution": lines}, dtype=object), path,
                            layer=GPKG_ATTRIBUTION_LAYER, driver="GPKG")


@dataclass
class Export:
    """An export file's content, and the records left out because they would not validate
    against the format's schema (only HSDS has one): ``{id, name, field, message}`` each."""

    data: bytes
    skipped: list[dict[str, Any]] = field(default_factory=list)


def export_file(store: GraphStore, fmt: str, *, city: str | None = None, kind: str | None = None,
                dataset_dates: Dates | None = None) -> Export:
    """The export in *fmt*. Never fails on stored data: see :attr:`Export.skipped`. *dataset_dates*
    (:func:`resourcemap.opendata.listing.dataset_dates`) dates the open data's credit lines."""
    if fmt not in MEDIA_TYPES:
        raise InputError(f"形式 {fmt!r} には対応していません（geojson, gpkg, csv, hsds）。")
    if fmt == "hsds":
        from .hsds import export_hsds

        skipped: list[dict[str, Any]] = []
        services = export_hsds(store, city=city, skipped=skipped, dataset_dates=dataset_dates)
        return Export(json.dumps(services, ensure_ascii=False, indent=1).encode("utf-8"), skipped)
    nodes = export_nodes(store, city=city, kind=kind)
    if fmt == "csv":
        return Export(to_csv(nodes, dataset_dates))
    if fmt == "geojson":
        return Export(to_geojson(nodes, dataset_dates))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "export.gpkg"
        to_gpkg(nodes, out, dataset_dates)
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
