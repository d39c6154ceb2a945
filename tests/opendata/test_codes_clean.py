"""Publisher quirks: municipality codes in every written form, phones, URLs, days and times."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resourcemap.opendata import clean
from resourcemap.opendata.codes import check_digit, city_code, pref_code, six_digit


def test_check_digit_of_known_codes():
    assert [six_digit(c) for c in ("13206", "11225", "19213", "13223", "13218", "01101")] == \
           ["132063", "112259", "192139", "132233", "132187", "011011"]


@pytest.mark.parametrize("raw,kwargs,code", [
    ("132063", {}, "13206"), ("13206", {}, "13206"), ("１３２０６３", {}, "13206"), ("13206.0", {}, "13206"),
    ("11011", {"six": True}, "01101"),          # MHLW: 011011 that lost its zero
    ("11011", {"pref": "北海道"}, "01101"),      # the row's prefecture settles it
    ("11011", {"pref": "埼玉県"}, "11011"),
    ("13218", {}, "13218"),                     # 福生市, though 013218 is a valid 6-digit code too
    ("1202", {}, "01202"),                      # a 5-digit code that lost its zero
])
def test_city_codes_in_every_form(raw, kwargs, code):
    assert city_code(raw, **kwargs) == code


@pytest.mark.parametrize("raw", ["132064", "abc", "99999", "1", "1320630"])
def test_bad_codes_say_what_is_wrong(raw):
    with pytest.raises(ValueError, match="市区町村コード"):
        city_code(raw)


@given(st.integers(1, 47), st.integers(0, 999))
def test_six_digit_round_trip(pref, rest):
    code5 = f"{pref:02d}{rest:03d}"
    assert city_code(six_digit(code5)) == code5
    assert city_code(six_digit(code5).lstrip("0"), six=True) == code5


def test_prefectures():
    assert pref_code("東京都") == pref_code("東京") == pref_code("13") == pref_code("１３") == "13"
    assert pref_code("北海道") == "01" and pref_code("どこか") is None


@pytest.mark.parametrize("raw,phone", [
    ("０４２－４０７－３０８８", "042-407-3088"), ("042ー362ー1066", "042-362-1066"), ("042−362−1066", "042-362-1066"),
    ("04-2936-9292,", "04-2936-9292"), ("（098）956-1161", "098-956-1161"), ("TEL 042-336-1616", "042-336-1616"),
    ("", None), ("不明", None),
])
def test_phone_numbers(raw, phone):
    assert clean.phone(raw) == phone


@pytest.mark.parametrize("raw,url", [
    ("https;//hannoki.net", "https://hannoki.net"), ("https:/www.oki-kofukai.or.jp", "https://www.oki-kofukai.or.jp"),
    ("www.x.jp", "http://www.x.jp"), ("nr-service.jp", "http://nr-service.jp"), ("ＨＴＴＰ：／／ｘ．ｊｐ", "HTTP://x.jp"),
    ("mahorobadai2@kcnet,ne,jp", None), ("hppts//x.jp", None), ("", None),
])
def test_urls(raw, url):
    assert clean.url(raw) == url


def test_days_and_hours_become_one_weekly_schedule():
    assert clean.schedule("月～金", "9:00", "１７：００", "年末年始休み（改行）臨時休業あり") == [
        {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "17:00",
         "description": "年末年始休み\n臨時休業あり"}]
    assert clean.schedule("平日,土曜日,祝日") == [{"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR,SA",
                                                   "description": "祝日も利用可"}]
    assert clean.schedule("", "", "", "特になし") == []
    assert clean.weekdays("土日祝") == (["SA", "SU"], True)
    assert clean.weekdays("金～月")[0] == ["MO", "FR", "SA", "SU"]
    with pytest.raises(ValueError, match="利用可能曜日"):
        clean.weekdays("隔週")
    with pytest.raises(ValueError, match="時刻"):
        clean.hhmm("25:00")


def test_addresses_fold_width_and_keep_the_building_once():
    assert clean.address("東京都府中市南町６－５２－１") == "東京都府中市南町6-52-1"
    assert clean.address("府中市緑町1ー16ー1", "ビル　2階") == "府中市緑町1-16-1 ビル 2階"
    assert clean.address("札幌市中央区北1条西13丁目4FWD札幌ビル　1階", "FWD札幌ビル　1階").endswith("FWD札幌ビル 1階")
    assert clean.capacity("0") is None and clean.capacity("７０") == 70
