"""The municipalities of Japan: code, names, prefecture, kind and projected CRS — the national registry.

Why a registry read lazily from the package: every municipality, 特別区, 政令市の区 and 政令市 as a
whole (1,915 entries, from 国土数値情報 N03 via ``scripts/extract_geo.py``) can hold a catalogue,
but most processes use one or two. :data:`CITIES` is a read-only mapping code → :class:`City`
that reads the small registry file (``resourcemap/geo/data/municipalities.csv``) on first use;
the heavy geography (町丁目 points, boundaries) is read per municipality by :mod:`resourcemap.geo`.

:func:`resolve_city` accepts a 5-digit code (or the 6-digit one with its check digit), a name
(府中市, 東京都府中市, 西多摩郡瑞穂町, 札幌市中央区, 府中) or a seed slug (fuchu). A name shared by
several municipalities (府中市: 東京都 and 広島県) fails with the candidates and is accepted
with its prefecture (東京都府中市).
"""
from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .errors import InputError, NotFound
from .textnorm import normalize

__all__ = ["City", "CITIES", "SEED_CITIES", "AmbiguousCity", "resolve_city", "city_candidates", "wards_of",
           "RETIRED_CODES"]


@dataclass(frozen=True)
class City:
    code: str
    name: str         # as addresses write it: 府中市, 千代田区, 札幌市中央区, 瑞穂町 (no 郡)
    pref: str
    epsg: int         # JGD2011 plane rectangular zone for polygon work (REFERENCE.md, 国土交通省告示)
    slug: str = ""    # seeds/<slug>.yaml for the five municipalities with a plan seed, else ""
    kind: str = "市"  # 市 / 町 / 村 / 特別区 / 政令市 (a designated city as a whole) / 区 (its ward)
    county: str = ""  # 郡 of a 町/村 (西多摩郡), else ""
    parent: str = ""  # a ward's designated city (01101 → 01100), else ""
    chome: int = 0    # 町丁目/大字 rows in the national data (with or without a point)
    aliases: tuple[str, ...] = ()  # other spellings met in the data (龍ヶ崎市 for N03's 龍ケ崎市)
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # min_lng, min_lat, max_lng, max_lat

    @property
    def full_name(self) -> str:
        return f"{self.pref}{self.name}"

    @property
    def label(self) -> str:
        """Name with code, for messages and candidate lists: 東京都府中市(13206)."""
        return f"{self.full_name}({self.code})"


#: The five municipalities whose plans are seeded (REFERENCE.md), with their seed slugs.
_SEED_SLUGS: dict[str, str] = {"13206": "fuchu", "11225": "iruma", "19213": "koshu", "13223": "musashimurayama",
                               "13218": "fussa"}

#: Codes that N03 (2021) or the 町丁目 data know but that no longer name one municipality.
RETIRED_CODES: dict[str, str] = {
    **{f"2213{n}": "22130" for n in range(1, 8)}, "22138": "22130", "22139": "22130", "22140": "22130",
}


class AmbiguousCity(InputError):
    """A municipality name shared by several municipalities; ``candidates`` lists them (with prefecture)."""

    title = "市区町村を特定できません"

    def __init__(self, detail: str, candidates: list[str] | None = None, **context: object) -> None:
        super().__init__(detail, **context)
        self.candidates = candidates or []


def _read_registry() -> dict[str, City]:
    text = resources.files("resourcemap").joinpath("geo", "data", "municipalities.csv").read_text(encoding="utf-8")
    out: dict[str, City] = {}
    for r in csv.DictReader(io.StringIO(text, newline="")):
        out[r["code"]] = City(
            code=r["code"], name=r["name"], pref=r["pref"], epsg=int(r["epsg"]), slug=_SEED_SLUGS.get(r["code"], ""),
            kind=r["kind"], county=r["county"], parent=r["parent"], chome=int(r["chome"]),
            aliases=tuple(r["aliases"].split()),
            bbox=(float(r["min_lng"]), float(r["min_lat"]), float(r["max_lng"]), float(r["max_lat"])))
    return out


class _Registry(Mapping[str, City]):
    """code → City for all of Japan, read from the package on first use (thread-safe, once)."""

    def __init__(self) -> None:
        self._data: dict[str, City] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, City]:
        if self._data is None:
            with self._lock:
                if self._data is None:
                    self._data = _read_registry()
        return self._data

    def __getitem__(self, code: str) -> City:
        return self._load()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __contains__(self, code: object) -> bool:
        return code in self._load()

    def __repr__(self) -> str:
        return f"<CITIES: {len(self)} municipalities of Japan>"


#: Every municipality of Japan by 5-digit code (lazy).
CITIES: Mapping[str, City] = _Registry()


class _SeedCities(Mapping[str, City]):
    """The five seeded municipalities (code → City), in REFERENCE.md order."""

    def __getitem__(self, code: str) -> City:
        if code not in _SEED_SLUGS:
            raise KeyError(code)
        return CITIES[code]

    def __iter__(self) -> Iterator[str]:
        return iter(_SEED_SLUGS)

    def __len__(self) -> int:
        return len(_SEED_SLUGS)


#: The municipalities with a plan seed (``seeds/<slug>.yaml``): 府中市, 入間市, 甲州市, 武蔵村山市, 福生市.
SEED_CITIES: Mapping[str, City] = _SeedCities()


@lru_cache(maxsize=None)
def wards_of(code: str) -> tuple[City, ...]:
    """The wards of a 政令市 as a whole (01100 → 01101 …), in code order; () for any other code."""
    return tuple(c for c in CITIES.values() if c.parent == code)


def _keys(city: City) -> set[str]:
    """Every name a user may write for *city* (normalised)."""
    names = {city.name, *city.aliases}
    if city.county:
        names |= {city.county + n for n in list(names)}
    if city.parent:  # 札幌市中央区 → also 中央区 (ambiguous on its own, resolved with the city or prefecture)
        names.add(city.name.removeprefix(CITIES[city.parent].name))
    for n in list(names):
        names.add(city.pref + n)
    if city.kind in ("市", "政令市"):  # 府中 for 府中市 (as before); never for 町/村/区, too often a town name
        names |= {n.removesuffix("市") for n in names if len(n.removesuffix("市")) >= 2}
    if city.slug:
        names.add(city.slug)
    return {normalize(n) for n in names}


@lru_cache(maxsize=1)
def _name_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for city in CITIES.values():
        for key in _keys(city):
            index.setdefault(key, []).append(city.code)
    return {k: tuple(v) for k, v in index.items()}


def city_candidates(text: str) -> list[City]:
    """The municipalities *text* may name (empty when none; several when the name is shared)."""
    raw = (text or "").strip()
    if raw.isdigit() and len(raw) in (5, 6):
        code = raw[:5]  # 6 digits: the code with its check digit
        return [CITIES[code]] if code in CITIES else []
    return [CITIES[c] for c in _name_index().get(normalize(raw), ())]


def resolve_city(name_or_code: str, among: Iterable[str] | None = None) -> City:
    """The municipality of a 5-digit code, a name (府中市 / 東京都府中市 / 札幌市中央区) or a seed slug.

    A name several municipalities share resolves to the one of them in *among* (codes: the
    municipalities the caller works with, e.g. a catalogue's) when exactly one is there; *among*
    defaults to the five seeded municipalities (the default catalogue), so 府中市 is 東京都府中市
    there, and ``among=()`` accepts unique names only. Otherwise raises :class:`AmbiguousCity`
    (an :class:`InputError`, with ``candidates``); an unknown name raises :class:`NotFound`.
    """
    raw = (name_or_code or "").strip()
    found = city_candidates(raw)
    if len(found) > 1:
        preferred = set(_SEED_SLUGS if among is None else among)
        found = [c for c in found if c.code in preferred] if sum(c.code in preferred for c in found) == 1 else found
    if len(found) == 1:
        return found[0]
    if found:
        labels = [c.label for c in sorted(found, key=lambda c: c.code)]
        raise AmbiguousCity(f"「{raw}」という市区町村は複数あります: {'、'.join(labels)}。"
                            "都道府県名を付けるか（例: 東京都府中市）、5桁のコードで指定してください。",
                            candidates=labels)
    if raw[:5] in RETIRED_CODES:
        whole = CITIES[RETIRED_CODES[raw[:5]]]
        raise NotFound(f"市区町村コード {raw} は境界データ（国土数値情報 2021年）にない区です。"
                       f"{whole.name}全体（{whole.code}）を指定してください。")
    raise NotFound(f"市区町村 {raw!r} は見つかりません。5桁の全国地方公共団体コード（例: 13206）か、"
                   "都道府県名を付けた名前（例: 東京都府中市）で指定してください。")
