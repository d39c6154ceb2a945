"""町丁目/大字 representative points of any municipality of Japan (real data, packaged).

Where the rows come from: the five seed municipalities from ``data/chome_points.csv`` (as
before), every other one from its member of the national archive (``data/japan/<pref>.zip``), read on
first use and cached per municipality. A 政令市 as a whole (横浜市 14100) is made of its wards'
rows with each town prefixed by its ward (鶴見区朝日町一丁目), because town names repeat across
wards and addresses of the whole city are written that way (横浜市鶴見区朝日町一丁目).

Why a dataclass with ``base`` and ``number``: 福祉エリア seeds, ``locate: {town: …}`` and the
geocoder all reason about a *town* (白糸台) made of numbered 丁目 (白糸台一〜六丁目), while the
data only lists full names. Splitting once here keeps that logic in one place.

Naming rules taken from the data (Geolonia 住所データ):

* ``白糸台三丁目`` → base ``白糸台``, number 3;
* ``大字二本木`` → base ``二本木``, number ``None``: the 大字 prefix is dropped from ``base``
  because addresses are written with or without it (入間市二本木 = 入間市大字二本木);
* ``宮寺``, ``塩山赤尾`` → base = the name, number ``None``;
* in 入間市 and 武蔵村山市 a 大字 and numbered 丁目 share a base (大字高倉 and 高倉一〜五丁目):
  the base name 高倉 then means all of them, the full name 大字高倉 only the 大字.
* one 甲州市 row carries a 小字 (塩山下塩後 / 向原) next to the plain 塩山下塩後 row. Areas and
  town centroids use one point per distinct town name (:func:`chome_units`), the row without
  小字; the 小字 row stays available to the geocoder.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..cities import CITIES, wards_of
from ..errors import GeocodeError
from ..textnorm import kanji_to_int, normalize
from ._common import as_code, city_name, close_names, read_data_text, read_national

__all__ = [
    "Chome",
    "load_chome",
    "chome_units",
    "nearest_chome",
    "chome_by_name",
    "resolve_town",
    "split_town",
    "suggest",
    "town_key",
    "base_key",
    "mean_point",
    "unplaced_chome",
]

_CHOME_SUFFIX = re.compile(r"^(?P<base>.+?)(?P<num>[〇一二三四五六七八九十]+)丁目$")
OAZA = "大字"


@dataclass(frozen=True)
class Chome:
    """One 町丁目/大字 point. ``city`` is the 5-digit code; ``lat``/``lng`` are WGS84 degrees."""

    city: str
    town: str
    koaza: str
    lat: float
    lng: float
    base: str
    number: int | None

    @property
    def label(self) -> str:
        """Town name followed by the 小字 when there is one (塩山下塩後向原)."""
        return self.town + self.koaza


def split_town(town: str) -> tuple[str, int | None]:
    """Split a 町丁目 name into (base, 丁目 number): 白糸台三丁目 → (白糸台, 3); 大字宮寺 → (宮寺, None)."""
    m = _CHOME_SUFFIX.match(town)
    if m:  # (a town called 大字 itself — 八潮市大字二丁目 — keeps it)
        return m.group("base").removeprefix(OAZA) or m.group("base"), kanji_to_int(m.group("num"))
    return town.removeprefix(OAZA) or town, None


def town_key(name: str) -> str:
    """Lookup key of a full 町丁目 name (normalised, 大字 kept)."""
    return normalize(name)


def base_key(name: str) -> str:
    """Lookup key of a town/base name: normalised, without a leading 大字."""
    return normalize(name).removeprefix(OAZA)


def mean_point(points: Iterable[Chome]) -> tuple[float, float]:
    """(lat, lng) mean of real 町丁目 points, rounded to 1e-6° (the data's own precision).

    The one place a town centroid (白糸台 → 白糸台一〜六丁目) or an area's middle is computed.
    """
    pts = list(points)
    return (round(sum(c.lat for c in pts) / len(pts), 6), round(sum(c.lng for c in pts) / len(pts), 6))


def _parse(city: str | None, text: str, prefix: str = "") -> tuple[list[Chome], list[str]]:
    """Rows of one CSV text → (points, names of rows without coordinates), in data order.

    *city* None: the seed file, whose rows carry their own ``city_code``; *prefix* is put before
    every town (a ward's name when its rows make up a whole 政令市).
    """
    points: list[Chome] = []
    unplaced: list[str] = []
    for row in csv.DictReader(io.StringIO(text, newline="")):
        town = prefix + row["town"]
        if not row["lat"] or not row["lng"]:
            unplaced.append(town + row["koaza"])
            continue
        base, number = split_town(row["town"])  # 大字 dropped before the ward prefix goes on
        points.append(Chome(city or row["city_code"], town, row["koaza"], float(row["lat"]), float(row["lng"]),
                            prefix + base, number))
    return points, unplaced


@lru_cache(maxsize=1)
def _seed_rows() -> tuple[Chome, ...]:
    """The packaged seed file (five municipalities), parsed once. It has no rows without coordinates."""
    return tuple(_parse(None, read_data_text("chome_points.csv"))[0])


@lru_cache(maxsize=None)
def _national(code: str) -> tuple[tuple[Chome, ...], tuple[str, ...]]:
    """One municipality's rows from the national archive (a whole 政令市: its wards', prefixed)."""
    text = read_national("points", code)
    if text is not None:
        points, unplaced = _parse(code, text)
        return tuple(points), tuple(unplaced)
    points, unplaced = [], []
    city = CITIES[code]
    for ward in wards_of(code):
        p, u = _parse(code, read_national("points", ward.code) or "town,koaza,lat,lng\n",
                      prefix=ward.name.removeprefix(city.name))
        points += p
        unplaced += u
    return tuple(points), tuple(unplaced)


@lru_cache(maxsize=None)
def _rows_of(code: str | None) -> tuple[Chome, ...]:
    """Rows with a point: of *code*, or (None) of the five seed municipalities together."""
    seeds = _seed_rows()
    if code is None:
        return seeds
    own = tuple(c for c in seeds if c.city == code)
    return own or _national(code)[0]


def unplaced_chome(city: str) -> list[str]:
    """Names of *city*'s 町丁目 rows that the data gives without coordinates (never placed, reported)."""
    return list(_national(as_code(city))[1])


def load_chome(city_code: str | None = None) -> list[Chome]:
    """All 町丁目 points of one municipality (a code or a name), in data order.

    Without *city_code*: the points of the five seed municipalities (never all of Japan).

    Cached; a new list is returned each time so callers cannot alter the cache.
    """
    return list(_rows_of(None if city_code is None else as_code(city_code)))


@lru_cache(maxsize=None)
def _units_of(code: str) -> tuple[Chome, ...]:
    seen: dict[str, Chome] = {}
    for c in _rows_of(code):
        if c.town not in seen or (seen[c.town].koaza and not c.koaza):
            seen[c.town] = c
    return tuple(seen.values())


def chome_units(city: str) -> list[Chome]:
    """One point per distinct 町丁目 name of *city* (the row without 小字): the units areas are made of."""
    return list(_units_of(as_code(city)))


@lru_cache(maxsize=None)
def _unit_tree(code: str) -> tuple[tuple[Chome, ...], Any]:
    import numpy as np
    from scipy.spatial import cKDTree

    from .distance import to_unit_xyz

    units = _units_of(code)
    return units, cKDTree(to_unit_xyz(np.array([c.lat for c in units]), np.array([c.lng for c in units])))


def nearest_chome(city: str, lat: float, lng: float) -> Chome:
    """The 町丁目 of *city* whose point is nearest to (lat, lng) — the cell the point lies in.

    Why the nearest point: the areas of resourcemap are sets of 町丁目 whose polygons are the
    Voronoi cells of the 町丁目 points (:mod:`.areas`), so "the cell that contains a point" *is*
    "the nearest 町丁目 point" — one KD-tree query instead of a polygon test.
    """
    from .distance import to_unit_xyz

    units, tree = _unit_tree(as_code(city))
    _, row = tree.query(to_unit_xyz(lat, lng))
    return units[int(row)]


@lru_cache(maxsize=None)
def _unit_index(code: str) -> dict[str, Chome]:
    return {town_key(c.town): c for c in _units_of(code)}


@lru_cache(maxsize=None)
def _suggest_index(code: str) -> dict[str, list[str]]:
    """Normalised key → display names, for 'did you mean' lists (full names and base names)."""
    out: dict[str, list[str]] = {}
    for c in _units_of(code):
        out.setdefault(town_key(c.town), []).append(c.town)
        if c.number is not None:
            out.setdefault(base_key(c.base), []).append(c.base)
    return {k: sorted(set(v), key=v.index) for k, v in out.items()}


def suggest(city: str, name: str, n: int = 5) -> list[str]:
    """Real 町丁目/town names of *city* closest to *name* (best first)."""
    return close_names(normalize(name), _suggest_index(as_code(city)), n=n)


def chome_by_name(city: str, town: str) -> Chome:
    """The 町丁目 called *town* in *city* (spelling variants and a missing/extra 大字 accepted).

    Raises :class:`GeocodeError` listing the closest real names when there is no such 町丁目;
    use :func:`resolve_town` for a bare town name such as 白糸台.
    """
    code = as_code(city)
    index = _unit_index(code)
    key = town_key(town)
    for k in (key, key.removeprefix(OAZA), OAZA + key):
        if k in index:
            return index[k]
    cands = suggest(code, town)
    hint = f" 候補: {'、'.join(cands)}" if cands else ""
    raise GeocodeError(f"{city_name(code)}に町丁目「{town}」はありません。正しい町丁目名（例: 白糸台三丁目、大字宮寺）を指定してください。{hint}",
                       candidates=cands, city=code)


def resolve_town(city: str, name: str) -> list[Chome]:
    """The 町丁目 units *name* stands for in *city*, in data order.

    A full 町丁目 name (白糸台三丁目, 大字高倉) gives that one unit; a town/base name (白糸台,
    高倉, 二本木) gives every unit with that base (大字 optional). Raises :class:`GeocodeError`
    with the closest real names otherwise.
    """
    code = as_code(city)
    key = town_key(name)
    index = _unit_index(code)
    if key in index:
        return [index[key]]
    bkey = key.removeprefix(OAZA)
    members = [c for c in _units_of(code) if base_key(c.base) == bkey]
    if members:
        return members
    cands = suggest(code, name)
    hint = f" 候補: {'、'.join(cands)}" if cands else ""
    raise GeocodeError(f"{city_name(code)}に町名「{name}」はありません。データにある町名・町丁目名を指定してください。{hint}",
                       candidates=cands, city=code)
