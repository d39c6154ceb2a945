"""Measures of how well one category reaches the demand points: small pure functions over arrays.

Why pure functions over arrays (not over nodes): the same code runs on a municipality's
catalogue, on a random catalogue in the oracle tests and on the national benchmark workload,
so nothing here knows about the graph. Points are unit-sphere vectors
(:func:`resourcemap.geo.to_unit_xyz`); a :class:`scipy.spatial.cKDTree` over them answers
great-circle queries exactly because chord length grows with arc length.

Units and demand points: a *unit* (町丁目, area, mesh cell) owns one or more demand points
(``owner[i]`` is the unit of point ``i``). For a unit ``u`` with points ``D(u)`` and threshold ``T``:

* ``nearest_m(u)  = min over D(u) of the distance to the nearest resource`` (``inf`` beyond the cap);
* ``count_within(u) = |resources within T of some point of D(u)|``;
* ``share_covered(u) = Σ w_p [nearest(p) ≤ T] / Σ w_p`` over ``D(u)``;
* the unit is a gap when ``count_within(u) == 0`` (⇔ ``nearest_m(u) > T``) — or, when demand
  weights are known, when its E2SFCA accessibility is in the lowest band (:func:`low_band`).

E2SFCA (Luo & Qi 2009) is implemented here rather than through PySAL ``access``: ``access``
wants a full origin–destination cost DataFrame and aggregates with pandas ``groupby``, which
costs more than the whole sweep; the kernel below works on the sparse (point, resource)
pairs a KD-tree returns, with ``numpy.bincount``. The tests check it against ``access`` and
against a grid worked by hand.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from ..geo.distance import arc_for_chord, chord_for_arc_m

__all__ = [
    "LUO_QI_ZONES",
    "build_tree",
    "Sweep",
    "sweep",
    "CategoryIndex",
    "sweep_categories",
    "locality_order",
    "nearest",
    "count_within",
    "pairs_within",
    "unit_nearest",
    "unit_count_within",
    "share_covered",
    "step_weight",
    "e2sfca",
    "unit_mean",
    "low_band",
    "gap_flags",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Luo & Qi's step weights: (upper bound as a fraction of the threshold, weight); bounds inclusive.
LUO_QI_ZONES: tuple[tuple[float, float], ...] = ((1 / 3, 1.0), (2 / 3, 0.68), (1.0, 0.22))


def build_tree(xyz: FloatArray) -> cKDTree | None:
    """A KD-tree over unit vectors, or ``None`` for no points (every query then finds nothing).

    Balanced (median splits), compact nodes, 32 points a leaf: slower to build than scipy's
    sliding-midpoint default, but on the national workload the radius counts run about twice as
    fast and nearest queries a little faster (measured in ``bench/gaps.py``); a gap map builds
    its trees once and queries every point of every category.
    """
    xyz = np.asarray(xyz, dtype=float).reshape(-1, 3)
    return cKDTree(xyz, leafsize=32, balanced_tree=True, compact_nodes=True) if len(xyz) else None


def nearest(tree: cKDTree | None, points_xyz: FloatArray, cap_m: float = math.inf,
            *, workers: int = 1) -> tuple[FloatArray, IntArray]:
    """Distance (m) from each point to the nearest tree point and its row; ``(inf, -1)`` beyond *cap_m*."""
    pts = np.asarray(points_xyz, dtype=float).reshape(-1, 3)
    n = len(pts)
    if tree is None or n == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    chord, rows = tree.query(pts, k=1, distance_upper_bound=_cap_chord(cap_m), workers=workers)
    return _metres_within_cap(chord, rows, cap_m)


def _cap_chord(cap_m: float) -> float:
    """The ``distance_upper_bound`` of a nearest query capped at *cap_m* metres."""
    return float(chord_for_arc_m(cap_m)) if math.isfinite(cap_m) else math.inf


def _metres_within_cap(chord: FloatArray, rows: IntArray, cap_m: float) -> tuple[FloatArray, IntArray]:
    """A nearest query's chords and rows as :func:`nearest` answers them: metres, ``(inf, -1)`` beyond *cap_m*."""
    dist = np.where(np.isfinite(chord), arc_for_chord(np.where(np.isfinite(chord), chord, 0.0)), np.inf)
    rows = np.where(np.isfinite(chord), rows, -1).astype(np.int64)
    dist[dist > cap_m] = np.inf  # chord → arc rounding must not admit a point beyond the cap
    rows[~np.isfinite(dist)] = -1
    return dist, rows


@dataclass(frozen=True)
class Sweep:
    """Per demand point: nearest distance (m, ``inf`` beyond the cap), its tree row (-1), count within the threshold."""

    nearest_m: FloatArray
    nearest_row: IntArray
    count: IntArray

    @property
    def gap(self) -> npt.NDArray[np.bool_]:
        return gap_flags(self.count)


def sweep(tree: cKDTree | None, points_xyz: FloatArray, threshold_m: float, cap_m: float = math.inf,
          *, workers: int = 1) -> Sweep:
    """The measures of one category at every point, in two vectorised tree passes.

    The nearest pass is the same query as a plain nearest-neighbour sweep; the count pass only
    visits points whose nearest resource is within the threshold. This is the path used for
    single-point units (町丁目, mesh cells) and measured in ``bench/gaps.py``.
    """
    near, rows = nearest(tree, points_xyz, cap_m, workers=workers)
    return Sweep(near, rows, count_within(tree, points_xyz, threshold_m, near, workers=workers))


@dataclass(frozen=True)
class CategoryIndex:
    """The resources of several categories, indexed for :func:`sweep_categories`.

    A resource may be in several categories (a 地域包括支援センター is also a 相談窓口), so there
    are two kinds of tree: one per category, for the nearest search (a category's nearest must
    not be another category's resource), and one over every resource, for the radius pairs,
    with the categories of its row ``r`` beside it (``categories[indptr[r]:indptr[r + 1]]``) and
    that resource's row in each of those categories' trees (``positions``, aligned with
    ``categories``). One radius pass over all resources then serves every category at once; per
    category it would visit a resource once for each category it is in, and the crowded centres
    once per category. The tree of all resources holds them in :func:`locality_order`, so the
    points of a leaf, and their categories, lie together in memory (on the national workload its
    pair search takes about a fifth less time than over the resources in input order).
    """

    trees: tuple[cKDTree | None, ...]
    all_tree: cKDTree | None
    indptr: IntArray
    categories: IntArray
    positions: IntArray

    @classmethod
    def build(cls, xyz: FloatArray, members: Sequence[npt.ArrayLike]) -> CategoryIndex:
        """Index the resources at unit vectors *xyz*; ``members[c]`` are the rows of *xyz* in category ``c``.

        Each category's tree is :func:`build_tree` of ``xyz[members[c]]``, so its rows (the
        ``nearest_row`` of a sweep) are positions in ``members[c]``.
        """
        xyz = np.asarray(xyz, dtype=float).reshape(-1, 3)
        per_cat = [np.asarray(m, dtype=np.int64).reshape(-1) for m in members]
        in_space = locality_order(xyz)  # row r of the tree of all resources is resource in_space[r]
        tree_row = np.empty(len(xyz), dtype=np.int64)
        tree_row[in_space] = np.arange(len(xyz))
        rows = tree_row[np.concatenate(per_cat)] if per_cat else np.empty(0, np.int64)
        cats = np.repeat(np.arange(len(per_cat), dtype=np.int64), [len(m) for m in per_cat])
        positions = np.concatenate([np.arange(len(m), dtype=np.int64) for m in per_cat]) if per_cat else rows
        order = np.argsort(rows, kind="stable")
        indptr = np.zeros(len(xyz) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(xyz)), out=indptr[1:])
        return cls(tuple(build_tree(xyz[m]) for m in per_cat), build_tree(xyz[in_space]), indptr, cats[order],
                   positions[order])


#: Demand points per radius-pair batch of :func:`sweep_categories` (bounds the pairs held at once).
_COUNT_BATCH = 8192


def sweep_categories(index: CategoryIndex, points_xyz: FloatArray, threshold_m: float,
                     cap_m: float = math.inf, *, workers: int = 1) -> list[Sweep]:
    """:func:`sweep` of every category of *index* over the same points: exactly the same answers.

    Why not :func:`sweep` per category: on the national workload (30 categories) most of the
    work is visiting again, category after category, the same crowded centres. Here one pass
    over the tree of all resources finds every (point, resource) pair within the threshold
    (:func:`_pairs_by_category`: the points in batches that are close together, a dual-tree
    search per batch, pairs spread over the resource's categories). The pairs give the counts,
    and also the nearest resource of every (point, category) that has one within the threshold:
    all resources that near are among the pairs, so the closest pair *is* the nearest. Only the
    other (point, category) cells — about 30 % nationally — need a nearest-neighbour query on
    the category's tree, out to *cap_m*.

    Exactness: the dual-tree search computes a pair's distance with the same arithmetic as the
    nearest query (the square root of the same sum of squares), so the closest pair's chord
    equals the query's to the bit. A query keeps the first of equally near resources it meets,
    in an order of its own, so a cell whose closest pairs tie is left to the query; so is a
    cell whose closest pair is a hair from the threshold or from the cap. For the counts, the
    radius query of :func:`count_within` decides ``≤`` on its own rounding, so the pairs are
    fetched a hair beyond the threshold, only those clearly inside are summed, and every
    (point, category) with a pair in the hair-wide band is counted again by :func:`count_within`.
    """
    pts = np.asarray(points_xyz, dtype=float).reshape(-1, 3)
    if not (math.isfinite(threshold_m) and threshold_m >= 0):
        return [sweep(tree, pts, threshold_m, cap_m, workers=workers) for tree in index.trees]
    counts, chords, rows = _pairs_by_category(index, pts, threshold_m, workers)
    bound = _cap_chord(cap_m)
    out = []
    for c, tree in enumerate(index.trees):
        chord, row = chords[c], rows[c]
        ask = np.flatnonzero((row < 0) | ~(chord < bound * (1 - 1e-7)))  # no single closest pair, or near the cap
        chord[ask] = np.inf
        if tree is not None and len(ask):
            chord[ask], row[ask] = tree.query(pts[ask], k=1, distance_upper_bound=bound, workers=workers)
        near, row = _metres_within_cap(chord, row, cap_m)
        count = counts[c]
        count[~(near <= threshold_m)] = 0  # as count_within given these distances
        out.append(Sweep(near, row, count))
    return out


def _pairs_by_category(index: CategoryIndex, pts: FloatArray, threshold_m: float,
                       workers: int) -> tuple[IntArray, FloatArray, IntArray]:
    """What the (point, resource) pairs within *threshold_m* say about each (point, category).

    Three arrays of shape (categories, points): the number of the category's resources within
    *threshold_m*; the chord to the closest of them fetched (``inf`` if none); that resource's
    row in the category's tree, or -1 when the pairs do not settle it: none fetched, several tie
    for closest, or the closest lies in the hair-wide band at the threshold (where a search that
    prunes on rounded box distances might have skipped a nearer one).
    """
    n_cat = len(index.trees)
    counts = np.zeros((n_cat, len(pts)), dtype=np.int64)
    chords = np.full((n_cat, len(pts)), np.inf)
    rows = np.full((n_cat, len(pts)), -1, dtype=np.int64)
    if index.all_tree is None or len(pts) == 0:
        return counts, chords, rows
    radius = chord_for_arc_m(threshold_m)
    inside, beyond = radius * (1 - 1e-7), radius * (1 + 1e-7) + 1e-150
    n_of = np.diff(index.indptr)  # categories per resource
    order = locality_order(pts)
    unsure = []
    for start in range(0, len(pts), _COUNT_BATCH):
        batch = order[start:start + _COUNT_BATCH]
        pairs = cKDTree(pts[batch]).sparse_distance_matrix(index.all_tree, beyond, output_type="ndarray")
        # one entry per (pair, category of its resource): e indexes index.categories / index.positions
        per = n_of[pairs["j"]]
        skip = np.cumsum(per)
        total = int(skip[-1]) if len(skip) else 0
        skip -= per
        e = np.repeat(index.indptr[pairs["j"]] - skip, per)
        e += np.arange(total)
        cell = np.repeat(pairs["i"].astype(np.int64) * n_cat, per)
        cell += index.categories[e]
        v = np.repeat(pairs["v"], per)
        n_cells = len(batch) * n_cat
        sure = v < inside
        counts[:, batch] = np.bincount(cell[sure], minlength=n_cells).reshape(len(batch), n_cat).T
        band = np.unique(cell[~sure])
        unsure.append(np.stack([batch[band // n_cat], band % n_cat], axis=1))
        closest = np.full(n_cells, np.inf)
        np.minimum.at(closest, cell, v)
        at = np.flatnonzero(v == closest[cell])
        row = np.full(n_cells, -1, dtype=np.int64)
        row[cell[at]] = index.positions[e[at]]
        row[np.bincount(cell[at], minlength=n_cells) > 1] = -1  # a tie: the query decides which
        row[~(closest < inside)] = -1  # none, or only in the band
        chords[:, batch] = closest.reshape(len(batch), n_cat).T
        rows[:, batch] = row.reshape(len(batch), n_cat).T
    redo = np.concatenate(unsure)
    for c in np.unique(redo[:, 1]):
        p = redo[redo[:, 1] == c, 0]
        counts[c, p] = count_within(index.trees[c], pts[p], threshold_m, workers=workers)
    return counts, chords, rows


def locality_order(points_xyz: FloatArray) -> IntArray:
    """A permutation of the points that keeps near points together: the leaf order of a KD-tree over them."""
    pts = np.asarray(points_xyz, dtype=float).reshape(-1, 3)
    if len(pts) == 0:
        return np.empty(0, dtype=np.int64)
    return np.asarray(cKDTree(pts, leafsize=1, balanced_tree=False, compact_nodes=False).indices, dtype=np.int64)


def count_within(tree: cKDTree | None, points_xyz: FloatArray, radius_m: float,
                 nearest_m: FloatArray | None = None, *, workers: int = 1) -> IntArray:
    """How many tree points lie within *radius_m* of each point.

    Passing the points' *nearest_m* (from :func:`nearest`) skips every point whose nearest
    resource is already beyond the radius — their count is 0 — which is most of the work in a
    sweep where gaps are common.
    """
    pts = np.asarray(points_xyz, dtype=float).reshape(-1, 3)
    out = np.zeros(len(pts), dtype=np.int64)
    if tree is None or len(pts) == 0:
        return out
    todo = np.arange(len(pts)) if nearest_m is None else np.flatnonzero(np.asarray(nearest_m) <= radius_m)
    if len(todo):
        out[todo] = tree.query_ball_point(pts[todo], chord_for_arc_m(radius_m), return_length=True,
                                          workers=workers)
    return out


def pairs_within(tree: cKDTree | None, points_xyz: FloatArray,
                 radius_m: float) -> tuple[IntArray, IntArray, FloatArray]:
    """Every (point row, tree row, metres) with distance ≤ *radius_m*, as three aligned arrays."""
    pts = np.asarray(points_xyz, dtype=float).reshape(-1, 3)
    if tree is None or len(pts) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    hits = tree.query_ball_point(pts, chord_for_arc_m(radius_m))
    lens = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    pi = np.repeat(np.arange(len(pts), dtype=np.int64), lens)
    rj = np.fromiter((j for h in hits for j in h), dtype=np.int64, count=int(lens.sum()))
    d = arc_for_chord(np.linalg.norm(tree.data[rj] - pts[pi], axis=1)) if len(rj) else np.empty(0)
    keep = d <= radius_m
    return pi[keep], rj[keep], np.asarray(d, dtype=float)[keep]


def unit_nearest(point_nearest_m: FloatArray, owner: IntArray, n_units: int) -> FloatArray:
    """Per unit, the smallest of its points' nearest distances (``inf`` when none is in range)."""
    out = np.full(n_units, np.inf)
    np.minimum.at(out, np.asarray(owner, dtype=np.int64), np.asarray(point_nearest_m, dtype=float))
    return out


def unit_count_within(pi: IntArray, rj: IntArray, owner: IntArray, n_units: int) -> IntArray:
    """Per unit, the number of *distinct* resources within reach of any of its points.

    *pi*, *rj* are the (point, resource) pairs of :func:`pairs_within`.
    """
    if len(pi) == 0:
        return np.zeros(n_units, dtype=np.int64)
    units = np.asarray(owner, dtype=np.int64)[pi]
    pairs = np.unique(np.stack([units, np.asarray(rj, dtype=np.int64)], axis=1), axis=0)
    return np.bincount(pairs[:, 0], minlength=n_units).astype(np.int64)


def share_covered(point_nearest_m: FloatArray, weights: FloatArray, owner: IntArray, n_units: int,
                  threshold_m: float) -> FloatArray:
    """Per unit, the weighted share of its demand whose nearest resource is within *threshold_m*.

    A unit whose weights sum to 0 falls back to the plain share of its points (every point
    counts once), so a unit without a known population is still described.
    """
    hit = (np.asarray(point_nearest_m) <= threshold_m).astype(float)
    return unit_mean(hit, weights, owner, n_units)


def step_weight(distance_m: FloatArray, threshold_m: float,
                zones: Sequence[tuple[float, float]] = LUO_QI_ZONES) -> FloatArray:
    """Distance-decay weight of each distance: the weight of the first zone whose bound it does not exceed, else 0."""
    d = np.asarray(distance_m, dtype=float)
    out = np.zeros(d.shape)
    done = np.zeros(d.shape, dtype=bool)
    for frac, weight in zones:
        sel = ~done & (d <= frac * threshold_m * (1 + 1e-12))
        out[sel] = weight
        done |= sel
    return out


def e2sfca(demand: FloatArray, supply: FloatArray, pi: IntArray, rj: IntArray, d_m: FloatArray,
           threshold_m: float, zones: Sequence[tuple[float, float]] = LUO_QI_ZONES) -> FloatArray:
    """Enhanced two-step floating catchment accessibility of each demand point.

    Step 1, per resource ``j``: ``R_j = S_j / Σ_i P_i W(d_ij)`` over demand points within the
    threshold. Step 2, per point ``i``: ``A_i = Σ_j R_j W(d_ij)``. ``W`` is the step weight of
    :data:`LUO_QI_ZONES` (1, 0.68, 0.22 over thirds of the threshold). A resource that no
    weighted demand reaches contributes nothing (its ratio is undefined, not infinite).
    """
    demand = np.asarray(demand, dtype=float)
    supply = np.asarray(supply, dtype=float)
    w = step_weight(d_m, threshold_m, zones)
    load = np.bincount(rj, weights=demand[pi] * w, minlength=len(supply))
    ratio = np.divide(supply, load, out=np.zeros(len(supply)), where=load > 0)
    return np.bincount(pi, weights=ratio[rj] * w, minlength=len(demand)).astype(float)


def unit_mean(values: FloatArray, weights: FloatArray, owner: IntArray, n_units: int) -> FloatArray:
    """Per unit, the weighted mean of its points' *values* (plain mean when the weights sum to 0)."""
    owner = np.asarray(owner, dtype=np.int64)
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    tot = np.bincount(owner, weights=w, minlength=n_units)
    s = np.bincount(owner, weights=w * v, minlength=n_units)
    n = np.bincount(owner, minlength=n_units).astype(float)
    plain = np.bincount(owner, weights=v, minlength=n_units)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(tot > 0, s / np.where(tot > 0, tot, 1), plain / np.where(n > 0, n, 1))
    out[n == 0] = np.nan
    return out


def low_band(access: FloatArray, quantile: float = 0.2) -> FloatArray:
    """Units in the lowest band of accessibility: below the *quantile* of the positive values.

    Only units that reach something (access > 0) are ranked — those that reach nothing are
    gaps already. Returns a boolean array; all False when fewer than two units reach anything.
    """
    a = np.asarray(access, dtype=float)
    pos = a[np.isfinite(a) & (a > 0)]
    if len(pos) < 2:
        return np.zeros(a.shape, dtype=bool)
    cut = float(np.quantile(pos, quantile))
    return np.isfinite(a) & (a > 0) & (a < cut)


def gap_flags(count: IntArray, low_access: FloatArray | None = None) -> npt.NDArray[np.bool_]:
    """A unit is a gap when no resource is within reach, or (with weights) its access is in the lowest band."""
    gap = np.asarray(count) == 0
    if low_access is not None:
        gap = gap | np.asarray(low_access, dtype=bool)
    return gap
