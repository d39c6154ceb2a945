"""Where a household is: a real 町丁目 point (or the given lat/lng) and the 町丁目 it falls in
(:func:`resourcemap.geo.nearest_chome`: the Voronoi cell of the 町丁目 points the point lies in).
Only the 町丁目 name and the area leave this module for counting; the 番地 of an address is
dropped by the geocoder.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..geo import contains, geocode, nearest_chome
from .request import LocationIn

__all__ = ["Place", "locate_household"]


@dataclass(frozen=True)
class Place:
    """A household's resolved location. ``chome`` is None only for a town-level address."""

    city: str
    lat: float
    lng: float
    chome: str | None
    town: str
    precision: str  # chome | town (address) or exact (lat/lng given)


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
