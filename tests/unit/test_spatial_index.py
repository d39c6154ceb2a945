"""The read model's spatial index against a brute-force haversine oracle, through inserts, moves and removals."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from resourcemap.geo import haversine_m, load_chome
from resourcemap.graph.spatial import ALL, SpatialIndex

POINTS = [(c.lat, c.lng) for c in load_chome("13206")] + [(c.lat, c.lng) for c in load_chome("13218")]
CATS = ["a", "b", "c"]

ops = st.lists(st.tuples(st.sampled_from(["put", "remove"]), st.integers(0, 40),
                         st.integers(0, len(POINTS) - 1), st.sets(st.sampled_from(CATS), max_size=2)),
               max_size=120)


@settings(max_examples=150, deadline=None)
@given(ops=ops, q=st.integers(0, len(POINTS) - 1), radius=st.floats(50, 8000), k=st.integers(1, 12),
       min_delta=st.sampled_from([1, 4, 256]), bulk=st.booleans())
def test_within_and_nearest_equal_brute_force(ops, q, radius, k, min_delta, bulk):
    truth: dict[str, tuple[float, float, set[str]]] = {}
    index = SpatialIndex(min_delta=min_delta, rebuild_fraction=0.1)
    if bulk:  # start from a bulk-built index, as the read model does
        seed = {f"s{i}": (POINTS[i * 7 % len(POINTS)], {CATS[i % 3]}) for i in range(20)}
        index = SpatialIndex.build(((pid, p[0], p[1], c) for pid, (p, c) in seed.items()),
                                   min_delta=min_delta, rebuild_fraction=0.1)
        truth = {pid: (p[0], p[1], set(c)) for pid, (p, c) in seed.items()}
    for op, i, j, cats in ops:
        pid = f"s{i}"  # the same ids as the bulk-built seed: moves and removals hit the tree, not just the delta
        if op == "put":
            index.upsert(pid, *POINTS[j], sorted(cats))
            truth[pid] = (*POINTS[j], set(cats))
        else:
            index.remove(pid)
            truth.pop(pid, None)
    qlat, qlng = POINTS[q]
    for cat in [ALL, *CATS]:
        members = {pid: v for pid, v in truth.items() if cat == ALL or cat in v[2]}
        dist = {pid: haversine_m(qlat, qlng, v[0], v[1]) for pid, v in members.items()}
        want = sorted((d, pid) for pid, d in dist.items() if d <= radius)
        got = index.within(qlat, qlng, radius, cat)
        assert [pid for pid, _ in got] == [pid for _, pid in want] or \
            sorted(pid for pid, _ in got) == sorted(pid for _, pid in want)  # ties may order either way
        for pid, d in got:
            assert abs(d - dist[pid]) < 1e-3
        near = index.nearest(qlat, qlng, k, radius, cat)
        assert [round(d, 3) for _, d in near] == [round(d, 3) for d, _ in want[:k]]
    assert len(index) == len(truth)


def test_nearest_skips_tombstones_in_the_tree():
    """Removed points still sit in the static tree until a rebuild; k-NN must look past them."""
    pts = POINTS[:60]
    index = SpatialIndex.build(((f"s{i}", lat, lng, ["a"]) for i, (lat, lng) in enumerate(pts)), min_delta=10_000)
    qlat, qlng = pts[0]
    order = sorted(range(len(pts)), key=lambda i: (haversine_m(qlat, qlng, *pts[i]), f"s{i}"))
    for i in order[:7]:  # the seven nearest become tombstones
        index.remove(f"s{i}")
    got = [pid for pid, _ in index.nearest(qlat, qlng, 3, 1e6, "a")]
    assert got == [f"s{i}" for i in order[7:10]]
    assert [pid for pid, _ in index.within(qlat, qlng, 1e6, "a")] == [f"s{i}" for i in order[7:]]
