"""Unmet-need counts written by the matcher, read for the gap map and the meeting report.

The matcher (:mod:`resourcemap.match.unmet`) owns the ``match_unmet`` table of the auxiliary
database and its reader (:class:`~resourcemap.match.unmet.UnmetLog`); this module only turns
its rows into :class:`UnmetCount` records, and treats a missing file as "no counts yet".
Only aggregated counters exist there (municipality, 町丁目, area, category, age band, month,
count) — nothing that identifies a household. Read with ``min_count`` (everyone but an admin),
a counter below it comes back with ``count=None``: every figure the gap outputs show is then
computed from the published counters only (:mod:`resourcemap.match.disclosure`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["UnmetCount", "read_unmet"]


@dataclass(frozen=True)
class UnmetCount:
    """One aggregated counter: how many needs of *category* found nothing within range."""

    city: str
    category: str
    count: int | None  # None: suppressed (below the threshold)
    chome: str | None = None
    area_id: str | None = None
    age_band: str | None = None
    month: str | None = None


def _record(r: dict, min_count: int | None) -> UnmetCount:
    count = int(r["count"])
    return UnmetCount(city=str(r["city"]), category=str(r["category"]),
                      count=None if min_count is not None and count < min_count else count,
                      chome=r.get("chome") or None, area_id=r.get("area_id") or None,
                      age_band=r.get("age_band") or None, month=r.get("month") or None)


def read_unmet(aux_path: str | None, city: str, *, min_count: int | None = None) -> list[UnmetCount]:
    """Unmet-need counters of *city* (5-digit code), those below *min_count* suppressed; empty
    when there is no log yet."""
    if not aux_path or aux_path == ":memory:" or not Path(aux_path).exists():
        return []
    from ..auxdb import AuxDB
    from ..match.unmet import UnmetLog

    aux = AuxDB(aux_path)
    try:
        rows = UnmetLog(aux).counts(city)
    finally:
        aux.close()
    return [_record(r, min_count) for r in rows]
