"""Offline 町丁目 geocoder on real names of all five cities, spelling variants and failures.

Expected coordinates are copied from resourcemap/geo/data/chome_points.csv (hand-checkable).
"""
from __future__ import annotations

import pytest

from resourcemap.errors import GeocodeError, InputError
from resourcemap.geo import GeocodeResult, geocode, town_centroid

SHIRAITODAI_3 = ("13206", "白糸台三丁目", 35.666585, 139.516181)
NIHONGI = ("11225", "大字二本木", 35.797215, 139.357993)
MIYADERA = ("11225", "宮寺", 35.794927, 139.376559)
KAMIYAGAI = ("11225", "大字上谷ケ貫", 35.813533, 139.342354)
KAMIFUJISAWA = ("11225", "大字上藤沢", 35.816057, 139.392161)
KATSUNUMA = ("19213", "勝沼町勝沼", 35.663177, 138.728018)
SHIMOSHIOGO = ("19213", "塩山下塩後", 35.695533, 138.715042)
HONCHO_1_MM = ("13223", "本町一丁目", 35.753453, 139.38556)
MIDORIGAOKA = ("13223", "緑が丘", 35.742924, 139.407918)
MITSUGI_OAZA = ("13223", "大字三ツ木", 35.740933, 139.366485)
KAMIDAIRA_3 = ("13218", "加美平三丁目", 35.747698, 139.321881)
KUMAGAWA = ("13218", "大字熊川", 35.723492, 139.343049)
KUMAGAWA_NINOMIYA = ("13218", "大字熊川二宮", 35.733278, 139.338984)
MIYANISHI_2 = ("13206", "宮西町二丁目", 35.669764, 139.477636)
SHIMIZUGAOKA_1 = ("13206", "清水が丘一丁目", 35.668078, 139.495611)

CASES: list[tuple[str, str | None, tuple[str, str, float, float]]] = [
    # 府中市: 丁目 spelled every way, with/without city and prefecture, 番地 after it
    ("府中市白糸台三丁目", None, SHIRAITODAI_3),
    ("府中市白糸台3丁目", None, SHIRAITODAI_3),
    ("白糸台三丁目", None, SHIRAITODAI_3),
    ("白糸台３", None, SHIRAITODAI_3),
    ("白糸台3", "府中市", SHIRAITODAI_3),
    ("白糸台三", "13206", SHIRAITODAI_3),
    ("白糸台3-5-1", None, SHIRAITODAI_3),
    ("白糸台３－５－１", None, SHIRAITODAI_3),
    ("東京都府中市白糸台三丁目", None, SHIRAITODAI_3),
    ("東京都 府中市 白糸台 ３丁目５番１号", None, SHIRAITODAI_3),
    ("白糸台三丁目", "fuchu", SHIRAITODAI_3),
    ("府中市宮西町2丁目24番地", None, MIYANISHI_2),  # 市役所 (REFERENCE.md)
    ("清水ヶ丘1丁目", None, SHIMIZUGAOKA_1),          # data writes 清水が丘
    ("清水ケ丘一丁目", "府中市", SHIMIZUGAOKA_1),
    # 入間市: 大字 present or absent, 番地 after a 大字, ヶ/ケ, 旧字 (澤)
    ("入間市大字二本木", None, NIHONGI),
    ("入間市二本木", None, NIHONGI),
    ("埼玉県入間市二本木123", None, NIHONGI),
    ("二本木", "入間市", NIHONGI),
    ("入間市大字宮寺", None, MIYADERA),                # data writes 宮寺 without 大字
    ("入間市宮寺2418", None, MIYADERA),
    ("入間市上谷ヶ貫", None, KAMIYAGAI),
    ("上谷ケ貫", "11225", KAMIYAGAI),
    ("入間市上藤澤", None, KAMIFUJISAWA),
    # 甲州市: names without 丁目, with a 小字
    ("甲州市勝沼町勝沼", None, KATSUNUMA),
    ("山梨県甲州市勝沼町勝沼", None, KATSUNUMA),
    ("勝沼町勝沼", "甲州市", KATSUNUMA),
    ("甲州市塩山下塩後", None, SHIMOSHIOGO),
    # 武蔵村山市
    ("武蔵村山市本町一丁目", None, HONCHO_1_MM),
    ("武蔵村山市本町１丁目１番地の１", None, HONCHO_1_MM),  # 市役所 (REFERENCE.md)
    ("本町1丁目", "武蔵村山市", HONCHO_1_MM),
    ("武蔵村山市緑ヶ丘", None, MIDORIGAOKA),
    ("武蔵村山市緑ケ丘", None, MIDORIGAOKA),
    ("武蔵村山市大字三ツ木", None, MITSUGI_OAZA),
    ("武蔵村山市大字三つ木", None, MITSUGI_OAZA),
    # 福生市
    ("福生市加美平三丁目", None, KAMIDAIRA_3),
    ("福生市加美平３", None, KAMIDAIRA_3),
    ("加美平3-1-1", "福生市", KAMIDAIRA_3),
    ("福生市熊川", None, KUMAGAWA),
    ("福生市大字熊川", None, KUMAGAWA),
    ("福生市熊川二宮", None, KUMAGAWA_NINOMIYA),
]


@pytest.mark.parametrize(("text", "city", "expected"), CASES)
def test_geocode_real_names(text: str, city: str | None, expected: tuple[str, str, float, float]) -> None:
    r = geocode(text, city)
    assert isinstance(r, GeocodeResult)
    assert (r.city, r.chome, r.lat, r.lng, r.precision) == (*expected, "chome")


def test_every_city_is_covered_by_the_cases() -> None:
    assert {e[0] for _, _, e in CASES} == {"13206", "11225", "19213", "13223", "13218"}


def test_koaza_gives_its_own_real_point() -> None:
    r = geocode("甲州市塩山下塩後向原")
    assert (r.chome, r.lat, r.lng, r.precision) == ("塩山下塩後", 35.695, 138.719039, "chome")


def test_house_number_is_never_kept() -> None:
    assert geocode("府中市白糸台3-5-1").query == "府中市白糸台3"
    assert geocode("東京都府中市白糸台三丁目5番1号").query == "東京都府中市白糸台三丁目"
    assert geocode("入間市宮寺2418").query == "入間市宮寺"
    with pytest.raises(GeocodeError) as err:
        geocode("府中市白糸台七丁目5-1")
    assert "5-1" not in str(err.value)


def test_bare_town_with_several_chome_gives_town_centroid() -> None:
    r = geocode("府中市白糸台")
    # mean of 白糸台一〜六丁目's six points
    lat = (35.668373 + 35.667886 + 35.666585 + 35.663486 + 35.662582 + 35.662523) / 6
    lng = (139.50723 + 139.511898 + 139.516181 + 139.509259 + 139.514171 + 139.518559) / 6
    assert (r.city, r.chome, r.precision, r.town) == ("13206", None, "town", "白糸台")
    assert r.lat == pytest.approx(lat, abs=1e-6) and r.lng == pytest.approx(lng, abs=1e-6)
    assert town_centroid("府中市", "白糸台") == (r.lat, r.lng)


def test_oaza_and_chome_sharing_a_base() -> None:
    # 入間市 has 大字高倉 and 高倉一〜五丁目: the base name means all of them, 大字高倉 only the 大字.
    assert geocode("入間市高倉").precision == "town"
    assert geocode("入間市大字高倉").chome == "大字高倉"
    assert geocode("入間市高倉2丁目").chome == "高倉二丁目"
    assert geocode("入間市高倉2-3").chome == "高倉二丁目"
    assert geocode("入間市高倉9-3").chome == "大字高倉"  # no 九丁目: 9 is a 番地 of the 大字
    assert town_centroid("入間市", "大字高倉") == (35.818466, 139.382091)


def test_town_centroid_of_single_chome_town_is_its_point() -> None:
    assert town_centroid("甲州市", "勝沼町勝沼") == (35.663177, 138.728018)
    assert town_centroid("入間市", "二本木") == (35.797215, 139.357993)


def test_unknown_name_lists_close_real_names_within_the_city() -> None:
    with pytest.raises(GeocodeError) as err:
        geocode("白糸代三丁目", city="府中市")
    assert err.value.candidates[0] == "白糸台三丁目"
    assert all(not c.startswith("府中市") for c in err.value.candidates)
    assert "候補" in err.value.detail


def test_unknown_name_without_city_lists_names_with_city() -> None:
    with pytest.raises(GeocodeError) as err:
        geocode("勝沼町勝招")
    assert "甲州市勝沼町勝沼" in err.value.candidates


def test_missing_chome_number_lists_the_real_chome() -> None:
    with pytest.raises(GeocodeError) as err:
        geocode("府中市白糸台七丁目")
    assert err.value.candidates == [f"白糸台{n}丁目" for n in "一二三四五六"]
    assert isinstance(err.value, InputError)


def test_name_in_several_cities_needs_a_city() -> None:
    with pytest.raises(GeocodeError) as err:
        geocode("本町一丁目")
    assert sorted(err.value.candidates) == sorted(["府中市本町一丁目", "武蔵村山市本町一丁目"])
    assert geocode("本町一丁目", "府中市").city == "13206"


def test_conflicting_or_missing_parts_are_errors() -> None:
    with pytest.raises(GeocodeError):
        geocode("府中市白糸台三丁目", city="入間市")
    with pytest.raises(GeocodeError):
        geocode("埼玉県府中市白糸台三丁目")
    with pytest.raises(GeocodeError):
        geocode("府中市")
    with pytest.raises(GeocodeError) as err:
        geocode("白糸台三丁目", city="入間市")
    assert "府中市" in err.value.detail  # tells where the name does exist
