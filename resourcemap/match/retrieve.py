"""Candidate retrieval: resources of some categories near a point, nearest first, no full scan.

Why a stream: the matcher wants candidates in distance order and usually stops after a few
(see :func:`resourcemap.match.scoring.max_points_besides_distance`). Each category has its own
KD-tree in :class:`~resourcemap.graph.spatial.SpatialIndex`; the stream asks every tree for
its *k* nearest within the radius, merges them, yields those that are certainly complete
(closer than the k-th of any tree that may hold more), and asks again with 4·k when the
caller wants more. A need with sub-categories is one stream over all of their trees.
"""
from __future__ import annotations

import math
from typing import Iterable, Iterator

from ..graph.spatial import SpatialIndex

__all__ = ["nearest_stream"]

FIRST_K = 16
GROWTH = 4


def nearest_stream(index: SpatialIndex, lat: float, lng: float, categories: Iterable[str],
                   max_m: float, first_k: int = FIRST_K) -> Iterator[tuple[str, float]]:
    """Yield (id, metres) of every point in any of *categories* within *max_m*, nearest first.

    Each id once; ties in distance come out in id order within one round.
    """
    cats = list(dict.fromkeys(categories))
    k = max(1, first_k)
    seen: set[str] = set()
    while True:
        merged: dict[str, float] = {}
        complete_below = math.inf  # everything strictly closer than this has been returned
        saturated = False
        for c in cats:
            found = index.nearest(lat, lng, k, max_m, c)
            for pid, d in found:
                if d < merged.get(pid, math.inf):
                    merged[pid] = d
            if len(found) == k:
                saturated = True
                complete_below = min(complete_below, found[-1][1])
        for pid, d in sorted(merged.items(), key=lambda t: (t[1], t[0])):
            if saturated and d >= complete_below:
                break
            if pid not in seen:
                seen.add(pid)
                yield pid, d
        if not saturated:
            return
        k *= GROWTH
