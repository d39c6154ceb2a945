"""The municipalities resourcemap knows: code, name, prefecture and projected CRS.

Why fixed here: the five seed municipalities are the ones whose geography ships with the
package; a name or a code given on the command line or in the API resolves through
:func:`resolve_city`.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import NotFound
from .textnorm import normalize

__all__ = ["City", "CITIES", "resolve_city"]


@dataclass(frozen=True)
class City:
    code: str
    name: str
    pref: str
    epsg: int  # JGD2011 plane rectangular zone for polygon work (REFERENCE.md)
    slug: str  # file-name friendly romanisation used for seeds/<slug>.yaml

    @property
    def full_name(self) -> str:
        return f"{self.pref}{self.name}"


CITIES: dict[str, City] = {c.code: c for c in (
    City("13206", "府中市", "東京都", 6677, "fuchu"),
    City("11225", "入間市", "埼玉県", 6677, "iruma"),
    City("19213", "甲州市", "山梨県", 6676, "koshu"),
    City("13223", "武蔵村山市", "東京都", 6677, "musashimurayama"),
    City("13218", "福生市", "東京都", 6677, "fussa"),
)}


def resolve_city(name_or_code: str) -> City:
    """Accept a 5-digit code, a name (府中市 / 府中 / 東京都府中市) or a slug (fuchu)."""
    raw = (name_or_code or "").strip()
    if raw in CITIES:
        return CITIES[raw]
    key = normalize(raw)
    for city in CITIES.values():
        names = {city.name, city.name.removesuffix("市"), city.full_name, city.slug}
        if key in {normalize(n) for n in names}:
            return city
    known = "、".join(f"{c.name}({c.code})" for c in CITIES.values())
    raise NotFound(f"市区町村 {raw!r} は登録されていません。次のいずれかを指定してください: {known}")
