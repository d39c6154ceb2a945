"""Where a household is: a real 町丁目 point (or the given lat/lng) and the 町丁目 it falls in.

Why the nearest 町丁目 point: the areas of resourcemap are sets of 町丁目 whose polygons are the
Voronoi cells of the 町丁目 points (``geo.areas``), so "the cell that contains a point" *is* "the
nearest 町丁目 point" — one KD-tree query instead of a polygon test. Only the 町丁目 name and the
area leave this module for counting; the 番地 of an address is dropped by the geocoder.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.spatial import cKDTree

from ..errors import InputError
from ..geo import chome_units, contains, geocode, to_unit_xyz
from ..geo.chome import Chome
from .request import LocationIn

__all__ = ["Place", "locate_household", "nearest_chome"]


@dataclass(frozen=True)
class Place:
    """A household's resolved location. ``chome`` is None only for a town-level address."""

    city: str
    lat: float
    lng: float
    chome: str | None
    town: str
    precision: str  # chome | town (address) or exact (lat/lng given)


@lru_cache(maxsize=None)
def _chome_tree(city: str) -> tuple[tuple[Chome, ...], cKDTree]:
    units = tuple(chome_units(city))
    xyz = to_unit_xyz(np.array([c.lat for c in units]), np.array([c.lng for c in units]))
    return units, cKDTree(xyz)


def nearest_chome(city: str, lat: float, lng: float) -> Chome:
    """The 町丁目 of *city* whose point is nearest to (lat, lng) — the cell the point lies in."""
    units, tree = _chome_tree(city)
    _, row = tree.query(to_unit_xyz(lat, lng))
    return units[int(row)]


def locate_household(city: str, loc: LocationIn) -> Place:
    """Resolve the request's location inside *city* (a 5-digit code).

    An address goes through the offline geocoder (precision ``chome`` or ``town``); a lat/lng
    must lie inside the municipality and is reported with precision ``exact``.
    """
    if loc.address:
        g = geocode(loc.address, city=city)
        return Place(city, g.lat, g.lng, g.chome, g.town, g.precision)
    lat, lng = float(loc.lat), float(loc.lng)  # type: ignore[arg-type]
    if not contains(city, lat, lng):
        raise InputError("指定された緯度経度は市の区域外です。世帯のある市（city）と座標を確認してください。")
    c = nearest_chome(city, lat, lng)
    return Place(city, lat, lng, c.town, c.base, "exact")
