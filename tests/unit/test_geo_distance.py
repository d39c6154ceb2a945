"""Distances on the sphere: a known distance between two real 町丁目 points, properties, KD-tree helpers."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from scipy.spatial import cKDTree

from resourcemap.geo import (
    EARTH_RADIUS_M,
    arc_for_chord,
    chome_by_name,
    chord_for_arc_m,
    haversine_m,
    load_chome,
    to_unit_xyz,
    walk_minutes,
)

SPHERE = Geod(a=EARTH_RADIUS_M, f=0.0)

# 府中市宮西町二丁目 (市役所) and 武蔵村山市本町一丁目 (市役所), as in chome_points.csv.
FUCHU = (35.669764, 139.477636)
MUSASHIMURAYAMA = (35.753453, 139.38556)


def test_radius_is_the_peers_sphere() -> None:
    assert EARTH_RADIUS_M == 6_371_008.771


def test_known_distance_between_two_city_halls_matches_pyproj_sphere() -> None:
    _, _, expected = SPHERE.inv(FUCHU[1], FUCHU[0], MUSASHIMURAYAMA[1], MUSASHIMURAYAMA[0])
    got = haversine_m(*FUCHU, *MUSASHIMURAYAMA)
    assert isinstance(got, float)
    assert abs(got - expected) / expected < 1e-6
    assert 12_000 < got < 13_000  # about 12.5 km: a hand check on the map


def test_points_come_from_the_data() -> None:
    assert (chome_by_name("13206", "宮西町二丁目").lat, chome_by_name("13206", "宮西町二丁目").lng) == FUCHU
    assert (chome_by_name("13223", "本町一丁目").lat, chome_by_name("13223", "本町一丁目").lng) == MUSASHIMURAYAMA


def test_vectorised_matches_scalar_and_pyproj_for_all_fuchu_points() -> None:
    pts = load_chome("13206")
    lat = np.array([c.lat for c in pts])
    lng = np.array([c.lng for c in pts])
    d = haversine_m(FUCHU[0], FUCHU[1], lat, lng)
    assert isinstance(d, np.ndarray) and d.shape == (len(pts),)
    _, _, ref = SPHERE.inv(np.full_like(lng, FUCHU[1]), np.full_like(lat, FUCHU[0]), lng, lat)
    mask = ref > 0
    assert np.all(np.abs(d[mask] - ref[mask]) / ref[mask] < 1e-6)
    assert d[~mask].max(initial=0.0) < 1e-6
    assert d[5] == pytest.approx(haversine_m(FUCHU[0], FUCHU[1], pts[5].lat, pts[5].lng), rel=1e-12)


def test_walk_minutes() -> None:
    assert walk_minutes(0) == 0
    assert walk_minutes(1) == 1
    assert walk_minutes(80) == 1
    assert walk_minutes(81) == 2
    assert walk_minutes(160) == 2
    assert walk_minutes(160 * (1 + 1e-15)) == 2  # float noise does not add a minute
    assert walk_minutes(160, speed_m_per_min=60) == 3  # older people: configurable speed
    with pytest.raises(ValueError):
        walk_minutes(-1)
    with pytest.raises(ValueError):
        walk_minutes(100, speed_m_per_min=0)


def test_chord_arc_round_trip() -> None:
    for m in (0.0, 1.0, 800.0, 12_345.6, 1_000_000.0):
        assert arc_for_chord(chord_for_arc_m(m)) == pytest.approx(m, rel=1e-9, abs=1e-6)


def test_unit_vectors_and_chord_equal_haversine() -> None:
    xyz = to_unit_xyz([FUCHU[0], MUSASHIMURAYAMA[0]], [FUCHU[1], MUSASHIMURAYAMA[1]])
    assert xyz.shape == (2, 3)
    assert np.allclose(np.linalg.norm(xyz, axis=1), 1.0)
    chord = float(np.linalg.norm(xyz[0] - xyz[1]))
    assert arc_for_chord(chord) == pytest.approx(haversine_m(*FUCHU, *MUSASHIMURAYAMA), rel=1e-9)


def test_kdtree_radius_query_equals_brute_force() -> None:
    pts = load_chome()
    lat = np.array([c.lat for c in pts])
    lng = np.array([c.lng for c in pts])
    tree = cKDTree(to_unit_xyz(lat, lng))
    radius = 1_000.0
    got = set(tree.query_ball_point(to_unit_xyz(*FUCHU), chord_for_arc_m(radius)))
    brute = {i for i, d in enumerate(haversine_m(FUCHU[0], FUCHU[1], lat, lng)) if d <= radius}
    assert got == brute and len(got) > 5


# Points in and around Japan (the data's domain); far from antipodes, where haversine is well conditioned.
lats = st.floats(min_value=20.0, max_value=46.0, allow_nan=False)
lngs = st.floats(min_value=122.0, max_value=154.0, allow_nan=False)
points = st.tuples(lats, lngs)


@settings(max_examples=200, deadline=None)
@given(points, points)
def test_haversine_is_symmetric_and_non_negative(a: tuple[float, float], b: tuple[float, float]) -> None:
    ab, ba = haversine_m(*a, *b), haversine_m(*b, *a)
    assert ab >= 0.0
    assert math.isclose(ab, ba, rel_tol=1e-12, abs_tol=1e-9)
    assert haversine_m(*a, *a) == 0.0


@settings(max_examples=200, deadline=None)
@given(points, points, points)
def test_haversine_triangle_inequality(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> None:
    assert haversine_m(*a, *c) <= haversine_m(*a, *b) + haversine_m(*b, *c) + 1e-6
