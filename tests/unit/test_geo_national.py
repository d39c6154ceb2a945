"""The national registry and geography: every municipality by code or name, lazily, from real data.

Municipalities of every shape, none of them the five seeds: a 特別区 (新宿区), a 政令市 as a whole
and per ward (相模原市 14150 / 緑区 14151), a small 町 with 大字 names (瑞穂町), a 村 (檜原村), an
island municipality (大島町), and 札幌市中央区, whose 町丁目 (北一条西二丁目) are written in kanji by
the data and with digits by residents (北1条西2丁目).
"""
from __future__ import annotations

import csv
import gzip
import subprocess
import sys
from collections import Counter
from functools import lru_cache

import numpy as np
import pytest
import shapely

from resourcemap.cities import CITIES, SEED_CITIES, AmbiguousCity, resolve_city, wards_of
from resourcemap.errors import GeocodeError, NotFound
from resourcemap.geo import (
    boundary,
    chome_cells,
    chome_units,
    contains,
    geocode,
    load_chome,
    municipalities_at,
    projected,
    unplaced_chome,
)
from resourcemap.textnorm import int_to_kanji
from tests.sources import shared_dir

SHAPES = {
    "13104": "特別区", "14150": "政令市", "14151": "区", "13303": "町", "13307": "村", "13361": "町",
    "01101": "区",
}
POINTS = shared_dir() / "geo" / "jp_chome_points.csv.gz"


@lru_cache(maxsize=1)
def national_counts() -> Counter[str]:
    """Rows per code in the shared national file (a plain gzip + csv scan), the oracle for counts."""
    with gzip.open(POINTS, "rt", encoding="utf-8", newline="") as fh:
        return Counter(row["city_code"] for row in csv.DictReader(fh))


def test_registry_covers_japan() -> None:
    kinds = Counter(c.kind for c in CITIES.values())
    assert len(CITIES) == 1915
    assert kinds == {"市": 772, "町": 743, "村": 189, "特別区": 23, "政令市": 20, "区": 168}
    assert all(c.code[:2] == CITIES[c.parent].code[:2] for c in CITIES.values() if c.parent)
    assert [w.code for w in wards_of("14150")] == ["14151", "14152", "14153"]
    assert list(SEED_CITIES) == ["13206", "11225", "19213", "13223", "13218"]
    assert SEED_CITIES["13206"].slug == "fuchu" and CITIES["13104"].slug == ""


@pytest.mark.parametrize(("text", "code"), [
    ("13104", "13104"), ("131041", "13104"), ("新宿区", "13104"), ("東京都新宿区", "13104"),
    ("横浜市", "14100"), ("14100", "14100"), ("横浜市鶴見区", "14101"), ("神奈川県横浜市鶴見区", "14101"),
    ("瑞穂町", "13303"), ("西多摩郡瑞穂町", "13303"), ("東京都西多摩郡瑞穂町", "13303"),
    ("東京都府中市", "13206"), ("広島県府中市", "34208"), ("龍ヶ崎市", "08208"), ("龍ケ崎市", "08208"),
    ("fuchu", "13206"),
])
def test_resolve_city_by_code_and_name(text: str, code: str) -> None:
    assert resolve_city(text, among=()).code == code


def test_shared_names_fail_with_candidates_and_resolve_with_the_prefecture() -> None:
    with pytest.raises(AmbiguousCity) as err:
        resolve_city("府中市", among=())
    assert err.value.candidates == ["東京都府中市(13206)", "広島県府中市(34208)"]
    assert "都道府県名" in err.value.detail
    with pytest.raises(AmbiguousCity) as err:
        resolve_city("中央区", among=())
    assert "東京都中央区(13102)" in err.value.candidates and "北海道札幌市中央区(01101)" in err.value.candidates
    # read against the municipalities the caller works with (default: the five seeds)
    assert resolve_city("府中市").code == "13206"
    assert resolve_city("府中市", among=["34208"]).code == "34208"


def test_unknown_and_retired_codes() -> None:
    with pytest.raises(NotFound):
        resolve_city("99999")
    with pytest.raises(NotFound) as err:
        resolve_city("22131")  # 浜松市中区, abolished 2024-01-01
    assert "22130" in err.value.detail


def test_projected_zones_follow_the_notice_table() -> None:
    assert {c: projected(c) for c in ("13101", "13421", "47207", "47201", "47357", "01202", "01100", "01208",
                                      "46222", "46201", "42201", "34208")} == {
        "13101": 6677, "13421": 6682, "47207": 6684, "47201": 6683, "47357": 6685, "01202": 6679, "01100": 6680,
        "01208": 6681, "46222": 6669, "46201": 6670, "42201": 6669, "34208": 6671}


def test_nothing_national_is_loaded_at_import() -> None:
    code = ("import resourcemap.geo, resourcemap.cities, resourcemap.catalogue, api.app\n"
            "from resourcemap.cities import CITIES\n"
            "from resourcemap.geo import _common\n"
            "assert CITIES._data is None, 'registry read at import'\n"
            "assert _common._national_zip.cache_info().currsize == 0, 'archive opened at import'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("code", sorted(SHAPES))
def test_chome_count_equals_the_national_data(code: str) -> None:
    city = CITIES[code]
    assert city.kind == SHAPES[code]
    got = len(load_chome(code)) + len(unplaced_chome(code))
    assert got == city.chome > 0
    if POINTS.is_file():
        wards = [w.code for w in wards_of(code)] or [code]
        assert got == sum(national_counts()[w] for w in wards)


@pytest.mark.parametrize("code", sorted(SHAPES))
def test_points_inside_the_boundary_or_few_and_named(code: str) -> None:
    rows = load_chome(code)
    inside = shapely.covers(boundary(code), shapely.points(np.array([c.lng for c in rows]),
                                                           np.array([c.lat for c in rows])))
    outside = [c.label for c, ok in zip(rows, inside) if not ok]
    assert len(outside) <= max(1, len(rows) // 100), outside  # simplified coasts: at most 1 %
    assert all(contains(code, c.lat, c.lng) for c, ok in zip(rows, inside) if ok)


@pytest.mark.parametrize("code", sorted(SHAPES))
def test_cells_partition_the_boundary(code: str) -> None:
    from resourcemap.geo.boundaries import boundary_projected

    cells = chome_cells(code).to_crs(projected(code))
    bnd = boundary_projected(code)
    union = shapely.union_all(list(cells.geometry), grid_size=0.001)
    assert union.symmetric_difference(bnd).area / bnd.area < 1e-6
    assert abs(cells.area.sum() - bnd.area) / bnd.area < 1e-6  # no overlaps


@pytest.mark.parametrize("code", sorted(SHAPES))
def test_every_chome_geocodes_written_with_kanji_and_with_digits(code: str) -> None:
    city = CITIES[code]
    for unit in chome_units(code)[:80]:
        assert geocode(city.full_name + unit.town, city=code).chome == unit.town
        if city.kind != "政令市":  # the whole city's towns are its wards': without a city, the ward answers
            assert (geocode(city.full_name + unit.town).city, geocode(city.name + unit.town).chome) == (code, unit.town)
        if unit.number is not None:
            digits = f"{unit.base}{unit.number}丁目"
            for n in range(1, 100):  # 北一条西 → 北1条西 as well
                digits = digits.replace(f"{int_to_kanji(n)}条", f"{n}条") if f"{int_to_kanji(n)}条" in digits else digits
            hit = geocode(f"{digits}-3-5", city=code)
            assert hit.chome == unit.town and "3-5" not in hit.query


def test_whole_designated_city_reads_addresses_with_and_without_the_ward() -> None:
    assert geocode("相模原市緑区橋本1丁目").city == "14151"
    whole = geocode("相模原市緑区橋本1丁目", city="14150")
    assert (whole.city, whole.chome) == ("14150", "緑区橋本一丁目")
    assert geocode("橋本1丁目", city="14150").chome == "緑区橋本一丁目"
    assert geocode("札幌市北1条西2丁目").chome == "中央区北一条西二丁目"


def test_geocoder_scope_and_prefix() -> None:
    # the prefix is optional within the scope (a catalogue of one municipality) ...
    assert geocode("箱根ケ崎", scope=["13303"]).chome == "大字箱根ケ崎"
    # ... and a name found in several municipalities of the scope needs one
    with pytest.raises(GeocodeError) as err:
        geocode("本町一丁目", scope=["13206", "13223", "13104"])
    assert len(err.value.candidates) == 2
    with pytest.raises(GeocodeError) as err:
        geocode("府中市府川町", scope=["13206"])  # 東京都府中市 has no 府川町; 広島県府中市 does
    assert geocode("広島県府中市府川町").city == "34208"


def test_municipalities_at_finds_ward_then_whole_city() -> None:
    hashimoto = geocode("相模原市緑区橋本1丁目")
    assert municipalities_at(hashimoto.lat, hashimoto.lng) == ["14151", "14150"]
    assert municipalities_at(35.0, 150.0) == []


def test_a_random_sample_of_municipalities_builds() -> None:
    """``municipality_nodes`` for 25 municipalities drawn at random (fixed seed; all 1,915 were checked by hand)."""
    import random

    from resourcemap.catalogue import check_location, municipality_nodes

    codes = random.Random(1915).sample(sorted(CITIES), 25)
    for code in codes:
        nodes, report = municipality_nodes(code)
        for n in nodes:
            check_location(n)  # every placed node lies inside its municipality
        towns = [t for n in nodes if n.kind == "area" for t in n.chome]
        assert sorted(towns) == sorted(u.town for u in chome_units(code)), code
        assert report["chome"] + len(report["unplaced"]) == CITIES[code].chome
