"""The gap measures against brute force and against answers worked out by hand.

* Random catalogues on real 町丁目 points (福生市 + 武蔵村山市): nearest distance, count within the
  threshold, unit aggregation and gap flags from the KD-tree code equal a haversine double
  loop written independently here.
* The multi-category sweep (``sweep_categories``) against the per-category definition (nearest, then
  radius counts), to the bit: crowded scenes with ties, 府中市, resources a hair from the threshold
  and from the cap (where the nearest comes from the radius pairs or from the query).
* A tiny grid along one meridian (distances on the sphere are then exact: R·Δφ), where the
  nearest distances, counts and E2SFCA values are computed by hand in the docstrings; and
  the E2SFCA kernel cross-checked against PySAL ``access`` on random instances.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from resourcemap.gaps import measures as M
from resourcemap.geo import EARTH_RADIUS_M, chord_for_arc_m, haversine_m, load_chome, to_unit_xyz

POINTS = [c for code in ("13218", "13223") for c in load_chome(code) if not c.koaza]
LAT0, LNG0 = 35.70, 139.40


def _north(metres: float) -> tuple[float, float]:
    """A point *metres* north of (LAT0, LNG0) on the same meridian (haversine distance exactly R·Δφ)."""
    return LAT0 + math.degrees(metres / EARTH_RADIUS_M), LNG0


def _xyz(latlng: list[tuple[float, float]]) -> np.ndarray:
    return to_unit_xyz([p[0] for p in latlng], [p[1] for p in latlng]).reshape(-1, 3)


# ------------------------------------------------------------------------------------------ oracle
@st.composite
def scenes(draw):
    """Demand points = real 町丁目 points grouped into units; resources = 町丁目 points jittered ≤ 400 m."""
    n_pts = draw(st.integers(1, 40))
    pts = draw(st.lists(st.sampled_from(POINTS), min_size=n_pts, max_size=n_pts))
    n_units = draw(st.integers(1, n_pts))
    owner = np.array(draw(st.lists(st.integers(0, n_units - 1), min_size=n_pts, max_size=n_pts)))
    owner[:n_units] = np.arange(n_units)  # every unit owns at least one point
    n_res = draw(st.integers(0, 30))
    res = []
    for _ in range(n_res):
        base = draw(st.sampled_from(POINTS))
        dy, dx = draw(st.floats(-400, 400)), draw(st.floats(-400, 400))
        res.append((base.lat + math.degrees(dy / EARTH_RADIUS_M),
                    base.lng + math.degrees(dx / (EARTH_RADIUS_M * math.cos(math.radians(base.lat))))))
    weights = np.array(draw(st.lists(st.sampled_from([0.0, 1.0, 2.5, 10.0]), min_size=n_pts, max_size=n_pts)))
    threshold = draw(st.sampled_from([300.0, 500.0, 800.0, 1500.0]))
    cap = draw(st.sampled_from([2000.0, 5000.0, math.inf]))
    return [(p.lat, p.lng) for p in pts], owner, n_units, res, weights, threshold, cap


def _oracle(pts, owner, n_units, res, weights, threshold, cap):
    d = np.array([[haversine_m(a, b, c, e) for (c, e) in res] for (a, b) in pts]).reshape(len(pts), len(res))
    assume(not np.any(np.abs(d - threshold) < 1e-6) and not np.any(np.abs(d - cap) < 1e-6))
    p_near = np.array([min([x for x in row if x <= cap], default=math.inf) for row in d])
    u_near, u_count, share = [], [], []
    for u in range(n_units):
        rows = [i for i in range(len(pts)) if owner[i] == u]
        u_near.append(min(p_near[i] for i in rows))
        u_count.append(len({j for i in rows for j in range(len(res)) if d[i, j] <= threshold}))
        w = [weights[i] for i in rows]
        hit = [1.0 if p_near[i] <= threshold else 0.0 for i in rows]
        share.append(sum(a * b for a, b in zip(w, hit)) / sum(w) if sum(w) > 0 else sum(hit) / len(hit))
    return p_near, np.array(u_near), np.array(u_count), np.array(share)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_measures_equal_brute_force(scene):
    pts, owner, n_units, res, weights, threshold, cap = scene
    p_near_o, u_near_o, u_count_o, share_o = _oracle(*scene)
    tree = M.build_tree(_xyz(res)) if res else None
    xyz = _xyz(pts)
    p_near, rows = M.nearest(tree, xyz, cap)
    np.testing.assert_allclose(p_near, p_near_o, rtol=0, atol=1e-6)
    for i, r in enumerate(rows):  # the row returned is a resource at that distance
        if r >= 0:
            assert abs(haversine_m(*pts[i], *res[r]) - p_near_o[i]) < 1e-6
        else:
            assert p_near_o[i] == math.inf
    u_near = M.unit_nearest(p_near, owner, n_units)
    np.testing.assert_allclose(u_near, u_near_o, rtol=0, atol=1e-6)
    pi, rj, d = M.pairs_within(tree, xyz, threshold)
    assert np.all(d <= threshold)
    assert len(pi) == sum(1 for p in pts for q in res if haversine_m(*p, *q) <= threshold)
    count = M.unit_count_within(pi, rj, owner, n_units)
    np.testing.assert_array_equal(count, u_count_o)
    np.testing.assert_array_equal(M.count_within(tree, xyz, threshold),
                                  [sum(1 for q in res if haversine_m(*p, *q) <= threshold) for p in pts])
    # skipping points whose nearest is beyond the radius changes nothing
    np.testing.assert_array_equal(M.count_within(tree, xyz, threshold, nearest_m=M.nearest(tree, xyz)[0]),
                                  M.count_within(tree, xyz, threshold))
    np.testing.assert_allclose(M.share_covered(p_near, weights, owner, n_units, threshold), share_o, atol=1e-12)
    gap = M.gap_flags(count)
    np.testing.assert_array_equal(gap, u_count_o == 0)
    # the vectorised per-point sweep (the path of single-point units and of bench/gaps.py)
    sw = M.sweep(tree, xyz, threshold, cap)
    np.testing.assert_allclose(sw.nearest_m, p_near_o, rtol=0, atol=1e-6)
    per_point = np.array([sum(1 for q in res if haversine_m(*p, *q) <= threshold) for p in pts])
    np.testing.assert_array_equal(sw.count, per_point)
    np.testing.assert_array_equal(sw.gap, per_point == 0)
    # a gap is exactly a unit whose nearest resource is beyond the threshold (or none in range)
    np.testing.assert_array_equal(gap, ~(u_near_o <= threshold))


def _assert_sweeps_are_two_passes(sweeps: list[M.Sweep], index: M.CategoryIndex, xyz, threshold, cap) -> None:
    """Each category's sweep equals the definition: nearest within the cap, then radius counts where in reach."""
    assert len(sweeps) == len(index.trees)
    for tree, sw in zip(index.trees, sweeps):
        near, rows = M.nearest(tree, xyz, cap)
        np.testing.assert_array_equal(sw.nearest_m, near)  # exactly: the same search, the same conversion
        np.testing.assert_array_equal(sw.nearest_row, rows)
        np.testing.assert_array_equal(sw.count, M.count_within(tree, xyz, threshold, near))


@st.composite
def crowded_scenes(draw):
    """Resources packed around a few 町丁目 points, some exactly on top of each other, each in one to
    three of four categories (so a category may be empty), thresholds from 0 (only exact hits) up."""
    n_pts = draw(st.integers(1, 30))
    pts = draw(st.lists(st.sampled_from(POINTS), min_size=n_pts, max_size=n_pts))
    hubs = draw(st.lists(st.sampled_from(POINTS + pts), min_size=1, max_size=4))
    res, cats = [], []
    for _ in range(draw(st.integers(0, 60))):
        base = draw(st.sampled_from(hubs))
        dy, dx = draw(st.sampled_from([0.0, 1.0])) * draw(st.floats(-600, 600)), draw(st.floats(-600, 600))
        p = (base.lat + math.degrees(dy / EARTH_RADIUS_M),
             base.lng + math.degrees(dx / (EARTH_RADIUS_M * math.cos(math.radians(base.lat)))))
        for _ in range(draw(st.integers(1, 2))):
            res.append(p)
            cats.append(draw(st.sets(st.integers(0, 3), min_size=1, max_size=3)))
    threshold = draw(st.sampled_from([0.0, 200.0, 800.0, 1500.0, math.inf]))
    cap = draw(st.sampled_from([1000.0, 5000.0, math.inf]))
    return [(p.lat, p.lng) for p in pts], res, cats, threshold, cap


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crowded_scenes())
def test_sweep_categories_equals_two_passes_per_category(scene):
    pts, res, cats, threshold, cap = scene
    members = [[r for r, cs in enumerate(cats) if c in cs] for c in range(4)]
    index = M.CategoryIndex.build(_xyz(res), members)
    xyz = _xyz(pts)
    _assert_sweeps_are_two_passes(M.sweep_categories(index, xyz, threshold, cap), index, xyz, threshold, cap)


@st.composite
def edge_scenes(draw):
    """Points on one meridian (distances there are R·Δφ), resources in three categories placed at
    chosen distances from a point: a hair either side of, or exactly at, the threshold or the cap,
    anywhere up to twice the threshold, some on top of each other (ties). Every scene has a cell
    settled by the pairs within the threshold (the first resource, clearly inside, for the first
    point and category 0) and cells that have none (a point 50 km beyond everything)."""
    threshold = draw(st.sampled_from([200.0, 800.0]))
    cap = draw(st.sampled_from([threshold / 2, threshold, 5000.0, math.inf]))
    north = draw(st.lists(st.floats(0, 5000), min_size=1, max_size=6))
    res_north = [north[0] + draw(st.sampled_from([-1, 1])) * draw(st.floats(0, 0.45 * threshold))]
    cats = [{0} | draw(st.sets(st.integers(0, 2), max_size=2))]
    for _ in range(draw(st.integers(0, 12))):
        edge = draw(st.sampled_from([threshold, cap if math.isfinite(cap) else threshold]))
        hair = draw(st.sampled_from([0.0, 1e-9, -1e-9, 1e-7, -1e-7, 1e-3, -1e-3]))
        dist = draw(st.one_of(st.just(edge + hair), st.floats(0, 2 * threshold)))
        at = draw(st.sampled_from(north)) + draw(st.sampled_from([-1, 1])) * dist
        for _ in range(draw(st.integers(1, 2))):
            res_north.append(at)
            cats.append(draw(st.sets(st.integers(0, 2), min_size=1, max_size=3)))
    pts = [_north(m) for m in north] + [_north(max(north) + 2 * threshold + 50_000.0)]
    return pts, [_north(m) for m in res_north], cats, threshold, cap


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edge_scenes())
def test_sweep_categories_nearest_from_pairs_equals_the_query(scene):
    """The nearest of a cell with a resource within the threshold comes from the radius pairs, the
    others' from the query: both equal the per-category query (rows too, ties included) and the
    haversine brute force, also at the threshold and at the cap."""
    pts, res, cats, threshold, cap = scene
    members = [[r for r, cs in enumerate(cats) if c in cs] for c in range(3)]
    index = M.CategoryIndex.build(_xyz(res), members)
    xyz = _xyz(pts)
    sweeps = M.sweep_categories(index, xyz, threshold, cap)
    _assert_sweeps_are_two_passes(sweeps, index, xyz, threshold, cap)
    assert sweeps[0].nearest_m[0] <= threshold and sweeps[0].count[0] >= 1  # settled by the pairs
    assert all(sw.gap[-1] and (sw.nearest_row[-1] == -1 or cap == math.inf) for sw in sweeps)  # none in reach
    for c, sw in enumerate(sweeps):
        for i, p in enumerate(pts):
            d = [haversine_m(*p, *res[r]) for r in members[c]]
            brute = min([x for x in d if x <= cap], default=math.inf)
            if any(abs(x - cap) < 1e-6 for x in d):
                continue  # at the cap either answer is right; the two passes above decide
            assert sw.nearest_m[i] == pytest.approx(brute, abs=1e-6)
            if sw.nearest_row[i] >= 0:
                assert d[sw.nearest_row[i]] == pytest.approx(brute, abs=1e-6)


def test_sweep_categories_on_a_real_city_equals_two_passes_per_category():
    """府中市: every 町丁目 point against five categories from empty to crowded (resources on the
    町丁目 points themselves, so many exact ties, half jittered ≤ 500 m; one resource in several
    categories); answers come back in the input order and equal the two passes of each category."""
    fuchu = [(c.lat, c.lng) for c in load_chome("13206") if not c.koaza]
    rng = np.random.default_rng(14)
    n = 2000
    base = np.array(fuchu)[rng.integers(0, len(fuchu), n)]
    jitter = rng.uniform(-500, 500, (n, 2)) * (rng.random(n) < 0.5)[:, None]
    res = to_unit_xyz(base[:, 0] + np.degrees(jitter[:, 0] / EARTH_RADIUS_M),
                      base[:, 1] + np.degrees(jitter[:, 1] / (EARTH_RADIUS_M * np.cos(np.radians(base[:, 0])))))
    members = [np.empty(0, np.int64), np.arange(3), rng.choice(n, 40, replace=False),
               rng.choice(n, 400, replace=False), np.arange(n)]
    index = M.CategoryIndex.build(res, members)
    xyz = _xyz(fuchu)
    sweeps = M.sweep_categories(index, xyz, 800.0, 5000.0)
    _assert_sweeps_are_two_passes(sweeps, index, xyz, 800.0, 5000.0)
    assert sweeps[0].gap.all() and not sweeps[4].gap.any()
    assert max(int(sw.count.max()) for sw in sweeps) > 100  # crowded: many pairs per point


def test_sweep_categories_at_the_threshold_agrees_with_count_within():
    """Resources exactly at, and a hair either side of, 800 m north of the point: whatever ``count_within``
    decides at the edge, the one-pass counts decide the same (the band is recounted by it)."""
    res = _xyz([_north(m) for m in (800.0, 800.0 - 1e-9, 800.0 + 1e-9, 799.9999, 0.0)])
    index = M.CategoryIndex.build(res, [[0], [1], [2], [0, 1, 2, 3], [4, 0]])
    xyz = _xyz([(LAT0, LNG0)])
    sweeps = M.sweep_categories(index, xyz, 800.0, 5000.0)
    _assert_sweeps_are_two_passes(sweeps, index, xyz, 800.0, 5000.0)
    assert sweeps[3].count[0] >= 1 and sweeps[4].count[0] >= 1


@pytest.mark.parametrize("cap, threshold", [(333.3, 800.0), (500.0, 800.0), (1234.5, 1500.0)])
def test_sweep_categories_at_the_cap_agrees_with_the_query(cap, threshold):
    """Resources within the threshold whose chords are the cap's query bound and a few floating-point
    steps either side: the query keeps only chords whose square is below the bound's, which the
    closest pair's chord alone cannot tell, so these cells go to the query and both answers agree."""
    bound = chord_for_arc_m(cap)
    chords = [bound]
    for _ in range(8):
        chords = [np.nextafter(chords[0], 0.0), *chords, np.nextafter(chords[-1], 1.0)]
    index = M.CategoryIndex.build(np.array([[1.0, t, 0.0] for t in chords]), [[i] for i in range(len(chords))])
    xyz = np.array([[1.0, 0.0, 0.0]])
    sweeps = M.sweep_categories(index, xyz, threshold, cap)
    _assert_sweeps_are_two_passes(sweeps, index, xyz, threshold, cap)
    assert sweeps[0].nearest_row[0] == 0 and sweeps[-1].nearest_row[0] == -1


def test_locality_order_is_a_permutation():
    xyz = _xyz([(p.lat, p.lng) for p in POINTS])
    order = M.locality_order(xyz)
    assert sorted(order.tolist()) == list(range(len(POINTS)))
    assert len(M.locality_order(np.empty((0, 3)))) == 0
    index = M.CategoryIndex.build(xyz, [np.arange(len(POINTS))])
    assert M.sweep_categories(index, np.empty((0, 3)), 800.0)[0].count.shape == (0,)


def test_no_resources_means_every_unit_is_a_gap():
    xyz = _xyz([(p.lat, p.lng) for p in POINTS[:5]])
    near, rows = M.nearest(None, xyz)
    assert np.all(np.isinf(near)) and np.all(rows == -1)
    assert M.gap_flags(M.count_within(None, xyz, 800)).all()


# ------------------------------------------------------------------------------------------ hand-worked grid
# Demand points P0…P4 at 0, 300, 600, 900, 1200 m north; supply S1 at 150 m (capacity 10), S2 at 1050 m
# (capacity 5); populations 10, 20, 30, 20, 10; threshold 900 m → zones ≤300 m: 1, ≤600 m: 0.68, ≤900 m: 0.22.
GRID_DEMAND = [_north(m) for m in (0, 300, 600, 900, 1200)]
GRID_SUPPLY = [_north(150), _north(1050)]
POP = np.array([10.0, 20.0, 30.0, 20.0, 10.0])
CAP = np.array([10.0, 5.0])


def test_grid_nearest_and_counts_by_hand():
    """Distances: P0–S1 150, P1–S1 150 / S2 750, P2 450 / 450, P3 750 / 150, P4–S2 150 (P0–S2, P4–S1: 1050)."""
    tree = M.build_tree(_xyz(GRID_SUPPLY))
    near, rows = M.nearest(tree, _xyz(GRID_DEMAND))
    np.testing.assert_allclose(near, [150, 150, 450, 150, 150], atol=1e-6)
    assert rows[0] == 0 and rows[4] == 1
    np.testing.assert_array_equal(M.count_within(tree, _xyz(GRID_DEMAND), 900), [1, 2, 2, 2, 1])
    np.testing.assert_array_equal(M.count_within(tree, _xyz(GRID_DEMAND), 500), [1, 1, 2, 1, 1])
    assert M.gap_flags(M.count_within(tree, _xyz(GRID_DEMAND), 100)).all()
    capped, _ = M.nearest(tree, _xyz(GRID_DEMAND), cap_m=400)
    assert math.isinf(capped[2]) and capped[0] == pytest.approx(150, abs=1e-6)


def test_grid_e2sfca_by_hand():
    """Step 1: load(S1) = 10·1 + 20·1 + 30·0.68 + 20·0.22 = 54.8 → R1 = 10/54.8;
    load(S2) = 20·0.22 + 30·0.68 + 20·1 + 10·1 = 54.8 → R2 = 5/54.8.
    Step 2: A0 = R1 = 10/54.8; A1 = R1 + 0.22·R2 = 11.1/54.8; A2 = 0.68·(R1 + R2) = 10.2/54.8;
    A3 = 0.22·R1 + R2 = 7.2/54.8; A4 = R2 = 5/54.8."""
    tree = M.build_tree(_xyz(GRID_SUPPLY))
    pi, rj, d = M.pairs_within(tree, _xyz(GRID_DEMAND), 900)
    access = M.e2sfca(POP, CAP, pi, rj, d, 900)
    np.testing.assert_allclose(access, np.array([10, 11.1, 10.2, 7.2, 5]) / 54.8, rtol=1e-9)
    # supply-weighted total is conserved: Σ P_i A_i = Σ S_j when every supply reaches some demand
    assert float((POP * access).sum()) == pytest.approx(CAP.sum())
    # unit mean over two units {P0,P1,P2}, {P3,P4} weighted by population
    owner = np.array([0, 0, 0, 1, 1])
    np.testing.assert_allclose(M.unit_mean(access, POP, owner, 2),
                               [(10 * 10 + 20 * 11.1 + 30 * 10.2) / 60 / 54.8, (20 * 7.2 + 10 * 5) / 30 / 54.8])


def test_step_weights_and_low_band():
    np.testing.assert_array_equal(M.step_weight([0, 300, 300.5, 600, 899, 900, 901], 900),
                                  [1, 1, 0.68, 0.68, 0.22, 0.22, 0])
    low = M.low_band(np.array([0.0, 1.0, 2.0, 3.0, 4.0, np.nan]), 0.25)
    np.testing.assert_array_equal(low, [False, True, False, False, False, False])
    assert not M.low_band(np.array([0.0, 5.0])).any()


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 8), st.integers(1, 5), st.randoms(use_true_random=False))
def test_e2sfca_matches_pysal_access(n_dem, n_sup, rnd):
    from access import fca, weights

    dem = np.array([rnd.choice([0.0, 5.0, 12.0, 40.0]) for _ in range(n_dem)])
    dem[0] = max(dem[0], 1.0)
    sup = np.array([rnd.choice([1.0, 3.0, 8.0]) for _ in range(n_sup)])
    cost = np.array([[rnd.uniform(0, 1200) for _ in range(n_sup)] for _ in range(n_dem)])
    assume(not np.any(np.isin(np.round(cost, 6), [300.0, 600.0, 900.0])))
    pi, rj = np.nonzero(cost <= 900)
    ours = M.e2sfca(dem, sup, pi, rj, cost[pi, rj], 900)
    demand_df = pd.DataFrame({"demand": dem}, index=pd.Index(range(n_dem), name="geoid"))
    supply_df = pd.DataFrame({"supply": sup}, index=pd.Index(range(n_sup), name="geoid"))
    cost_df = pd.DataFrame([(i, j, cost[i, j]) for i in range(n_dem) for j in range(n_sup)],
                           columns=["origin", "dest", "cost"])
    theirs = fca.two_stage_fca(demand_df, supply_df, cost_df, max_cost=900, demand_name="demand",
                               supply_name="supply", weight_fn=weights.step_fn({300: 1, 600: 0.68, 900: 0.22}))
    # access leaves demand points that reach nothing out of its result, and gives inf/NaN for a
    # supply no weighted demand reaches; ours gives 0 for both (nothing is accessible there).
    theirs = theirs.replace([np.inf, -np.inf], np.nan).reindex(range(n_dem))
    reach = np.isin(np.arange(n_dem), pi)
    load = np.bincount(rj, weights=dem[pi] * M.step_weight(cost[pi, rj], 900), minlength=n_sup)
    assume(np.all(load[np.unique(rj)] > 0))  # access divides by zero there
    np.testing.assert_allclose(ours[reach], theirs.to_numpy()[reach], rtol=1e-9)
    assert np.all(ours[~reach] == 0)
