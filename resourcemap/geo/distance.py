"""Distances on the sphere, walking time, and unit vectors for KD-trees.

Why a sphere: REFERENCE.md asks for haversine distances in metres; the benchmark peers use
the IUGG mean-radius sphere (R = 6 371 008.771 m), so results agree with them to the
millimetre. Why unit vectors: :class:`scipy.spatial.cKDTree` works in Euclidean space;
on the unit sphere the chord length is a strictly increasing function of the arc length,
so a radius query with ``chord_for_arc_m(r)`` returns exactly the points within ``r``
metres along the surface, and :func:`arc_for_chord` turns KD-tree distances back into
metres.
"""
from __future__ import annotations

import math
from typing import overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "EARTH_RADIUS_M",
    "WALK_SPEED_M_PER_MIN",
    "haversine_m",
    "walk_minutes",
    "to_unit_xyz",
    "chord_for_arc_m",
    "arc_for_chord",
]

#: Mean Earth radius (IUGG, metres); the sphere the benchmark peers use.
EARTH_RADIUS_M: float = 6_371_008.771

#: 80 m/min: the Japanese convention for 徒歩 minutes (不動産の表示に関する公正競争規約).
WALK_SPEED_M_PER_MIN: float = 80.0

ArrayLike = float | npt.ArrayLike


@overload
def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float: ...
@overload
def haversine_m(lat1: ArrayLike, lng1: ArrayLike, lat2: ArrayLike, lng2: ArrayLike) -> float | np.ndarray: ...


def haversine_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres between (lat1, lng1) and (lat2, lng2), degrees WGS84.

    Accepts scalars (returns a Python ``float``) or numpy arrays/broadcastable sequences
    (returns an ``ndarray``). Uses the haversine form with the argument clipped to [0, 1],
    which is well conditioned for the short distances this project measures.
    """
    p1, l1, p2, l2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lng1, lat2, lng2))
    a = np.sin((p2 - p1) / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2.0) ** 2
    d = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


def walk_minutes(distance_m: float, speed_m_per_min: float = WALK_SPEED_M_PER_MIN) -> int:
    """Whole walking minutes for *distance_m*: rounded up, at least 1 for any positive distance.

    Rounded up because that is how 徒歩○分 is quoted (a started minute counts). The speed is a
    parameter because older people walk slower than 80 m/min. A 1e-9-minute tolerance keeps
    float noise (159.99999999 m vs 160 m) from adding a minute.
    """
    if not math.isfinite(distance_m) or distance_m < 0:
        raise ValueError(f"distance_m must be a finite number ≥ 0, got {distance_m!r}")
    if not math.isfinite(speed_m_per_min) or speed_m_per_min <= 0:
        raise ValueError(f"speed_m_per_min must be > 0, got {speed_m_per_min!r}")
    if distance_m == 0:
        return 0
    return max(1, math.ceil(distance_m / speed_m_per_min - 1e-9))


def to_unit_xyz(lat: ArrayLike, lng: ArrayLike) -> np.ndarray:
    """Unit-sphere Cartesian vectors of points given in degrees; shape ``(..., 3)``.

    Feed these to ``cKDTree`` and query with :func:`chord_for_arc_m` radii.
    """
    p = np.radians(np.asarray(lat, dtype=float))
    lam = np.radians(np.asarray(lng, dtype=float))
    cp = np.cos(p)
    return np.stack([cp * np.cos(lam), cp * np.sin(lam), np.sin(p)], axis=-1)


def chord_for_arc_m(m: ArrayLike) -> float | np.ndarray:
    """Unit-sphere chord length for a surface distance of *m* metres (arcs ≥ half the globe give 2)."""
    angle = np.clip(np.asarray(m, dtype=float) / EARTH_RADIUS_M, 0.0, math.pi)
    c = 2.0 * np.sin(angle / 2.0)
    return float(c) if np.ndim(c) == 0 else c


def arc_for_chord(c: ArrayLike) -> float | np.ndarray:
    """Surface distance in metres for a unit-sphere chord length *c* (the inverse of :func:`chord_for_arc_m`)."""
    half = np.clip(np.asarray(c, dtype=float) / 2.0, 0.0, 1.0)
    d = 2.0 * EARTH_RADIUS_M * np.arcsin(half)
    return float(d) if np.ndim(d) == 0 else d
