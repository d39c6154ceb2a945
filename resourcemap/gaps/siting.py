"""Optional siting suggestion: where *p* new resources of a category would cover the most unmet demand.

Choice: the maximal covering location problem (Church & ReVelle 1974) solved greedily — pick
the site covering the most still-uncovered demand, repeat *p* times. Greedy is within
(1 − 1/e) of the optimum for this submodular objective, needs no LP solver (``spopt``'s MCLP
would pull in PuLP and a CBC binary for an answer a meeting reads as "around here"), and is
deterministic (ties go to the earlier candidate). Candidate sites are the municipality's
町丁目 points and its existing placed sites, so every suggestion names a real place.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import measures

__all__ = ["SitePick", "greedy_mclp"]


@dataclass(frozen=True)
class SitePick:
    """One suggested location: candidate row, demand it newly covers, and the demand points it covers."""

    candidate: int
    gained: float
    points: tuple[int, ...]


def greedy_mclp(candidate_xyz: npt.NDArray[np.float64], demand_xyz: npt.NDArray[np.float64],
                demand_w: npt.NDArray[np.float64], radius_m: float, p: int) -> list[SitePick]:
    """Greedy maximal covering: up to *p* candidates, each covering the most uncovered demand within *radius_m*.

    Stops early when no candidate covers any remaining demand (positive weight).
    """
    w = np.asarray(demand_w, dtype=float).copy()
    if p <= 0 or len(w) == 0 or len(candidate_xyz) == 0:
        return []
    tree = measures.build_tree(demand_xyz)
    ci, dj, _ = measures.pairs_within(tree, candidate_xyz, radius_m)
    order = np.argsort(ci, kind="stable")
    ci, dj = ci[order], dj[order]
    bounds = np.searchsorted(ci, np.arange(len(candidate_xyz) + 1))
    covers = [dj[bounds[c]:bounds[c + 1]] for c in range(len(candidate_xyz))]
    picks: list[SitePick] = []
    for _ in range(p):
        gains = np.array([w[c].sum() for c in covers])
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        newly = tuple(int(j) for j in covers[best] if w[j] > 0)
        picks.append(SitePick(best, float(gains[best]), newly))
        w[covers[best]] = 0.0
    return picks
