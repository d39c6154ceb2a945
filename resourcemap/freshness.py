"""Freshness of catalogue entries: how long since someone confirmed a node is still right.

Why a score: the top complaint about 社会資源マップ is that they go stale. ``verified_at``
(HSDS ``assured_date``) says when a person last confirmed the entry; the score turns its
age into 0 (confirmed today) … 1 (a year or more ago, or never), so lists can sort and
highlight entries to re-check.
"""
from __future__ import annotations

from datetime import date

from .model import Node

__all__ = ["STALE_AFTER_DAYS", "staleness", "freshness", "freshness_since"]

#: After this many days without confirmation an entry counts as fully stale.
STALE_AFTER_DAYS = 365


def staleness(node: Node, today: date | None = None) -> float:
    """0.0 (verified today) … 1.0 (verified ``STALE_AFTER_DAYS`` or more ago, or never)."""
    return freshness_since(node.verified_at, today)["staleness"]  # type: ignore[return-value]


def freshness(node: Node, today: date | None = None) -> dict[str, float | int | None]:
    """The fields the API adds to a node: ``staleness`` and ``verified_days_ago``."""
    return freshness_since(node.verified_at, today)


def freshness_since(verified_at: date | str | None, today: date | None = None) -> dict[str, float | int | None]:
    """:func:`freshness` of a node verified on *verified_at* (a date or its ISO text, as in a node's JSON)."""
    if verified_at is None:
        return {"staleness": 1.0, "verified_days_ago": None}
    day = date.fromisoformat(verified_at) if isinstance(verified_at, str) else verified_at
    days = ((today or date.today()) - day).days
    return {"staleness": round(min(1.0, max(0.0, days / STALE_AFTER_DAYS)), 3), "verified_days_ago": days}
