"""Which reader reads which import format: CSV and GeoJSON (:mod:`.records`), HSDS (:mod:`.hsds`).

Why its own module: the HSDS reader builds :class:`~.records.Record` s, so the dispatch cannot sit
in :mod:`.records` without the two importing each other.
"""
from __future__ import annotations

from typing import Literal

from ..errors import InputError
from .hsds import read_hsds
from .records import Format, RecordSet, detect_format, read_csv, read_geojson

__all__ = ["read_records"]


def read_records(data: bytes, fmt: Format | Literal["auto"] = "auto", name: str = "upload") -> RecordSet:
    """Parse an import file of any supported format."""
    if fmt == "auto":
        fmt = detect_format(data, name)
    if fmt == "csv":
        return read_csv(data, name)
    if fmt == "geojson":
        return read_geojson(data, name)
    if fmt == "hsds":
        return read_hsds(data, name)
    raise InputError(f"形式 {fmt!r} には対応していません（csv, geojson, hsds）。")
