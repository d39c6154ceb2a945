"""Areas (福祉エリア, 日常生活圏域 …) as sets of 町丁目, and their polygons.

Why sets of 町丁目: membership is data a municipality supplies (REFERENCE.md); where a
document gives only area names, :func:`assign_membership` derives a *provisional* partition
from towns that certainly belong (``seed_towns``), and the API can replace it later. Polygons
are never drawn by hand: an area's polygon is the union of the Voronoi cells of its 町丁目
points, clipped to the municipal boundary — a standard stand-in when real 町丁目 polygons
are not packaged.

All polygon work happens in the city's JGD2011 plane rectangular CRS (EPSG 6677/6676) on a
1 mm precision grid (so neighbouring cells share exact edges and unions leave no slivers);
results are returned in WGS84.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point
from shapely.geometry.base import BaseGeometry

from ..errors import GeocodeError, InputError
from ._common import as_code, city_name
from .boundaries import boundary, boundary_projected, prepared, projected, to_wgs84, transformer
from .chome import Chome, _unit_index, _units_of, chome_by_name, mean_point, resolve_town, town_key
from .distance import haversine_m

if TYPE_CHECKING:  # geopandas costs ~1.5 s to import: only chome_cells needs it, so it loads there
    import geopandas as gpd

__all__ = ["chome_cells", "assign_membership", "area_polygons", "area_point", "GRID_M"]

#: Precision grid (metres) of all overlay operations in the projected CRS.
GRID_M = 0.001


@lru_cache(maxsize=None)
def _cells_projected(code: str) -> tuple[tuple[Chome, ...], tuple[BaseGeometry, ...]]:
    """Voronoi cells (projected CRS) of the city's 町丁目 units, clipped to the boundary, in unit order."""
    units = _units_of(code)
    if not units:
        return units, ()
    xs, ys = transformer(4326, projected(code)).transform(np.array([c.lng for c in units]),
                                                           np.array([c.lat for c in units]))
    bnd = boundary_projected(code)
    minx, miny, maxx, maxy = bnd.bounds
    pad = 10_000.0 + max(np.ptp(xs), np.ptp(ys))  # a point outside the boundary still gets a cell
    frame = shapely.box(min(minx, xs.min()) - pad, min(miny, ys.min()) - pad,
                        max(maxx, xs.max()) + pad, max(maxy, ys.max()) + pad)
    # Two 町丁目 that share one point (2 pairs in all of Japan) cannot both have a cell: the first
    # in data order gets it, the other an empty one (it still belongs to its area by name).
    first: dict[tuple[float, float], int] = {}
    for i, xy in enumerate(zip(xs.tolist(), ys.tolist())):
        first.setdefault(xy, i)
    distinct = sorted(first.values())
    if len(distinct) == 1:
        raw = np.asarray([frame], dtype=object)
    else:
        vor = shapely.voronoi_polygons(MultiPoint([(xs[i], ys[i]) for i in distinct]), extend_to=frame, ordered=True)
        raw = np.asarray(list(vor.geoms), dtype=object)
    points = shapely.points(xs[distinct], ys[distinct])
    if len(raw) != len(distinct) or not all(shapely.covers(raw, points)):
        raise RuntimeError(f"Voronoi cells of {code} do not match their 町丁目 points")
    clipped = dict(zip(distinct, shapely.intersection(raw, bnd, grid_size=GRID_M)))
    return units, tuple(clipped.get(i, shapely.Polygon()) for i in range(len(units)))


def chome_cells(city: str) -> gpd.GeoDataFrame:
    """Voronoi cells of *city*'s 町丁目 points, clipped to its boundary, in EPSG:4326.

    Columns ``town`` (町丁目 name), ``lat``, ``lng`` (its real point) and ``geometry``; one row per
    distinct 町丁目, in data order. The cells partition the municipality (no overlaps, no gaps).
    Computed once per city; a copy is returned.
    """
    return _cells_wgs84(as_code(city)).copy()


@lru_cache(maxsize=None)
def _cells_wgs84(code: str) -> gpd.GeoDataFrame:
    import geopandas as gpd

    units, cells = _cells_projected(code)
    return gpd.GeoDataFrame(
        {"town": [c.town for c in units], "lat": [c.lat for c in units], "lng": [c.lng for c in units]},
        geometry=[to_wgs84(code, g) for g in cells],
        crs="EPSG:4326",
    )


def _canonical(code: str, names: Iterable[str], what: str) -> list[Chome]:
    """Resolve full 町丁目 names (spelling variants accepted) to units; unknown names raise."""
    out: list[Chome] = []
    for name in names:
        try:
            out.append(chome_by_name(code, name))
        except GeocodeError as exc:
            raise GeocodeError(f"{what}: {exc.detail}", candidates=exc.candidates, city=code) from None
    return out


def assign_membership(city: str, seeds: Mapping[str, list[str]],
                      fixed: Mapping[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Partition every 町丁目 of *city* into areas; returns ``{area_id: [町丁目 name, …]}`` in data order.

    * ``fixed``: areas whose complete 町丁目 list is known (from a document or the
      municipality); used as given and never extended.
    * ``seeds``: per area, town names that certainly belong: a base name (白糸台, 高倉 — 大字
      optional) claims all its 丁目; a full 町丁目 name (白糸台三丁目, 大字高倉) claims just that one.
      A claim by full name (in ``fixed`` or ``seeds``) beats a base-name claim of another area;
      two full-name claims, or two base-name claims, of one 町丁目 by different areas are an error.
    * every remaining 町丁目 joins the seed area of the nearest seed-claimed 町丁目 point
      (haversine; ties broken by area id, then 町丁目 name, so the result is deterministic).

    Raises :class:`GeocodeError` (with candidates) for a name that is not a real town of the
    city, and :class:`InputError` for conflicting claims or when nothing can be assigned.
    """
    code = as_code(city)
    fixed = dict(fixed or {})
    both = sorted(set(fixed) & set(seeds))
    if both:
        raise InputError(f"エリア {both} が fixed と seeds の両方にあります。町丁目の一覧が分かるエリアは fixed だけに書いてください。")
    units = _units_of(code)
    owner: dict[str, tuple[str, int]] = {}  # town → (area, strength: 3 fixed, 2 seed full name, 1 seed base name, 0 nearest)

    def claim(area: str, chome: Chome, strength: int) -> None:
        prev = owner.get(chome.town)
        if prev is None or prev[0] == area:
            owner[chome.town] = (area, max(strength, prev[1] if prev else 0))
        elif prev[1] == strength or min(prev[1], strength) >= 2:
            raise InputError(f"{city_name(code)}の{chome.town}がエリア「{prev[0]}」と「{area}」の両方に割り当てられています。"
                             "どちらか一方にしてください。", city=code, chome=chome.town)
        elif strength > prev[1]:  # a full-name claim overrides another area's base-name claim
            owner[chome.town] = (area, strength)

    for area, names in fixed.items():
        for c in _canonical(code, names, f"エリア「{area}」の町丁目"):
            claim(area, c, 3)
    for area, towns in seeds.items():
        for town in towns:
            try:
                members = resolve_town(code, town)
            except GeocodeError as exc:
                raise GeocodeError(f"エリア「{area}」の seed_towns: {exc.detail}", candidates=exc.candidates,
                                   city=code, area=area) from None
            explicit = town_key(town) in _unit_index(code)  # a full 町丁目 name, not a base
            for c in members:
                claim(area, c, 2 if explicit else 1)

    result: dict[str, list[str]] = {a: [] for a in [*fixed, *seeds]}
    remaining = [c for c in units if c.town not in owner]
    seeded = [c for c in units if c.town in owner and owner[c.town][0] in seeds]
    if remaining and not seeded:
        raise InputError(f"{city_name(code)}の{len(remaining)}町丁目（{remaining[0].town}など）をどのエリアにも割り当てられません。"
                         "seeds に各エリアの町名を1つ以上書いてください。", city=code)
    if remaining:
        d = np.asarray(haversine_m(np.array([[c.lat] for c in remaining]), np.array([[c.lng] for c in remaining]),
                                   np.array([[s.lat for s in seeded]]), np.array([[s.lng for s in seeded]])))
        for i, c in enumerate(remaining):
            best = d[i].min()
            ties = [s for j, s in enumerate(seeded) if d[i, j] <= best + 1e-6]
            winner = min(ties, key=lambda s: (owner[s.town][0], s.town))
            owner[c.town] = (owner[winner.town][0], 0)
    for c in units:
        result[owner[c.town][0]].append(c.town)
    return result


def _frozen(code: str, membership: Mapping[str, Iterable[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Canonical, hashable membership (names resolved, sorted) — the cache key of the polygon functions."""
    seen: dict[str, str] = {}
    out = []
    for area in sorted(membership):
        towns = []
        for c in _canonical(code, membership[area], f"エリア「{area}」の町丁目"):
            if c.town in seen and seen[c.town] != area:
                raise InputError(f"{c.town}がエリア「{seen[c.town]}」と「{area}」の両方にあります。", city=code)
            seen[c.town] = area
            towns.append(c.town)
        out.append((area, tuple(sorted(set(towns)))))
    return tuple(out)


@lru_cache(maxsize=256)
def _union_projected(code: str, towns: tuple[str, ...]) -> BaseGeometry:
    units, cells = _cells_projected(code)
    pos = {c.town: i for i, c in enumerate(units)}
    parts = [cells[pos[t]] for t in towns]
    return shapely.union_all(parts, grid_size=GRID_M) if parts else shapely.Polygon()


@lru_cache(maxsize=256)
def _union_wgs84(code: str, towns: tuple[str, ...]) -> BaseGeometry:
    return prepared(to_wgs84(code, _union_projected(code, towns)))


def area_polygons(city: str, membership: Mapping[str, Iterable[str]]) -> dict[str, BaseGeometry]:
    """Polygon (WGS84) of each area: the dissolved cells of its 町丁目 (empty polygon for an empty area).

    *membership* maps area id → full 町丁目 names (as returned by :func:`assign_membership`); a
    町丁目 may belong to one area only. Cached per (city, membership).
    """
    code = as_code(city)
    return {area: _union_wgs84(code, towns) for area, towns in _frozen(code, membership)}


def area_point(city: str, chome_names: Iterable[str]) -> tuple[float, float]:
    """A representative (lat, lng) of the area made of *chome_names*.

    The mean of the member 町丁目 points when it falls inside the area's polygon (the usual
    case: it is the "middle" of where people live), otherwise — for a crescent-shaped or
    split area — the polygon's ``representative_point()``, which is always inside.
    """
    code = as_code(city)
    towns = tuple(sorted({c.town for c in _canonical(code, chome_names, "area_point の町丁目")}))
    if not towns:
        raise InputError("area_point には町丁目を1つ以上指定してください。", city=code)
    return _area_point(code, towns)


@lru_cache(maxsize=256)
def _area_point(code: str, towns: tuple[str, ...]) -> tuple[float, float]:
    lat, lng = mean_point(chome_by_name(code, t) for t in towns)
    poly = _union_wgs84(code, towns)
    if poly.is_empty:
        raise InputError(f"{city_name(code)}の{'、'.join(towns)}は代表点が境界の外にあり、区域の点を決められません。",
                         city=code)
    bnd = boundary(code)  # the cells were snapped to a 1 mm grid: a point on their edge may lie 1 mm outside it
    if poly.covers(Point(lng, lat)) and bnd.covers(Point(lng, lat)):
        return (lat, lng)
    core = shapely.intersection(poly, bnd)
    p = (poly if core.is_empty else core).representative_point()
    return (p.y, p.x)
