"""Small-cell suppression of unmet counts (issue 15, item 5): no suppressed count can be recovered.

The property test is a brute-force attacker: for a random table of counters it publishes what a
viewer sees (the ``GET /v1/unmet`` answer for every month filter, and the per-place, per-category
and per-month figures the gap map and the report show — all through
:mod:`resourcemap.match.disclosure`), then tries every value of every suppressed counter and
keeps the tables that publish exactly the same. Each suppressed counter must still have at
least two possible values. The seed tests check the same on the real gap outputs: changing a
suppressed count changes nothing a viewer sees.
"""
from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resourcemap.config import load
from resourcemap.match.disclosure import Tally, below_label, publish_rows, published_total

CHOME = ("白糸台一丁目", "白糸台二丁目", "是政一丁目")
AREA = {"白糸台一丁目": "area.s", "白糸台二丁目": "area.s", "是政一丁目": "area.k"}
CATEGORIES = ("childcare.young_carer", "ibasho")
AGES = ("10-19", "80-89")
MONTHS = ("2026-10", "2026-11")


def _key(r: dict) -> tuple:
    return r["chome"], r["category"], r["age_band"], r["month"]


def publication(raw: list[dict], threshold: int) -> str:
    """Everything a viewer can see about *raw*, as one canonical string."""
    out = {}
    for month in (None, *MONTHS):
        rows = [r for r in raw if month is None or r["month"] == month]
        items = publish_rows(rows, threshold)
        out[f"/v1/unmet?month={month}"] = {"items": items, **published_total(items, threshold)}
    published = publish_rows(raw, threshold)
    groupings = {"place×category": lambda r: (r["chome"], r["category"]),
                 "area×category": lambda r: (AREA[r["chome"]], r["category"]),
                 "category": lambda r: r["category"], "month": lambda r: r["month"]}
    for name, group in groupings.items():
        tallies: dict = {}
        for r in published:
            tallies[group(r)] = tallies.get(group(r), Tally()).add(r["count"])
        out[name] = sorted((str(k), t.low, t.label(threshold)) for k, t in tallies.items())
    return json.dumps(out, ensure_ascii=False, sort_keys=True, default=str)


tables = st.lists(
    st.tuples(st.sampled_from(CHOME), st.sampled_from(CATEGORIES), st.sampled_from(AGES), st.sampled_from(MONTHS),
              st.integers(1, 6)),
    max_size=10, unique_by=lambda t: t[:4],
).map(lambda rows: [{"city": "13206", "chome": c, "area_id": AREA[c], "category": cat, "age_band": a, "month": m,
                     "count": n} for c, cat, a, m, n in rows])


@settings(max_examples=100, deadline=None)
@given(raw=tables, threshold=st.sampled_from([2, 3, 4]))
def test_no_suppressed_count_can_be_recovered(raw, threshold):
    seen = publication(raw, threshold)
    hidden = [i for i, r in enumerate(raw) if r["count"] < threshold]
    if len(hidden) > 4:
        hidden = hidden[:4]  # bound the search; the rest keep their true values (a stronger attacker)
    possible: dict[int, set[int]] = {i: set() for i in hidden}
    for values in itertools.product(range(1, threshold + 2), repeat=len(hidden)):  # also a value ≥ threshold
        candidate = [dict(r) for r in raw]
        for i, v in zip(hidden, values):
            candidate[i]["count"] = v
        if publication(candidate, threshold) == seen:
            for i, v in zip(hidden, values):
                possible[i].add(v)
    for i in hidden:
        assert possible[i] == set(range(1, threshold)), (raw[i], possible[i])
        if threshold > 2:
            assert len(possible[i]) >= 2


def test_published_rows_and_totals():
    rows = [{"chome": "a", "count": 1}, {"chome": "b", "count": 5}, {"chome": "c", "count": 2}]
    items = publish_rows(rows, 3)
    assert [(r["chome"], r["count"], r["suppressed"], r["label"]) for r in items] == [
        ("b", 5, False, "5"), ("a", None, True, "3未満"), ("c", None, True, "3未満")]
    assert published_total(items, 3) == {"total": None, "total_range": [7, 9], "total_label": "7〜9",
                                          "suppressed_cells": 2}
    exact = publish_rows([{"chome": "a", "count": 4}], 3)
    assert published_total(exact, 3)["total"] == 4


def test_labels():
    assert Tally.of([None]).label(3) == "3未満" == below_label(3)
    assert Tally.of([5, None]).label(3) == "6〜7"
    assert Tally.of([None, None]).label(3) == "2〜4"
    assert Tally.of([3, 4]).label(3) == "7"


def test_threshold_setting():
    assert load(environ={}).unmet_min_count == 3
    assert load(environ={"RESOURCEMAP_UNMET_MIN_COUNT": "5"}).unmet_min_count == 5
    from resourcemap.errors import ResourcemapError

    with pytest.raises(ResourcemapError, match="RESOURCEMAP_UNMET_MIN_COUNT"):
        load(environ={"RESOURCEMAP_UNMET_MIN_COUNT": "0"})
