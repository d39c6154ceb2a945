"""Units of analysis: 町丁目 cells, area unions and JIS X 0410 mesh cells clipped to the municipality."""
from __future__ import annotations

import jismesh.utils as ju
import numpy as np
import pytest
import shapely

from resourcemap.errors import InputError
from resourcemap.gaps.units import MESH_LEVELS, build_units, mesh_cells
from resourcemap.gaps.weights import parse_weights
from resourcemap.geo import assign_membership, boundary, chome_units

CITY = "13206"  # 府中市: a MultiPolygon boundary (it has 飛び地)


@pytest.fixture(scope="module")
def membership():
    return assign_membership(CITY, {"east": ["白糸台", "押立町"], "west": ["西府町", "四谷"]})


def test_chome_units_are_the_real_points(membership):
    u = build_units(CITY, "chome", membership)
    real = chome_units(CITY)
    assert list(u.frame["unit_id"]) == [c.town for c in real]
    np.testing.assert_allclose(u.lat, [c.lat for c in real])
    assert (u.owner == np.arange(len(real))).all()
    assert set(u.frame["area_id"]) == {"east", "west"}
    assert all(shapely.covers(g, shapely.Point(lo, la)) for g, la, lo in zip(u.frame.geometry, u.lat, u.lng))


def test_area_units_own_their_members(membership):
    u = build_units(CITY, "area", membership, {"east": "東", "west": "西"})
    assert sorted(u.frame["unit_id"]) == ["east", "west"]
    for row, aid in enumerate(u.frame["unit_id"]):
        assert sorted(np.array(u.town)[u.owner == row]) == sorted(membership[aid])
        assert u.members[row] == membership[aid]
    assert u.frame["demand"].sum() == len(chome_units(CITY))
    union = shapely.union_all(list(u.frame.geometry))
    assert abs(union.area - boundary(CITY).area) / boundary(CITY).area < 1e-6


@pytest.mark.parametrize("kind", ["mesh500", "mesh1km"])
def test_mesh_cells_are_clipped_jis_cells(kind):
    level = MESH_LEVELS[kind]
    cells = mesh_cells(CITY, level)
    b = boundary(CITY)
    assert len(cells) > 10
    for code, geom in zip(cells["mesh_code"], cells.geometry):
        s, w = ju.to_meshpoint(int(code), 0, 0)
        n, e = ju.to_meshpoint(int(code), 1, 1)
        assert ju.to_meshlevel(int(code)) == level
        assert geom.within(shapely.box(w, s, e, n).buffer(1e-9))
        assert geom.within(b.buffer(1e-9)) and geom.area > 0
    # together the clipped cells tile the municipality
    assert abs(shapely.union_all(list(cells.geometry)).area - b.area) / b.area < 1e-6


def test_mesh_demand_counts_the_chome_points_inside(membership):
    u = build_units(CITY, "mesh500", membership)
    pts = shapely.points([c.lng for c in chome_units(CITY)], [c.lat for c in chome_units(CITY)])
    assert u.frame["demand"].sum() == len(pts)  # every 町丁目 point in exactly one cell
    for row, geom in enumerate(u.frame.geometry):
        covered = int(shapely.covers(geom, pts).sum())
        assert u.frame["demand"].iat[row] <= covered  # a point on a shared edge counts in one cell only
        assert shapely.covers(geom, shapely.Point(u.lng[row], u.lat[row]))  # the demand point is inside


def test_weights_are_checked_against_real_names(membership):
    w = parse_weights("town,weight\n白糸台三丁目,1200\n白糸台三丁目,10\n", CITY)
    assert w == {"白糸台三丁目": 1210.0}
    u = build_units(CITY, "chome", membership, weights=w)
    assert u.frame["demand"].sum() == 1210.0
    with pytest.raises(InputError) as exc:
        parse_weights("town,weight\n白糸台九丁目,1\n", CITY)
    assert "白糸台" in exc.value.detail
    with pytest.raises(InputError):
        parse_weights("name,value\nx,1\n", CITY)


def test_unknown_unit_is_refused():
    with pytest.raises(InputError):
        build_units(CITY, "hex", {})
