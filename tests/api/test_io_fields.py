"""Spreadsheet cells: every value the model allows survives format → parse (hypothesis), and
the Japanese spellings a municipality uses read as the model's values."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resourcemap.fieldrules import bad_chars
from resourcemap.io.fields import BY_NAME, canonical_header, format_cell, parse_cell, parse_schedules
from resourcemap.model import Schedule

_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
byday = st.lists(st.tuples(st.sampled_from(["", "1", "2", "3", "4", "-1"]), st.sampled_from(_DAYS)),
                 min_size=1, max_size=3).map(lambda xs: ",".join(n + d for n, d in xs))
hhmm = st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}")
text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20).map(str.strip).filter(
    lambda s: not bad_chars(s))  # any description the field rules accept
schedule = st.builds(Schedule, freq=st.sampled_from(["WEEKLY", "MONTHLY", "DAILY", None]), byday=st.none() | byday,
                     opens_at=st.none() | hhmm, closes_at=st.none() | hhmm, description=st.none() | text)


@settings(max_examples=200, deadline=None)
@given(st.lists(schedule, max_size=4))
def test_schedules_round_trip(schedules):
    value = [s.model_dump(mode="json") for s in schedules]
    cell = format_cell(BY_NAME["schedules"], value)
    back = [Schedule.model_validate(s).model_dump(mode="json") for s in parse_cell(BY_NAME["schedules"], cell)]
    assert back == value


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["高齢", "障害", "子ども", "困窮", "全世代"]), unique=True))
def test_bunya_round_trip(fields):
    f = BY_NAME["targets.fields"]
    assert parse_cell(f, format_cell(f, fields)) == fields


@pytest.mark.parametrize("field,cell,value", [
    ("kind", "拠点", "hub"), ("kind", "通いの場", "place"), ("status", "休止", "inactive"),
    ("program", "1号イ", "1-i"), ("program", "3-ハ", "3-ha"), ("program", "独自事業", "other"),
    ("verified_at", "令和7年4月1日", "2025-04-01"), ("verified_at", "平成31年4月30日", "2019-04-30"),
    ("verified_at", "2025/4/1", "2025-04-01"), ("accepting_new", "○", True), ("accepting_new", "いいえ", False),
    ("targets.fields", "高齢・障がい者", ["高齢", "障害"]), ("capacity", "１，２００", 1200), ("city", "府中", "13206"),
    ("schedules", "毎週 月・水 9:30〜12:00", [{"freq": "WEEKLY", "byday": "MO,WE", "opens_at": "09:30",
                                           "closes_at": "12:00"}]),
])
def test_japanese_values(field, cell, value):
    assert parse_cell(BY_NAME[field], cell) == value


@pytest.mark.parametrize("field,cell", [("kind", "病院"), ("program", "9"), ("verified_at", "昨日"),
                                        ("accepting_new", "たぶん"), ("schedules", "いつでも"), ("capacity", "多数")])
def test_bad_cells_say_what_to_write(field, cell):
    with pytest.raises(ValueError) as info:
        parse_cell(BY_NAME[field], cell)
    assert str(info.value)


def test_headers_in_any_spelling():
    assert canonical_header("名称") == canonical_header("name") == canonical_header("名称(name)") == "name"
    assert canonical_header("\ufeff ＩＤ ") == "id"
    assert canonical_header("年齢下限") == "targets.age_min"
    assert canonical_header("ふしぎ") is None
    assert parse_schedules('[{"freq": "WEEKLY", "byday": "MO"}]') == [{"freq": "WEEKLY", "byday": "MO"}]


def test_docs_list_every_column():
    from pathlib import Path

    from resourcemap.io.fields import FIELDS, header_label

    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [header_label(f) for f in FIELDS if f"`{header_label(f)}`" not in docs]
    assert not missing, f"docs/api.md does not list the columns {missing}"
