"""The unmet-need log for 社会資源開発: aggregated counters, nothing else.

Why only counters: a match request describes a real household, and the 支援会議's 守秘義務 is
the bar (REFERENCE.md). When a need finds no eligible resource in range, one counter goes up,
keyed ONLY by (municipality, 町丁目, area, category, 10-year age band, month). No age, address,
free text, member list, request id or time of day is written anywhere — not in this table,
not in a log line. The 町丁目 is empty when the address named only a town; the area is the
one of the municipality's primary area level.

Table ``match_unmet`` in the auxiliary SQLite file (:class:`resourcemap.auxdb.AuxDB`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable
from zoneinfo import ZoneInfo

from ..auxdb import AuxDB

__all__ = ["UnmetKey", "UnmetLog", "age_band", "month_of", "COMPONENT"]

COMPONENT = "match_unmet"
JST = ZoneInfo("Asia/Tokyo")
MIGRATIONS = [
    """CREATE TABLE IF NOT EXISTS match_unmet(
         city TEXT NOT NULL, chome TEXT NOT NULL, area_id TEXT NOT NULL, category TEXT NOT NULL,
         age_band TEXT NOT NULL, month TEXT NOT NULL, count INTEGER NOT NULL,
         PRIMARY KEY (city, chome, area_id, category, age_band, month)) WITHOUT ROWID""",
]


def age_band(age: int | None) -> str:
    """10-year band: 0 → "0-9", 83 → "80-89", 90 and over → "90+", unknown → "不明"."""
    if age is None:
        return "不明"
    if age >= 90:
        return "90+"
    lo = (age // 10) * 10
    return f"{lo}-{lo + 9}"


def month_of(when: datetime | None = None) -> str:
    """The month (JST) a need was counted in, "YYYY-MM"."""
    return (when.astimezone(JST) if when else datetime.now(JST)).strftime("%Y-%m")


@dataclass(frozen=True)
class UnmetKey:
    city: str
    chome: str
    area_id: str
    category: str
    age_band: str
    month: str


class UnmetLog:
    """Counters of unmet needs in an :class:`AuxDB` (created on first use)."""

    def __init__(self, aux: AuxDB) -> None:
        self.aux = aux
        aux.ensure(COMPONENT, MIGRATIONS)

    def add(self, keys: Iterable[UnmetKey]) -> int:
        """Add one to the counter of each key (one transaction); returns how many were added."""
        rows = [(k.city, k.chome, k.area_id, k.category, k.age_band, k.month) for k in keys]
        if not rows:
            return 0
        with self.aux.transaction() as conn:
            conn.executemany(
                "INSERT INTO match_unmet(city, chome, area_id, category, age_band, month, count) "
                "VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT(city, chome, area_id, category, age_band, month) "
                "DO UPDATE SET count = count + 1", rows)
        return len(rows)

    def counts(self, city: str | None = None, month: str | None = None) -> list[dict]:
        """The counters (of one city / month when given), largest first."""
        sql = "SELECT city, chome, area_id, category, age_band, month, count FROM match_unmet WHERE 1=1"
        args: list[str] = []
        if city:
            sql += " AND city = ?"
            args.append(city)
        if month:
            sql += " AND month = ?"
            args.append(month)
        sql += " ORDER BY count DESC, city, category, area_id, chome, age_band, month"
        return [dict(r) for r in self.aux.connection().execute(sql, args).fetchall()]

    def total(self, city: str | None = None) -> int:
        return sum(r["count"] for r in self.counts(city))
