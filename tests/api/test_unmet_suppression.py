"""Small counts of unmet needs are not public (issue 15, item 5), on the real outputs.

Regression case: ``/v1/unmet`` showed 是政一丁目 · ヤングケアラー · 10–19歳 · 1 to any viewer. Now a
viewer sees 「3未満」 and a total range; an admin sees raw counts. And nothing a viewer sees —
``/v1/unmet`` for every month, ``/v1/gaps``, the gap map page data, the meeting report — changes
when a suppressed count changes from 1 to 2: it cannot be recovered from them.
"""
from __future__ import annotations

import re
from dataclasses import replace

import pytest

from api.state import RevisionCache
from resourcemap.auxdb import AuxDB
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.match.unmet import UnmetKey, UnmetLog

SMALL = UnmetKey(city="13206", chome="是政一丁目", area_id="", category="childcare.young_carer", age_band="10-19",
                 month="2026-11")
BIG = UnmetKey(city="13206", chome="是政一丁目", area_id="", category="childcare.young_carer", age_band="40-49",
               month="2026-11")
OTHER = UnmetKey(city="13206", chome="白糸台三丁目", area_id="", category="ibasho.youth", age_band="10-19",
                 month="2026-10")


def _count(db, key: UnmetKey, times: int) -> None:
    aux = AuxDB(db)
    try:
        UnmetLog(aux).add([key] * times)
    finally:
        aux.close()


def test_viewers_see_small_counts_suppressed_and_admins_raw(api):
    _count(api.db, SMALL, 1)
    _count(api.db, BIG, 4)
    viewer = api.client.get("/v1/unmet?city=13206", headers=api.auth("viewer")).json()
    small = next(r for r in viewer["items"] if r["age_band"] == "10-19")
    assert (small["count"], small["suppressed"], small["label"]) == (None, True, "3未満")
    big = next(r for r in viewer["items"] if r["age_band"] == "40-49")
    assert (big["count"], big["suppressed"]) == (4, False)
    assert viewer["total"] is None and viewer["total_range"] == [5, 6] and viewer["total_label"] == "5〜6"
    assert viewer["suppression"] == {"threshold": 3, "label": "3未満"}
    editor = api.client.get("/v1/unmet?city=13206", headers=api.auth("editor")).json()
    assert editor["total"] is None
    admin = api.client.get("/v1/unmet?city=13206", headers=api.auth("admin")).json()
    assert admin["total"] == 5 and {r["count"] for r in admin["items"]} == {1, 4} and admin["suppression"] is None


def test_the_threshold_is_configurable(api, monkeypatch):
    _count(api.db, BIG, 4)
    services = api.client.app.state.services  # the app's settings (RESOURCEMAP_UNMET_MIN_COUNT=5 when it started)
    monkeypatch.setattr(services, "settings", replace(services.settings, unmet_min_count=5))
    r = api.client.get("/v1/unmet?city=13206", headers=api.auth("viewer")).json()
    assert r["items"][0]["label"] == "5未満" and r["total"] is None and r["total_range"] == [1, 4]


def _viewer_outputs(api) -> dict[str, str]:
    """Everything a viewer sees of the unmet counts, as text."""
    from resourcemap.gaps import analyse
    from resourcemap.gaps.export import feature_collection
    from resourcemap.gaps.mapview import render_map
    from resourcemap.gaps.report import render_report

    out = {}
    for month in ("", "&month=2026-11", "&month=2026-10"):
        out[f"unmet{month}"] = api.client.get(f"/v1/unmet?city=13206{month}", headers=api.auth("viewer")).text
    api.client.app.state.services.gaps_cache = RevisionCache(size=16)  # unmet counts change without a revision
    for unit in ("chome", "area"):
        r = api.client.get(f"/v1/gaps?city=13206&unit={unit}&category=kosodate,ibasho", headers=api.auth("viewer"))
        assert r.status_code == 200
        out[f"gaps-{unit}"] = re.sub(r'"generated_at": ?"[^"]+"', "", r.text)
    store = SQLiteStore(api.db, create=False)
    try:
        from resourcemap.gaps import GapOptions

        result = analyse(ReadModel(store, follow=False), "13206", GapOptions(categories=("kosodate", "ibasho")),
                         aux_path=str(api.db))
        result.generated_at = result.generated_at.replace(year=2000, month=1, day=1, hour=0, minute=0, second=0)
        out["report"] = render_report(result)
        out["map"] = render_map(result)
        out["geojson"] = str(feature_collection(result)["features"])
    finally:
        store.close()
    return out


@pytest.mark.parametrize("big", [0, 4])
def test_nothing_a_viewer_sees_changes_when_a_suppressed_count_does(api, big):
    _count(api.db, OTHER, 3)
    if big:
        _count(api.db, BIG, big)
    _count(api.db, SMALL, 1)
    with_one = _viewer_outputs(api)
    assert '"label":"3未満"' in with_one["unmet"] and ("5〜6" if big else "3未満") in with_one["report"]
    _count(api.db, SMALL, 1)  # now 2: still below 3
    with_two = _viewer_outputs(api)
    for name in with_one:
        assert with_one[name] == with_two[name], name
    _count(api.db, SMALL, 1)  # now 3: shown, so the outputs change
    assert _viewer_outputs(api)["unmet"] != with_two["unmet"]
    admin = api.client.get("/v1/gaps?city=13206&category=kosodate", headers=api.auth("admin")).json()
    cell = next(f["properties"] for f in admin["features"] if f["properties"]["unit_id"] == "是政一丁目")
    assert cell["unmet"] == 3 + big and not cell["unmet_suppressed"]
