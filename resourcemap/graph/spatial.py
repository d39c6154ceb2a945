"""A dynamic spatial index over points on the sphere, with a category filter.

Why this design: the read model must answer "within r metres of here, offering category C"
in well under a millisecond on a million resources while staying in step with every write.
Each category keeps a static :class:`scipy.spatial.cKDTree` on unit-sphere vectors (chord
distance is monotone in great-circle distance, so the tree is exact on the sphere) plus a
small *delta* of points added since the tree was built and a tombstone set of removed
ones. A query asks the tree and scans the delta; when the delta grows past a fraction of the
tree, that one category's tree is rebuilt. No query ever scans all resources.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np
from scipy.spatial import cKDTree

from ..geo.distance import EARTH_RADIUS_M, haversine_m, to_unit_xyz

__all__ = ["SpatialIndex", "ALL"]

ALL = "*"  # the pseudo-category every located point belongs to

# Scalar versions for the per-query hot path: the same formulas in plain floats (the numpy
# ones cost microseconds per call on scalars, which dominated a 10-result query).
def _unit(lat: float, lng: float) -> tuple[float, float, float]:
    la, lo = math.radians(lat), math.radians(lng)
    c = math.cos(la)
    return (c * math.cos(lo), c * math.sin(lo), math.sin(la))


def _chord(metres: float) -> float:
    return 2.0 * math.sin(min(metres / EARTH_RADIUS_M, math.pi) / 2.0)


def _arc(chord: float) -> float:
    return 2.0 * EARTH_RADIUS_M * math.asin(min(max(chord / 2.0, 0.0), 1.0))


def _dist(v: np.ndarray, q: tuple[float, float, float]) -> float:
    return math.sqrt((float(v[0]) - q[0]) ** 2 + (float(v[1]) - q[1]) ** 2 + (float(v[2]) - q[2]) ** 2)


@dataclass
class _Bucket:
    """Points of one category: a static tree + a delta of recent additions + tombstones."""

    ids: list[str] = field(default_factory=list)
    xyz: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    tree: cKDTree | None = None
    pos: dict[str, int] = field(default_factory=dict)  # id → row in the tree
    dead: set[int] = field(default_factory=set)
    delta: dict[str, np.ndarray] = field(default_factory=dict)

    def live_count(self) -> int:
        return len(self.ids) - len(self.dead) + len(self.delta)

    def rebuild(self) -> None:
        keep = [i for i in range(len(self.ids)) if i not in self.dead]
        ids = [self.ids[i] for i in keep] + list(self.delta)
        parts = [self.xyz[keep]] if keep else []
        if self.delta:
            parts.append(np.vstack(list(self.delta.values())))
        self.xyz = np.vstack(parts) if parts else np.empty((0, 3))
        self.ids = ids
        self.pos = {k: i for i, k in enumerate(ids)}
        self.dead = set()
        self.delta = {}
        self.tree = cKDTree(self.xyz) if len(ids) else None


class SpatialIndex:
    """Points keyed by id, each in one or more categories (and always in :data:`ALL`)."""

    def __init__(self, *, rebuild_fraction: float = 0.05, min_delta: int = 256) -> None:
        self._buckets: dict[str, _Bucket] = {}
        #: id → (lat, lng, categories): one entry per point (a million of them on a national catalogue, so one
        #: dict and one tuple each rather than a dict of points and another of categories)
        self._held: dict[str, tuple[float, float, tuple[str, ...]]] = {}
        self._rebuild_fraction = rebuild_fraction
        self._min_delta = min_delta
        self._lock = threading.RLock()

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def build(cls, items: Iterable[tuple[str, float, float, Iterable[str]]], **kw) -> SpatialIndex:
        """Bulk-build from (id, lat, lng, categories) — one tree per category, no deltas."""
        index = cls(**kw)
        per_cat: dict[str, list[int]] = {}
        ids: list[str] = []
        lats: list[float] = []
        lngs: list[float] = []
        alike: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per distinct set of categories (memory)
        for i, (pid, lat, lng, cats) in enumerate(items):
            cats_t = tuple(dict.fromkeys(cats))
            cats_t = alike.setdefault(cats_t, cats_t)
            ids.append(pid)
            lats.append(lat)
            lngs.append(lng)
            index._held[pid] = (lat, lng, cats_t)
            for c in (ALL, *cats_t):
                per_cat.setdefault(c, []).append(i)
        xyz = to_unit_xyz(np.array(lats), np.array(lngs)) if ids else np.empty((0, 3))
        positions = list(range(len(ids)))  # the same int objects in every bucket's pos (memory)
        for cat, rows in per_cat.items():
            b = _Bucket()
            b.ids = [ids[r] for r in rows]
            b.xyz = xyz[rows]
            b.pos = dict(zip(b.ids, positions))
            b.tree = cKDTree(b.xyz)
            index._buckets[cat] = b
        return index

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, pid: object) -> bool:
        return pid in self._held

    def __iter__(self) -> Iterator[str]:
        """The ids of every point held."""
        return iter(self._held)

    def categories_of(self, pid: str) -> tuple[str, ...]:
        """The categories *pid* is held under (besides :data:`ALL`)."""
        return self._held[pid][2]

    def categories(self) -> list[str]:
        return [c for c, b in self._buckets.items() if c != ALL and b.live_count()]

    def point(self, pid: str) -> tuple[float, float]:
        lat, lng, _ = self._held[pid]
        return lat, lng

    # -- writes -----------------------------------------------------------------------------
    def upsert(self, pid: str, lat: float, lng: float, categories: Iterable[str]) -> None:
        with self._lock:
            cats = tuple(dict.fromkeys(categories))
            if self._held.get(pid) == (lat, lng, cats):
                return
            self.remove(pid)
            v = to_unit_xyz(lat, lng)
            self._held[pid] = (lat, lng, cats)
            for c in (ALL, *cats):
                b = self._buckets.setdefault(c, _Bucket())
                b.delta[pid] = v
                if len(b.delta) > max(self._min_delta, self._rebuild_fraction * len(b.ids)):
                    b.rebuild()

    def remove(self, pid: str) -> None:
        with self._lock:
            held = self._held.pop(pid, None)
            if held is None:
                return
            for c in (ALL, *held[2]):
                b = self._buckets[c]
                if pid in b.delta:
                    del b.delta[pid]
                elif pid in b.pos:
                    b.dead.add(b.pos[pid])
                if len(b.dead) > max(self._min_delta, self._rebuild_fraction * len(b.ids)):
                    b.rebuild()

    # -- queries ----------------------------------------------------------------------------
    def within(self, lat: float, lng: float, radius_m: float, category: str = ALL) -> list[tuple[str, float]]:
        """Every point of *category* within *radius_m* (great-circle), nearest first, as (id, metres)."""
        b = self._buckets.get(category)
        if b is None:
            return []
        q = _unit(lat, lng)
        chord = _chord(radius_m) * (1 + 1e-12)
        with self._lock:
            found: list[tuple[str, float]] = []
            if b.tree is not None:
                rows = b.tree.query_ball_point(q, chord)
                if rows:
                    rows = [r for r in rows if r not in b.dead] if b.dead else rows
                    if rows:
                        d = np.linalg.norm(b.xyz[rows] - np.asarray(q), axis=1)
                        found.extend(zip((b.ids[r] for r in rows), d.tolist()))
            for pid, v in b.delta.items():
                d = _dist(v, q)
                if d <= chord:
                    found.append((pid, d))
        found.sort(key=lambda t: (t[1], t[0]))
        out = [(pid, _arc(c)) for pid, c in found]
        return [t for t in out if t[1] <= radius_m]

    def nearest(self, lat: float, lng: float, k: int, max_m: float = math.inf,
                category: str = ALL) -> list[tuple[str, float]]:
        """The *k* nearest points of *category* within *max_m*, nearest first, as (id, metres)."""
        b = self._buckets.get(category)
        if b is None or k <= 0:
            return []
        q = _unit(lat, lng)
        chord = _chord(max_m) * (1 + 1e-12) if math.isfinite(max_m) else math.inf
        with self._lock:
            found: list[tuple[str, float]] = []
            if b.tree is not None and b.tree.n:
                found = self._tree_nearest(b, q, k, chord)
            for pid, v in b.delta.items():
                dist = _dist(v, q)
                if dist <= chord:
                    found.append((pid, dist))
        found.sort(key=lambda t: (t[1], t[0]))
        out = [(pid, _arc(c)) for pid, c in found[:k]]
        return [t for t in out if t[1] <= max_m]

    @staticmethod
    def _tree_nearest(b: _Bucket, q: tuple[float, float, float], k: int, chord: float) -> list[tuple[str, float]]:
        """The *k* nearest live rows of *b*'s tree within *chord*.

        Tombstoned rows are skipped by asking for more neighbours only when the first answer held
        some — never k + (all tombstones), which after many deletes would cost every query.
        """
        n, dead, ids = b.tree.n, b.dead, b.ids  # type: ignore[union-attr]
        kk = min(n, k)
        while True:
            d, rows = b.tree.query(q, k=kk, distance_upper_bound=chord)  # type: ignore[union-attr]
            dists, at = (d.tolist(), rows.tolist()) if kk > 1 else ([float(d)], [int(rows)])
            live = [(ids[r], dist) for dist, r in zip(dists, at) if r < n and r not in dead]
            exhausted = kk >= n or at[-1] >= n  # the whole tree, or the radius, was used up
            if len(live) >= k or exhausted:
                return live
            kk = min(n, 2 * kk + (kk - len(live)))

    def in_bbox(self, min_lat: float, min_lng: float, max_lat: float, max_lng: float,
                category: str = ALL) -> list[str]:
        """Ids inside a lat/lng box (via a bounding-circle query, then an exact box test)."""
        clat, clng = (min_lat + max_lat) / 2, (min_lng + max_lng) / 2
        radius = max(haversine_m(clat, clng, la, lo) for la in (min_lat, max_lat) for lo in (min_lng, max_lng))
        out = []
        for pid, _ in self.within(clat, clng, radius * 1.01 + 1, category):
            la, lo, _ = self._held[pid]
            if min_lat <= la <= max_lat and min_lng <= lo <= max_lng:
                out.append(pid)
        return sorted(out)
