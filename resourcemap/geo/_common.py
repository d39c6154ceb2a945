"""Helpers shared by the geo modules: packaged data access, city codes and name suggestions.

Why: every public function accepts a city as a code ("13206") or a name ("府中市"), and the
package data is read through :mod:`importlib.resources` only, so an installed wheel never
touches the shared source files (or any path outside the package) at run time. The national
geography is one zip archive per prefecture with members per municipality (``points/<code>.csv``,
``boundaries/<code>.geojson``): reading one municipality opens its prefecture's small directory and
decompresses only its own members.
"""
from __future__ import annotations

import difflib
import threading
import zipfile
from functools import lru_cache
from importlib import resources

from ..cities import CITIES, resolve_city

__all__ = ["as_code", "read_data_text", "read_national", "close_names", "city_name"]

_ZIP_LOCK = threading.Lock()


def as_code(city: str | int) -> str:
    """The 5-digit code of *city* (a code, a name such as 府中市/府中/東京都府中市, or a slug).

    Raises :class:`resourcemap.errors.NotFound` for a municipality whose geography is not packaged.
    """
    return _as_code(str(city).strip())


@lru_cache(maxsize=256)  # city names only (never addresses); resolve_city normalises every name
def _as_code(text: str) -> str:
    if text in CITIES:
        return text
    return resolve_city(text).code


def city_name(code: str) -> str:
    """Display name (府中市) of a packaged city code."""
    return CITIES[code].name


def read_data_text(*parts: str) -> str:
    """Text of a file under ``resourcemap/geo/data/`` (UTF-8), read from the installed package."""
    node = resources.files("resourcemap.geo").joinpath("data")
    for part in parts:
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _national_zip(pref: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(resources.files("resourcemap.geo").joinpath("data", "japan", f"{pref}.zip").open("rb"))


def read_national(folder: str, code: str) -> str | None:
    """One municipality's member of the national archive (``points`` CSV or ``boundaries`` GeoJSON text).

    The archive is one zip per prefecture (``data/japan/13.zip``), so a first read opens a small
    directory. None when the municipality has no such member (no 町丁目 rows).
    """
    suffix = "csv" if folder == "points" else "geojson"
    with _ZIP_LOCK:  # one shared file handle per prefecture: reads must not interleave
        zf = _national_zip(code[:2])
        try:
            return zf.read(f"{folder}/{code}.{suffix}").decode("utf-8")
        except KeyError:
            return None


def close_names(key: str, names_by_key: dict[str, list[str]], n: int = 5, cutoff: float = 0.5) -> list[str]:
    """Real names whose normalised key is closest to *key* (difflib ratio), best first, deduplicated.

    Why keys: comparing normalised keys ignores 全角/半角, 旧字 and ヶ/ケ, so the suggestions are
    about the letters that actually differ.
    """
    out: list[str] = []
    for match in difflib.get_close_matches(key, list(names_by_key), n=n, cutoff=cutoff):
        for name in names_by_key[match]:
            if name not in out:
                out.append(name)
    return out[:n]
