"""Unmet-need counts written by the matcher, read for the gap map and the meeting report.

Why tolerant: the matcher (:mod:`resourcemap.match.unmet`) owns the ``match_unmet`` table of
the auxiliary database; an install may lack the matcher, or it may not have counted anything
yet. Its public reader (:class:`~resourcemap.match.unmet.UnmetLog`) is used when it can be
imported; otherwise the table is read directly, and a missing file or table means "no
counts". Only aggregated counters exist there (municipality, 町丁目, area, category, age band,
month, count) — nothing that identifies a household.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

__all__ = ["UnmetCount", "read_unmet", "aux_path_for", "TABLE"]

TABLE = "match_unmet"


@dataclass(frozen=True)
class UnmetCount:
    """One aggregated counter: how many needs of *category* found nothing within range."""

    city: str
    category: str
    count: int
    chome: str | None = None
    area_id: str | None = None
    age_band: str | None = None
    month: str | None = None


def aux_path_for(store_url: str) -> str | None:
    """The auxiliary SQLite file of a store URL (as the API and ``resourcemap unmet`` open it)."""
    try:
        from ..keys import aux_path
    except ImportError:  # the key module is not installed: the embedded store keeps them in its own file
        return store_url.removeprefix("sqlite:///") if store_url.startswith("sqlite:///") else None
    return aux_path(store_url)


def _record(r: dict) -> UnmetCount:
    return UnmetCount(city=str(r["city"]), category=str(r["category"]), count=int(r["count"]),
                      chome=r.get("chome") or None, area_id=r.get("area_id") or None,
                      age_band=r.get("age_band") or None, month=r.get("month") or None)


def _direct(aux_path: str, city: str) -> list[dict]:
    conn = sqlite3.connect(f"file:{aux_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(
            f"SELECT city, chome, area_id, category, age_band, month, count FROM {TABLE} WHERE city = ?", (city,))]
    except sqlite3.Error:  # no table yet: nothing was counted
        return []
    finally:
        conn.close()


def read_unmet(aux_path: str | None, city: str) -> list[UnmetCount]:
    """Unmet-need counters of *city* (5-digit code); empty when there is no log yet."""
    if not aux_path or aux_path == ":memory:" or not Path(aux_path).exists():
        return []
    try:
        from ..match.unmet import UnmetLog
    except ImportError:
        return [_record(r) for r in _direct(aux_path, city)]
    from ..auxdb import AuxDB

    aux = AuxDB(aux_path)
    try:
        rows = UnmetLog(aux).counts(city)
    finally:
        aux.close()
    return [_record(r) for r in rows]
