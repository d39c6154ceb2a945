"""Municipality boundaries (国土数値情報 N03), packaged and repaired.

Two sources: the five seed municipalities keep their finer files (via niiyz/JapanCityGeoJson,
``data/boundaries/<code>.geojson``); every other municipality, 区 and whole 政令市 reads its
member of the national archive (N03 2021, 1 % simplified, shared borders exact). Both are
read on first use and cached per municipality.

Why :func:`shapely.make_valid`: in 府中市 (13206) and 甲州市 (19213) the upstream files write
small 飛び地 parts as *holes lying outside their shell*, which shapely rightly calls invalid;
``make_valid`` turns them into separate polygons (MultiPolygons of 2 and 3 parts) so that
``covers``, ``intersection`` and areas behave. 武蔵村山市's hole is genuine and is kept.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from ..cities import CITIES, SEED_CITIES
from ._common import as_code, read_data_text, read_national
from .chome import chome_by_name

__all__ = ["boundary", "contains", "city_point", "projected", "boundary_projected", "to_projected", "to_wgs84", "prepared",
           "transformer", "municipalities_at", "CITY_HALL_CHOME"]

#: 市役所 町丁目 given by REFERENCE.md (府中市宮西町2丁目24番地, 武蔵村山市本町一丁目1番地の1).
CITY_HALL_CHOME: dict[str, str] = {"13206": "宮西町二丁目", "13223": "本町一丁目"}


def boundary(city_code: str) -> BaseGeometry:
    """The municipality's area as a valid shapely geometry in WGS84 (x = lng, y = lat).

    All features of the packaged FeatureCollection are merged; the result is prepared for
    fast repeated ``covers`` tests. Shapely geometries are immutable, so sharing the cached
    object is safe.
    """
    return _boundary(as_code(city_code))


@lru_cache(maxsize=None)
def _boundary(code: str) -> BaseGeometry:
    if code in SEED_CITIES:
        data = json.loads(read_data_text("boundaries", f"{code}.geojson"))
        parts = [shapely.make_valid(shape(f["geometry"])) for f in data["features"]]
    else:
        text = read_national("boundaries", code)
        if text is None:  # the registry and the archive are built together: this is a packaging bug
            raise RuntimeError(f"the national archive has no boundary for {code}")
        parts = [shapely.make_valid(shape(json.loads(text)))]
    geom = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    if geom.geom_type == "GeometryCollection":  # make_valid may add stray lines; keep the area only
        geom = shapely.union_all([g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
    return prepared(geom)


def prepared(geom: BaseGeometry) -> BaseGeometry:
    """Prepare *geom* for repeated point tests and build GEOS's lazy point index now.

    Why the warm-up call: the index is otherwise built on the first query, which is not safe
    when several API threads hit a freshly cached geometry at once.
    """
    shapely.prepare(geom)
    if not geom.is_empty:
        geom.covers(geom.representative_point())
    return geom


def contains(city_code: str, lat: float, lng: float) -> bool:
    """True when (lat, lng) lies in the municipality or on its border (shapely ``covers``)."""
    return bool(boundary(city_code).covers(Point(lng, lat)))


def municipalities_at(lat: float, lng: float, among: Iterable[str] | None = None) -> list[str]:
    """Codes of the municipalities whose boundary covers (lat, lng), wards before whole 政令市.

    *among* (codes) limits the search, else all of Japan is searched: the registry's bounding
    boxes pick the few candidates, so only their boundaries are read. Usually one code (two
    or more on a shared border, or a ward and its whole city).
    """
    codes = list(among) if among is not None else list(CITIES)
    out = []
    for code in codes:
        minx, miny, maxx, maxy = CITIES[code].bbox
        if minx - _BBOX_MARGIN <= lng <= maxx + _BBOX_MARGIN and miny - _BBOX_MARGIN <= lat <= maxy + _BBOX_MARGIN \
                and contains(code, lat, lng):
            out.append(code)
    return sorted(out, key=lambda c: (CITIES[c].kind == "政令市", c))


#: Degrees added around a registry bounding box (the seed files' finer borders may reach past it).
_BBOX_MARGIN = 0.01


def projected(city_code: str) -> int:
    """EPSG code of the JGD2011 plane rectangular zone used for this city's polygon work (6677 / 6676)."""
    return CITIES[as_code(city_code)].epsg


def _apply(geom: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


@lru_cache(maxsize=None)
def transformer(source_epsg: int, target_epsg: int) -> Transformer:
    """The (x = lng/easting, y = lat/northing) Transformer between two EPSG codes, built once.

    Why cached: building one costs about 2 ms, and the cell and area polygons are transformed one
    by one (147 cells in 府中市). pyproj ≥ 3.1 Transformers are safe to share between threads.
    """
    return Transformer.from_crs(source_epsg, target_epsg, always_xy=True)


def to_projected(city_code: str, geom: BaseGeometry) -> BaseGeometry:
    """*geom* (WGS84 lng/lat) in the city's projected CRS (metres)."""
    return _apply(geom, transformer(4326, projected(city_code)))


def to_wgs84(city_code: str, geom: BaseGeometry) -> BaseGeometry:
    """*geom* from the city's projected CRS back to WGS84 lng/lat."""
    return _apply(geom, transformer(projected(city_code), 4326))


def boundary_projected(city_code: str) -> BaseGeometry:
    """The boundary in the city's projected CRS (metres), cached, for areas and clipping."""
    return _boundary_projected(as_code(city_code))


@lru_cache(maxsize=None)
def _boundary_projected(code: str) -> BaseGeometry:
    return prepared(shapely.make_valid(to_projected(code, boundary(code))))


def city_point(city_code: str) -> tuple[float, float]:
    """A representative (lat, lng) of the municipality that is guaranteed to lie inside it.

    Choice: where REFERENCE.md gives the 市役所 address (府中市宮西町二丁目, 武蔵村山市本町一丁目)
    the point of that 町丁目 is used — it is where residents go and is a real data point. For
    the other cities the boundary's ``representative_point()`` is used (not the centroid, which
    may fall outside a concave or multi-part polygon); it is derived from the real boundary,
    not invented, and is always strictly inside. Precision of anything placed here is ``city``.
    """
    return _city_point(as_code(city_code))


@lru_cache(maxsize=None)
def _city_point(code: str) -> tuple[float, float]:
    if code in CITY_HALL_CHOME:
        c = chome_by_name(code, CITY_HALL_CHOME[code])
        return (c.lat, c.lng)
    p = boundary(code).representative_point()
    return (p.y, p.x)
