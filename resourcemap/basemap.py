"""The offline background of every map: enough to tell where a place is, with no tile server.

Why: a 会議室 or a 庁内 PC often has no internet, and a map with nothing behind the coloured
町丁目 told nobody where anything was. Everything here comes from the packaged geography and
the catalogue — the municipal boundary, the 町丁目 names at their representative points (shown
when zoomed in), the areas (圏域) as outlines, and major public facilities as small landmarks —
so the base works offline and costs a few kilobytes. An online tile layer can be added on top by
one setting (``RESOURCEMAP_TILES``, :class:`resourcemap.config.TileLayer`), with its credit.

Landmarks are the catalogue's *sites* placed at an exact or address point (never a 町丁目 or town
representative point, which would put a facility where it is not): imported public facilities
(nodes with ``external_ids``, with their publisher's credit) when the catalogue has them, else
the placed hubs and agencies of the plans.
"""
from __future__ import annotations

from typing import Any

from .config import TileLayer
from .geo import area_polygons, boundary, chome_units
from .graph.readmodel import ReadModel

__all__ = ["base_layers", "LANDMARK_KINDS", "MAX_LANDMARKS"]

LANDMARK_KINDS = ("hub", "agency")
MAX_LANDMARKS = 400
_POINT = ("exact", "address")


def _geometry(geom: Any) -> dict[str, Any]:
    from shapely.geometry import mapping

    return mapping(geom.simplify(0.00005, preserve_topology=True))


def landmarks(rm: ReadModel, code: str) -> list[dict[str, Any]]:
    """Placed public facilities of the municipality: name, kind, point (imported sites first)."""
    sites = [n for n in rm.nodes(city=code) if n.located and n.location_precision in _POINT
             and n.status == "active" and n.kind in ("hub", "agency", "place")]
    imported = [n for n in sites if getattr(n, "external_ids", None)]
    chosen = imported or [n for n in sites if n.kind in LANDMARK_KINDS]
    chosen.sort(key=lambda n: (n.kind != "hub", n.name, n.id))
    return [{"name": n.name, "kind": n.kind, "lat": n.lat, "lng": n.lng} for n in chosen[:MAX_LANDMARKS]]


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
