"""Units of analysis — 町丁目, areas, JIS X 0410 mesh cells — and the demand points each owns.

Why units own demand points: a measure is taken at the points where people live and then
summarised per unit (:mod:`resourcemap.gaps.measures`). Every point is real geography from
:mod:`resourcemap.geo` (町丁目 representative points, area polygons built from them, the
municipal boundary); nothing is typed in.

* ``chome``: one unit per 町丁目; its polygon is the 町丁目's Voronoi cell clipped to the city
  (:func:`resourcemap.geo.chome_cells`); its one demand point is the 町丁目's point.
* ``area``: one unit per area (福祉エリア, 日常生活圏域 …); polygon = union of its 町丁目 cells;
  demand points = its member 町丁目 points.
* ``mesh500`` / ``mesh1km``: the 2分の1地域メッシュ / 3次メッシュ cells (``jismesh`` levels 4 and 3)
  that touch the municipality, clipped to its boundary; one demand point each, the clipped
  cell's ``representative_point()`` (always inside), weighted by the demand of the 町丁目
  points the cell holds.

Weights: a mapping 町丁目 name → demand (population or a municipality's column). Without one,
every 町丁目 weighs 1 ("equal weights").
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal, get_args

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from ..errors import InputError
from ..geo import (
    area_point,
    area_polygons,
    boundary,
    chome_cells,
    haversine_m,
    to_unit_xyz,
)
from ..geo._common import as_code

__all__ = ["UnitKind", "UNIT_KINDS", "Units", "build_units", "mesh_cells", "MESH_LEVELS"]

UnitKind = Literal["chome", "area", "mesh500", "mesh1km"]
UNIT_KINDS: tuple[str, ...] = get_args(UnitKind)
#: jismesh level of each mesh unit: 3 = 3次メッシュ (1 km), 4 = 2分の1地域メッシュ (500 m).
MESH_LEVELS: dict[str, int] = {"mesh1km": 3, "mesh500": 4}


@dataclass
class Units:
    """Units of one kind in one city, and their demand points.

    ``frame`` (EPSG:4326, index 0…n-1) has ``unit_id``, ``name``, ``area_id``, ``lat``/``lng`` (a
    representative point inside the unit), ``demand`` (sum of its points' weights) and
    ``geometry``. Point arrays are aligned: ``owner[i]`` is the row in ``frame`` of point ``i``,
    ``town[i]`` the 町丁目 the point stands for (for a mesh cell: the 町丁目 whose Voronoi cell
    holds it). ``members[u]`` lists the 町丁目 of unit ``u`` (for a mesh cell: those whose points
    it holds, and the one its point falls in).
    """

    kind: str
    city: str
    frame: gpd.GeoDataFrame
    lat: npt.NDArray[np.float64]
    lng: npt.NDArray[np.float64]
    weight: npt.NDArray[np.float64]
    owner: npt.NDArray[np.int64]
    town: list[str] = field(default_factory=list)
    members: list[list[str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)

    @cached_property
    def xyz(self) -> npt.NDArray[np.float64]:
        """Unit vectors of the demand points, computed once: every category's queries use them."""
        return to_unit_xyz(self.lat, self.lng)


def _weight_of(weights: Mapping[str, float] | None, town: str) -> float:
    if weights is None:
        return 1.0
    return float(weights.get(town, 0.0))


def _area_of_town(membership: Mapping[str, list[str]]) -> dict[str, str]:
    return {t: a for a, towns in membership.items() for t in towns}


def _chome(code: str, membership: Mapping[str, list[str]], weights: Mapping[str, float] | None) -> Units:
    cells = chome_cells(code)
    area_of = _area_of_town(membership)
    w = np.array([_weight_of(weights, t) for t in cells["town"]])
    frame = gpd.GeoDataFrame({
        "unit_id": list(cells["town"]), "name": list(cells["town"]),
        "area_id": [area_of.get(t) for t in cells["town"]],
        "lat": cells["lat"].to_numpy(), "lng": cells["lng"].to_numpy(), "demand": w,
    }, geometry=list(cells.geometry), crs="EPSG:4326")
    towns = list(cells["town"])
    return Units("chome", code, frame, cells["lat"].to_numpy(float), cells["lng"].to_numpy(float), w,
                 np.arange(len(frame), dtype=np.int64), towns, [[t] for t in towns])


def _area(code: str, membership: Mapping[str, list[str]], names: Mapping[str, str],
          weights: Mapping[str, float] | None) -> Units:
    cells = chome_cells(code)
    point_of = {t: (la, lo) for t, la, lo in zip(cells["town"], cells["lat"], cells["lng"])}
    areas = [a for a in membership if membership[a]]
    if not areas:
        raise InputError("この市区町村にはエリア（町丁目の一覧つき）がありません。--unit chome か mesh500 を使ってください。")
    polys = area_polygons(code, {a: membership[a] for a in areas})
    lat, lng, wt, owner, town = [], [], [], [], []
    rows = []
    unit_members = []
    for i, a in enumerate(areas):
        members = list(dict.fromkeys(t for t in membership[a] if t in point_of))
        unit_members.append(members)
        for t in members:
            lat.append(point_of[t][0])
            lng.append(point_of[t][1])
            wt.append(_weight_of(weights, t))
            owner.append(i)
            town.append(t)
        rlat, rlng = area_point(code, members)
        rows.append({"unit_id": a, "name": names.get(a, a), "area_id": a, "lat": rlat, "lng": rlng,
                     "demand": float(sum(_weight_of(weights, t) for t in members)), "geometry": polys[a]})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    return Units("area", code, frame, np.array(lat), np.array(lng), np.array(wt),
                 np.array(owner, dtype=np.int64), town, unit_members)


@lru_cache(maxsize=16)
def _mesh_cells(code: str, level: int) -> tuple[tuple[int, ...], tuple[shapely.Geometry, ...]]:
    import jismesh.utils as ju

    geom = boundary(code)
    minx, miny, maxx, maxy = geom.bounds
    dlat, dlon = ju.unit_lat(level), ju.unit_lon(level)
    lats = np.arange(np.floor(miny / dlat) * dlat + dlat / 2, maxy + dlat, dlat)
    lons = np.arange(np.floor(minx / dlon) * dlon + dlon / 2, maxx + dlon, dlon)
    glat, glon = np.meshgrid(lats, lons, indexing="ij")
    codes = np.unique(ju.to_meshcode(glat.ravel(), glon.ravel(), level))
    s_lat, w_lon = ju.to_meshpoint(codes, 0, 0)
    n_lat, e_lon = ju.to_meshpoint(codes, 1, 1)
    boxes = shapely.box(w_lon, s_lat, e_lon, n_lat)
    clipped = shapely.intersection(boxes, geom)
    keep = ~shapely.is_empty(clipped) & (shapely.area(clipped) > 0)
    return tuple(int(c) for c in codes[keep]), tuple(clipped[keep])


def mesh_cells(city: str, level: int) -> gpd.GeoDataFrame:
    """JIS X 0410 mesh cells of *level* (3 = 1 km, 4 = 500 m) that overlap *city*, clipped to its boundary."""
    codes, geoms = _mesh_cells(as_code(city), level)
    return gpd.GeoDataFrame({"mesh_code": [str(c) for c in codes]}, geometry=list(geoms), crs="EPSG:4326")


def _mesh(code: str, kind: str, membership: Mapping[str, list[str]], weights: Mapping[str, float] | None) -> Units:
    cells = mesh_cells(code, MESH_LEVELS[kind])
    reps = shapely.point_on_surface(np.asarray(cells.geometry))
    rlat, rlng = shapely.get_y(reps), shapely.get_x(reps)
    chome = chome_cells(code)
    area_of = _area_of_town(membership)
    # each mesh cell's demand: the weights of the 町丁目 points it holds
    pts = shapely.points(chome["lng"].to_numpy(), chome["lat"].to_numpy())
    tree = shapely.STRtree(np.asarray(cells.geometry))
    pi, ci = tree.query(pts, predicate="intersects")
    first: dict[int, int] = {}
    for p, c in zip(pi.tolist(), ci.tolist()):
        first.setdefault(p, c)  # a point on a shared edge counts once
    demand = np.zeros(len(cells))
    inside: list[list[str]] = [[] for _ in range(len(cells))]
    for p, c in sorted(first.items()):
        demand[c] += _weight_of(weights, chome["town"].iat[p])
        inside[c].append(chome["town"].iat[p])
    # area of a cell: the area of the 町丁目 nearest to its representative point (= whose Voronoi cell holds it)
    d = haversine_m(rlat[:, None], rlng[:, None], chome["lat"].to_numpy()[None, :], chome["lng"].to_numpy()[None, :])
    nearest_town = chome["town"].to_numpy()[np.argmin(d, axis=1)]
    frame = gpd.GeoDataFrame({
        "unit_id": cells["mesh_code"].tolist(), "name": cells["mesh_code"].tolist(),
        "area_id": [area_of.get(t) for t in nearest_town], "lat": rlat, "lng": rlng, "demand": demand,
    }, geometry=list(cells.geometry), crs="EPSG:4326")
    towns = [str(t) for t in nearest_town]
    members = [list(dict.fromkeys([*inside[i], towns[i]])) for i in range(len(frame))]
    return Units(kind, code, frame, np.asarray(rlat, float), np.asarray(rlng, float), demand,
                 np.arange(len(frame), dtype=np.int64), towns, members)


def build_units(city: str, kind: str, membership: Mapping[str, list[str]] | None = None,
                names: Mapping[str, str] | None = None, weights: Mapping[str, float] | None = None) -> Units:
    """Units of *kind* (``chome``, ``area``, ``mesh500``, ``mesh1km``) for *city*.

    *membership* maps area id → its 町丁目 names (from the catalogue's area nodes); it gives
    every unit its ``area_id`` and is required for ``area`` units. *names* maps area id → label.
    """
    code = as_code(city)
    membership = dict(membership or {})
    if kind == "chome":
        return _chome(code, membership, weights)
    if kind == "area":
        return _area(code, membership, dict(names or {}), weights)
    if kind in MESH_LEVELS:
        return _mesh(code, kind, membership, weights)
    raise InputError(f"unit {kind!r} はありません。chome / area / mesh500 / mesh1km のいずれかを指定してください。")
