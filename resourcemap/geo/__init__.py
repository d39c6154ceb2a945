"""Geography of every municipality of Japan: 町丁目 points, boundaries, geocoding, distances, areas.

Why one package: every coordinate resourcemap shows comes from here, and all of it derives
from the packaged public data in ``resourcemap/geo/data`` (see its NOTICE.md) — nothing is
typed in by hand. Precision is explicit (``chome`` / ``town`` / ``area`` / ``city``). Data is
read per municipality on first use (never all of Japan at import or start-up).
"""
from __future__ import annotations

from .areas import area_point, area_polygons, assign_membership, chome_cells
from .boundaries import boundary, city_point, contains, municipalities_at, projected
from .chome import (
    Chome,
    chome_by_name,
    chome_units,
    load_chome,
    nearest_chome,
    resolve_town,
    split_town,
    unplaced_chome,
)
from .distance import (
    EARTH_RADIUS_M,
    WALK_SPEED_M_PER_MIN,
    arc_for_chord,
    chord_for_arc_m,
    haversine_m,
    to_unit_xyz,
    walk_minutes,
)
from .geocode import GeocodeResult, geocode, town_centroid

__all__ = [
    "Chome", "load_chome", "chome_units", "nearest_chome", "chome_by_name", "resolve_town", "split_town", "unplaced_chome",
    "boundary", "contains", "city_point", "projected", "municipalities_at",
    "GeocodeResult", "geocode", "town_centroid",
    "EARTH_RADIUS_M", "WALK_SPEED_M_PER_MIN", "haversine_m", "walk_minutes", "to_unit_xyz",
    "chord_for_arc_m", "arc_for_chord",
    "chome_cells", "assign_membership", "area_polygons", "area_point",
]
