"""Gap tables as GeoJSON, GeoPackage (opens in GDAL/QGIS) and CSV.

Why these three: GeoJSON is what ``GET /v1/gaps`` returns and what web maps read; a
GeoPackage carries several layers (gap units, resources, candidates) in one file a GIS
officer opens in QGIS; CSV (UTF-8 with BOM, so Excel shows the Japanese) is what the rest of
the 役所 uses. All three come from the same :class:`~.analysis.GapResult`.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from ..io.export import write_attribution_table
from ..model import Node
from ..opendata.site import dataset_of, hours_text
from .analysis import GapResult, unmet_tally

__all__ = ["status_of", "json_safe", "geometry_json", "feature_collection", "write_geojson", "write_gpkg", "write_csv",
           "resources_frame", "candidates_frame", "RESOURCE_CONTACT_COLUMNS"]


def status_of(row: Any) -> str:
    """Display status of a table row: ``covered``, ``gap``, ``gap_unlocated`` (a gap, but the city has
    resources of this category whose place is not registered) or ``low_access``."""
    if not row["gap"]:
        return "covered"
    if row["gap_reason"] == "low_access":
        return "low_access"
    return "gap_unlocated" if row["unlocated"] > 0 else "gap"


def json_safe(v: Any) -> Any:
    """JSON-safe scalar: numpy → Python, NaN/inf → None."""
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if not math.isfinite(f) else f
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if v is pd.NA or v is None:
        return None
    return v


def geometry_json(geom: shapely.Geometry, ndigits: int = 6) -> dict[str, Any] | None:
    """GeoJSON geometry with coordinates rounded to *ndigits* decimals (6 ≈ 0.1 m)."""
    if geom is None or geom.is_empty:
        return None
    return mapping(shapely.transform(geom, lambda c: np.round(c, ndigits)))


_PROPS = ("unit_id", "unit_kind", "unit_name", "area_id", "area_name", "category", "category_label", "measure",
          "threshold_m", "nearest_m", "nearest_id", "count_within", "share_covered", "demand", "access", "gap",
          "gap_reason", "unlocated", "unmet", "candidates")


def feature_collection(result: GapResult, *, ndigits: int = 6) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: one feature per unit × category (CONTRACT.md ``GET /v1/gaps``)."""
    frame = result.units.frame
    geoms = {uid: geometry_json(g, ndigits) for uid, g in zip(frame["unit_id"], frame.geometry)}
    status = {c.id: c.status for c in result.categories}
    feats = []
    for row in result.table.to_dict("records"):
        props = {k: json_safe(row[k]) for k in _PROPS}
        props["status"] = status_of(row)
        props["category_status"] = status[row["category"]]
        props["unmet_suppressed"] = bool(row["unmet_hidden"])  # then `unmet` is the least it can be
        props["unmet_label"] = result.unmet_label(unmet_tally(row))
        feats.append({"type": "Feature", "id": f"{row['unit_id']}|{row['category']}",
                      "geometry": geoms.get(row["unit_id"]), "properties": props})
    return {"type": "FeatureCollection", "features": feats,
            "meta": {"city": result.city.code, "city_name": result.city.name, "unit": result.units.kind,
                     "categories": [c.id for c in result.categories], "generated_at": result.generated_at.isoformat(),
                     "revision": result.revision, "min_precision": result.options.min_precision,
                     "category_status": [c.summary() for c in result.categories],
                     "attribution": result.attribution}}


def write_geojson(result: GapResult, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(feature_collection(result), ensure_ascii=False), encoding="utf-8")
    return path


#: The contact columns of the ``resources`` layer (CONTRACT.md names; lists and mappings as text).
RESOURCE_CONTACT_COLUMNS = ("address", "phone", "email", "url", "hours", "accessibility", "external_ids", "dataset",
                            "source")


def _contact_columns(n: Node) -> dict[str, Any]:
    return {"address": n.address, "phone": n.phone, "email": n.email, "url": n.url,
            "hours": hours_text(n.schedules), "accessibility": "、".join(n.accessibility) or None,
            "external_ids": "、".join(f"{k}:{v}" for k, v in sorted(n.external_ids.items())) or None,
            "dataset": dataset_of(n), "source": n.source}


def resources_frame(result: GapResult) -> gpd.GeoDataFrame:
    """Every resource (or covering coordinator) that counted for a category, one row per (node, category),
    with its contact fields (``hours``: the schedules as text) and where they came from."""
    rows = []
    for info in result.categories:
        for n in info.resources:
            if n.located:
                rows.append({"category": info.id, "category_label": info.label, "id": n.id, "name": n.name,
                             "kind": n.kind, "location_precision": n.location_precision, "city": n.city,
                             "capacity": n.capacity, **_contact_columns(n), "lat": n.lat, "lng": n.lng})
    df = pd.DataFrame(rows, columns=["category", "category_label", "id", "name", "kind", "location_precision",
                                     "city", "capacity", *RESOURCE_CONTACT_COLUMNS, "lat", "lng"])
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lng"], df["lat"]), crs="EPSG:4326")


def candidates_frame(result: GapResult) -> gpd.GeoDataFrame:
    """One row per (gap unit, category, candidate node)."""
    rows = []
    for (unit_id, cat), cands in result.candidates.items():
        for rank, c in enumerate(cands, 1):
            rows.append({"unit_id": unit_id, "category": cat, "rank": rank, "id": c.id, "name": c.name,
                         "kind": c.kind, "basis": c.basis, "reason": c.reason, "distance_m": c.distance_m,
                         "location_precision": c.precision, "lat": c.lat, "lng": c.lng})
    df = pd.DataFrame(rows, columns=["unit_id", "category", "rank", "id", "name", "kind", "basis", "reason",
                                     "distance_m", "location_precision", "lat", "lng"])
    geom = [shapely.Point(lo, la) if la is not None and lo is not None else None
            for la, lo in zip(df["lat"], df["lng"])]
    return gpd.GeoDataFrame(df, geometry=geom, crs="EPSG:4326")


def _flat(result: GapResult, df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["candidates"] = [";".join(c) for c in out["candidates"]]
    out["status"] = [status_of(r) for r in df.to_dict("records")]
    status = {c.id: c.status for c in result.categories}
    out["category_status"] = [status[c] for c in out["category"]]
    return out


def write_gpkg(result: GapResult, path: str | Path) -> Path:
    """A GeoPackage with layers ``gaps`` (unit polygons × categories), ``resources`` and ``candidates``."""
    path = Path(path)
    path.unlink(missing_ok=True)
    gaps = _flat(result, result.geodataframe())
    gaps = gpd.GeoDataFrame(gaps, geometry="geometry", crs="EPSG:4326")
    gaps.to_file(path, layer="gaps", driver="GPKG", engine="pyogrio")
    resources_frame(result).to_file(path, layer="resources", driver="GPKG", engine="pyogrio")
    cands = candidates_frame(result)
    cands = cands[cands.geometry.notna()] if len(cands) else cands
    cands.to_file(path, layer="candidates", driver="GPKG", engine="pyogrio")
    write_attribution_table(path, result.attribution)
    return path


def write_csv(result: GapResult, path: str | Path) -> Path:
    """The gap table (no geometry; ``lat``/``lng`` of each unit's representative point; the credit lines of
    the open data it rests on in ``attribution``, the same on every row)."""
    from ..io.fields import spreadsheet_text

    path = Path(path)
    flat = _flat(result, result.table)
    flat["attribution"] = "／".join(result.attribution) or None
    # every text cell (whatever its column's dtype): quoted when a spreadsheet would run it as a formula (OWASP)
    frame = flat.map(lambda v: spreadsheet_text(v) if isinstance(v, str) else v)
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path
