"""Areas as sets of 町丁目: Voronoi cells partition each city, membership, polygons, points."""
from __future__ import annotations

import pytest
import shapely
from shapely.geometry import Point
from shapely.strtree import STRtree

from resourcemap.errors import GeocodeError, InputError
from resourcemap.geo import (
    area_point,
    area_polygons,
    assign_membership,
    boundary,
    chome_by_name,
    chome_cells,
    chome_units,
    projected,
)
from resourcemap.geo.boundaries import boundary_projected, to_projected

CODES = ("13206", "11225", "19213", "13223", "13218")

# 府中市's 11 福祉エリア = 文化センター圏域 (REFERENCE.md); seeds are the towns named like the centre
# (or, for 中央, the towns around the 市役所). A provisional split, as the seed files use.
FUCHU_SEEDS = {
    "中央": ["府中町", "宮西町"], "白糸台": ["白糸台"], "西府": ["西府町"], "武蔵台": ["武蔵台"],
    "新町": ["新町"], "住吉": ["住吉町"], "是政": ["是政"], "紅葉丘": ["紅葉丘"], "押立": ["押立町"],
    "四谷": ["四谷"], "片町": ["片町"],
}


def _overlap_area(geoms: list) -> float:
    tree = STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    return sum(geoms[i].intersection(geoms[j]).area for i, j in zip(left, right) if i < j)


@pytest.mark.parametrize("code", CODES)
def test_cells_partition_the_boundary(code: str) -> None:
    cells = chome_cells(code)
    assert list(cells.columns) == ["town", "lat", "lng", "geometry"]
    assert cells.crs.to_epsg() == 4326
    assert list(cells.town) == [c.town for c in chome_units(code)]
    metric = cells.to_crs(projected(code))
    bnd = boundary_projected(code)
    total = metric.area.sum()
    assert abs(total - bnd.area) / bnd.area < 1e-3          # sum of cells ≈ municipality (0.1 %)
    assert _overlap_area(list(metric.geometry)) < 1.0       # < 1 m² of overlap in all
    assert shapely.union_all(list(metric.geometry)).symmetric_difference(bnd).area / bnd.area < 1e-3
    for geom, lat, lng in zip(cells.geometry, cells.lat, cells.lng):
        assert geom.is_valid and geom.covers(Point(lng, lat))  # each cell holds its own real point


def test_cells_are_cached_but_returned_as_copies() -> None:
    a = chome_cells("福生市")
    a.loc[0, "town"] = "changed"
    assert chome_cells("13218").town[0] == "大字熊川"


def _check_partition(code: str, membership: dict[str, list[str]]) -> None:
    everything = [t for towns in membership.values() for t in towns]
    assert sorted(everything) == sorted(c.town for c in chome_units(code))  # each exactly once


def test_fuchu_membership_partitions_and_respects_seeds() -> None:
    m = assign_membership("府中市", FUCHU_SEEDS)
    assert list(m) == list(FUCHU_SEEDS)
    _check_partition("13206", m)
    assert all(m[a] for a in m)
    for n in "一二三四五六":
        assert f"白糸台{n}丁目" in m["白糸台"]
    assert {"府中町一丁目", "府中町二丁目", "府中町三丁目", "宮西町二丁目"} <= set(m["中央"])
    assert assign_membership("13206", FUCHU_SEEDS) == m  # deterministic


def test_nearest_seed_assignment_is_by_real_distance() -> None:
    # 福生市, two areas seeded by one 町丁目 each: every other 町丁目 goes to the nearer seed.
    m = assign_membership("福生市", {"north": ["加美平一丁目"], "south": ["南田園一丁目"]})
    _check_partition("13218", m)
    assert "加美平四丁目" in m["north"] and "南田園三丁目" in m["south"]
    from resourcemap.geo import haversine_m
    n, s = chome_by_name("13218", "加美平一丁目"), chome_by_name("13218", "南田園一丁目")
    for area, other in (("north", s), ("south", n)):
        own = n if area == "north" else s
        for t in m[area]:
            c = chome_by_name("13218", t)
            assert haversine_m(c.lat, c.lng, own.lat, own.lng) <= haversine_m(c.lat, c.lng, other.lat, other.lng)


def test_oaza_and_base_seeds_in_iruma() -> None:
    seeds = {"黒須・高倉": ["黒須", "高倉"], "豊岡第二": ["大字高倉"], "宮寺・二本木": ["宮寺", "二本木"],
             "藤沢": ["大字上藤沢", "大字下藤沢"]}
    m = assign_membership("入間市", seeds)
    _check_partition("11225", m)
    assert "大字高倉" in m["豊岡第二"]                         # full name beats another area's base name
    assert {"高倉一丁目", "大字黒須", "黒須二丁目"} <= set(m["黒須・高倉"])
    assert {"宮寺", "大字二本木"} <= set(m["宮寺・二本木"])


def test_fixed_areas_are_kept_whole_and_not_extended() -> None:
    fixed = {"A": ["加美平一丁目", "加美平二丁目"]}
    m = assign_membership("福生市", {"B": ["本町"]}, fixed)
    assert m["A"] == ["加美平一丁目", "加美平二丁目"]
    _check_partition("13218", m)
    whole = assign_membership("福生市", {}, {"all": [c.town for c in chome_units("13218")]})
    assert len(whole["all"]) == 20


def test_unknown_seed_town_is_rejected_with_candidates() -> None:
    with pytest.raises(GeocodeError) as err:
        assign_membership("府中市", {"白糸台": ["白糸代"]})
    assert "白糸台" in err.value.candidates
    assert "白糸代" in err.value.detail and "白糸台" in err.value.detail
    with pytest.raises(GeocodeError):
        assign_membership("入間市", {"x": ["白糸台"]})  # a real town, but of another city


def test_conflicts_and_impossible_assignments_are_errors() -> None:
    with pytest.raises(InputError):
        assign_membership("府中市", {"a": ["白糸台"], "b": ["白糸台"]})
    with pytest.raises(InputError):
        assign_membership("府中市", {"a": ["白糸台三丁目"]}, {"b": ["白糸台三丁目"]})
    with pytest.raises(InputError):
        assign_membership("福生市", {}, {"a": ["本町"]})  # 19 町丁目 left and no seed area
    with pytest.raises(InputError):
        assign_membership("福生市", {"a": ["本町"]}, {"a": ["志茂"]})


def test_area_polygons_dissolve_cells_and_tile_the_city() -> None:
    m = assign_membership("府中市", FUCHU_SEEDS)
    polys = area_polygons("府中市", m)
    assert set(polys) == set(m)
    metric = [to_projected("13206", p) for p in polys.values()]
    bnd = boundary_projected("13206")
    assert abs(sum(p.area for p in metric) - bnd.area) / bnd.area < 1e-3
    assert _overlap_area(metric) < 1.0
    for area, towns in m.items():
        for t in towns:
            c = chome_by_name("13206", t)
            assert polys[area].covers(Point(c.lng, c.lat))
    assert area_polygons("府中市", m)["白糸台"] is polys["白糸台"]  # cached


def test_area_point_is_inside_its_area() -> None:
    m = assign_membership("府中市", FUCHU_SEEDS)
    polys = area_polygons("府中市", m)
    for area, towns in m.items():
        lat, lng = area_point("府中市", towns)
        assert polys[area].covers(Point(lng, lat))
        assert boundary("13206").covers(Point(lng, lat))
    # a one-町丁目 area's point is that 町丁目's real point
    assert area_point("府中市", ["白糸台三丁目"]) == (35.666585, 139.516181)


def test_area_point_falls_back_to_representative_point_when_mean_is_outside() -> None:
    # Two far-apart 町丁目 of 甲州市 (塩山一ノ瀬高橋 in the north, 大和町日影 in the south): the mean of
    # their points lies between their cells, outside the area, so the polygon's point is used.
    towns = ["塩山一ノ瀬高橋", "大和町日影"]
    poly = area_polygons("甲州市", {"x": towns})["x"]
    a, b = (chome_by_name("19213", t) for t in towns)
    mean = Point((a.lng + b.lng) / 2, (a.lat + b.lat) / 2)
    assert not poly.covers(mean)
    lat, lng = area_point("甲州市", towns)
    assert poly.covers(Point(lng, lat))


def test_unknown_or_duplicate_membership_names() -> None:
    with pytest.raises(GeocodeError):
        area_polygons("府中市", {"a": ["白糸代三丁目"]})
    with pytest.raises(InputError):
        area_polygons("府中市", {"a": ["白糸台三丁目"], "b": ["白糸台三丁目"]})
    with pytest.raises(InputError):
        area_point("府中市", [])
