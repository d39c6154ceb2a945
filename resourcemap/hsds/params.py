"""The query parameters of the HSDS API, read once at the boundary with errors that say what to send.

Why here and not in the route: the specification types most parameters as plain strings
(``modified_after``, ``proximity``, ``postcode``), so their meaning — and the Japanese profile's
reading of ``postcode`` as a 町丁目 — is domain logic that tests can call without HTTP.

``postcode``: Japan has no public 郵便番号 → point table in this package, so a 7-digit 郵便番号
is refused with a message; what a Japanese directory knows as "the centroid of a postcode" is
the representative point of a 町丁目, which :func:`place_of` takes as ``府中市白糸台三丁目`` (any
address the geocoder of the matcher reads) or as ``lat,lng``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..errors import InputError

__all__ = ["Paging", "Place", "DEFAULT_PER_PAGE", "MAX_PER_PAGE", "JST", "paging", "parse_modified_after",
           "parse_proximity", "parse_format", "place_of"]

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000
JST = timezone(timedelta(hours=9))
FORMATS = ("json", "ndjson")
_POSTAL = re.compile(r"^〒?\s*\d{3}-?\d{4}$")
_LATLNG = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int | None  # None: everything on one page (``minimal``)

    def cut(self, items: list) -> tuple[list, dict]:
        """The items of this page and the ``Page`` fields of the specification around them."""
        total = len(items)
        size = self.per_page if self.per_page is not None else max(total, 1)
        pages = math.ceil(total / size)
        chunk = items[(self.page - 1) * size: self.page * size]
        return chunk, {"total_items": total, "total_pages": pages, "page_number": self.page, "size": len(chunk),
                       "first_page": self.page == 1, "last_page": self.page >= pages, "empty": not chunk}


def paging(page: int | None, per_page: int | None, *, everything: bool = False) -> Paging:
    """Check ``page`` (from 1) and ``per_page`` (1–1000; *everything*: all on one page unless given)."""
    if page is not None and page < 1:
        raise InputError(f"page は 1 以上で指定してください（指定: {page}）。")
    if per_page is not None and not 1 <= per_page <= MAX_PER_PAGE:
        raise InputError(f"per_page は 1〜{MAX_PER_PAGE} で指定してください（指定: {per_page}）。"
                         "すべてを一度に受け取るには format=ndjson を使ってください。")
    return Paging(page or 1, per_page if per_page is not None else (None if everything else DEFAULT_PER_PAGE))


def parse_format(value: str | None) -> str:
    fmt = (value or "json").strip().lower()
    if fmt not in FORMATS:
        raise InputError(f"format は json か ndjson で指定してください（指定: {value!r}）。")
    return fmt


def parse_modified_after(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time; one without a UTC offset is read as Japan time (JST)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        when = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise InputError(f"modified_after は ISO 8601 の日時で指定してください（例: 2026-04-01T09:00:00+09:00、"
                         f"指定: {value!r}）。") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=JST)


def parse_proximity(value: str | None) -> float | None:
    """Metres from the ``postcode`` point: a positive number."""
    if value is None or not value.strip():
        return None
    try:
        metres = float(value.strip().removesuffix("m"))
    except ValueError:
        metres = math.nan
    if not math.isfinite(metres) or metres <= 0:
        raise InputError(f"proximity は postcode の地点からの距離（メートル、正の数）で指定してください（指定: {value!r}）。")
    return metres


@dataclass(frozen=True)
class Place:
    """Where ``postcode`` points: a real 町丁目 point (or the given lat/lng) and its 町丁目."""

    city: str
    lat: float
    lng: float
    chome: str


def place_of(postcode: str) -> Place:
    """Resolve ``postcode``: a 町丁目/address through the matcher's geocoder, or ``lat,lng`` inside a known city."""
    from ..geo import geocode, municipalities_at, nearest_chome

    text = postcode.strip()
    if _POSTAL.match(text):
        raise InputError("郵便番号の位置データは持っていないため、郵便番号では探せません。postcode には町丁目名"
                         "（例: 府中市白糸台三丁目）か緯度経度（例: 35.666,139.516）を指定してください。")
    if m := _LATLNG.match(text):
        lat, lng = float(m.group(1)), float(m.group(2))
        found = municipalities_at(lat, lng)  # any municipality of Japan (a ward before its whole 政令市)
        if not found:
            raise InputError(f"緯度経度 {lat},{lng} は日本の市区町村の区域外です（緯度,経度 の順に指定してください）。")
        return Place(found[0], lat, lng, nearest_chome(found[0], lat, lng).town)
    if not text:
        raise InputError("postcode が空です。町丁目名（例: 府中市白糸台三丁目）を指定してください。")
    g = geocode(text)
    return Place(g.city, g.lat, g.lng, g.chome or nearest_chome(g.city, g.lat, g.lng).town)
