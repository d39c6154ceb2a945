"""The offline background of every map: enough to tell where a place is, with no tile server.

Why: a 会議室 or a 庁内 PC often has no internet, and a map with nothing behind the coloured
町丁目 told nobody where anything was. Everything here comes from the packaged geography and
the catalogue — the municipal boundary, the 町丁目 names at their representative points (shown
when zoomed in), the areas (圏域) as outlines, and major public facilities as small landmarks —
so the base works offline and costs a few kilobytes. An online tile layer can be added on top by
one setting (``RESOURCEMAP_TILES``, :class:`resourcemap.config.TileLayer`), with its credit.

Landmarks are the catalogue's *sites* placed at an exact or address point (never a 町丁目 or town
representative point, which would put a facility where it is not): the public facilities of the
imported open data — the municipality's 公共施設一覧 and the 指定避難所・指定緊急避難場所 of 国土地理院,
schools, 公民館 and parks people know — beside the plans' own 拠点; each carries the credit line of
the dataset it came from, which the map shows. Care businesses, clinics and nurseries of the other
datasets are not landmarks (they are private, many, and shown as results where they matter). A
catalogue without imported data falls back to the placed hubs and agencies of the plans.
"""
from __future__ import annotations

from typing import Any

from .config import TileLayer
from .geo import area_polygons, boundary, chome_units
from .graph.readmodel import ReadModel
from .labels import KIND_LABELS
from .model import Node
from .opendata.listing import credit_lines

__all__ = ["base_layers", "landmarks", "LANDMARK_KINDS", "PUBLIC_FACILITY_DATASETS", "MAX_LANDMARKS"]

LANDMARK_KINDS = ("hub", "agency")
#: Imported datasets of public facilities (what a landmark is called, by dataset), in order of preference.
PUBLIC_FACILITY_DATASETS: dict[str, str] = {"std-facilities": "公共施設", "gsi-evacuation": "指定避難所",
                                            "gsi-emergency": "指定緊急避難場所"}
MAX_LANDMARKS = 400
_POINT = ("exact", "address")


def _geometry(geom: Any) -> dict[str, Any]:
    from shapely.geometry import mapping

    return mapping(geom.simplify(0.00005, preserve_topology=True))


def _public_dataset(node: Node) -> str | None:
    return next((d for d in PUBLIC_FACILITY_DATASETS if d in node.external_ids), None)


def landmarks(rm: ReadModel, code: str) -> list[dict[str, Any]]:
    """Placed public facilities of the municipality: ``{"name", "kind", "what", "lat", "lng", "credit"}`` —
    the imported public facilities and the plans' hubs (else the plans' hubs and agencies), hubs first."""
    sites = [n for n in rm.nodes(city=code) if n.located and n.location_precision in _POINT
             and n.status == "active" and n.kind in ("hub", "agency", "place")]
    public = [n for n in sites if _public_dataset(n) is not None]
    if public:
        chosen = public + [n for n in sites if n.kind == "hub" and not n.external_ids]
    else:
        chosen = [n for n in sites if n.kind in LANDMARK_KINDS and not n.external_ids]
    chosen.sort(key=lambda n: (n.kind != "hub", n.name, n.id))
    out = []
    for n in chosen[:MAX_LANDMARKS]:
        dataset = _public_dataset(n)
        what = KIND_LABELS[n.kind] if n.kind == "hub" or dataset is None else PUBLIC_FACILITY_DATASETS[dataset]
        credit = credit_lines([dataset], {}) if dataset else []
        out.append({"name": n.name, "kind": n.kind, "what": what, "lat": n.lat, "lng": n.lng,
                    "credit": credit[0] if credit else None})
    return out


def base_layers(rm: ReadModel, code: str, *, tiles: TileLayer | None = None) -> dict[str, Any]:
    """The background of a map of municipality *code*, as JSON for the page's script."""
    muni = next(rm.nodes(kind="municipality", city=code), None)
    areas = [n for n in rm.nodes(kind="area", city=code) if n.chome and n.level != "市全域"]
    level = muni.primary_area_level if muni is not None and muni.primary_area_level else None
    if level and any(a.level == level for a in areas):
        areas = [a for a in areas if a.level == level]
    polys = area_polygons(code, {a.id: a.chome for a in areas}) if areas else {}
    names = {a.id: a.name for a in areas}
    return {
        "boundary": _geometry(boundary(code)),
        "chome": [{"name": c.town, "lat": round(c.lat, 6), "lng": round(c.lng, 6)} for c in chome_units(code)],
        "areas": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": _geometry(g), "properties": {"name": names[a]}}
            for a, g in polys.items()]},
        "landmarks": landmarks(rm, code),
        "tiles": {"url": tiles.url, "attribution": tiles.attribution} if tiles else None,
    }
