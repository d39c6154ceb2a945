"""Small-cell suppression of the unmet-need counts: what anyone below admin may see.

Why: in a small 町丁目 a count of 1 with an age band can point at a household. A counter below
the threshold (``Settings.unmet_min_count`` of :mod:`resourcemap.config`, default 3) is published as 「3未満」 — its
count withheld, only that it is 1 or 2 — and *nothing else published may give it back*.

How "nothing else": the same counters are shown at several levels — the rows of ``GET
/v1/unmet`` (municipality × 町丁目/area × category × age band × month), their total, each month's
total, the gap map's unit × category figures and the meeting report's per-category sums. An
exact total next to a suppressed cell gives the cell back (total − the others), and an exact
aggregate at one level next to exact cells at another does too. So every aggregate is
computed **from the published cells only** (:class:`Tally`): when a suppressed cell takes
part, the aggregate is the range it must lie in — ``exact + k`` to ``exact + k·(threshold−1)``
for ``k`` suppressed cells — never an exact number. That is the "suppress the total" branch
of complementary suppression, applied to every total at once; a number computed from
published numbers cannot reveal more than they do (the property test in
``tests/unit/test_disclosure.py`` checks it by brute force). Admins see raw counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["below_label", "publish_rows", "Tally", "published_total"]


def below_label(threshold: int) -> str:
    """How a suppressed count is shown: 「3未満」."""
    return f"{threshold}未満"


def publish_rows(rows: Iterable[dict[str, Any]], threshold: int) -> list[dict[str, Any]]:
    """Counter rows as published: ``count`` withheld (None) below *threshold*, with ``suppressed`` and ``label``.

    Ordered by published count (largest first, suppressed rows last), then by their other
    fields — an order that does not depend on a withheld count (sorting by the raw count would
    tell a 2 from a 1).
    """
    out = []
    for r in rows:
        hidden = r["count"] < threshold
        out.append({**r, "count": None if hidden else r["count"], "suppressed": hidden,
                    "label": below_label(threshold) if hidden else str(r["count"])})
    out.sort(key=lambda r: (r["suppressed"], -(r["count"] or 0),
                            *(str(r[k] or "") for k in sorted(r) if k not in ("count", "suppressed", "label"))))
    return out


@dataclass(frozen=True)
class Tally:
    """An aggregate of published cells: the sum of the exact ones and how many were suppressed."""

    exact: int = 0
    hidden: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.exact + other.exact, self.hidden + other.hidden)

    def add(self, count: int | None) -> Tally:
        """This tally plus one published cell (None = suppressed)."""
        return Tally(self.exact, self.hidden + 1) if count is None else Tally(self.exact + count, self.hidden)

    @classmethod
    def of(cls, counts: Iterable[int | None]) -> Tally:
        tally = cls()
        for c in counts:
            tally = tally.add(c)
        return tally

    @property
    def low(self) -> int:
        """The least the true total can be (each suppressed cell is at least 1)."""
        return self.exact + self.hidden

    def high(self, threshold: int) -> int:
        """The most the true total can be (each suppressed cell is at most threshold − 1)."""
        return self.exact + self.hidden * (threshold - 1)

    def label(self, threshold: int) -> str:
        """「7」 when exact, 「3未満」 for one suppressed cell alone, else the range 「6〜7」."""
        if not self.hidden:
            return str(self.exact)
        if self.high(threshold) < threshold:
            return below_label(threshold)
        return f"{self.low}〜{self.high(threshold)}"


def published_total(published: list[dict[str, Any]], threshold: int) -> dict[str, Any]:
    """The total of published rows: exact when none is suppressed, else null with its range."""
    tally = Tally.of(r["count"] for r in published)
    exact = not tally.hidden
    return {"total": tally.exact if exact else None, "total_range": [tally.low, tally.high(threshold)],
            "total_label": tally.label(threshold), "suppressed_cells": tally.hidden}
