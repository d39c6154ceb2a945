"""The import diff against a brute-force oracle: random before/after row sets → added / changed (which fields) / gone.

The oracle compares the two files row by row by the publisher's id, knowing only what each column
means (名称 → name, 電話番号 → phone, 住所 → address, 緯度/経度 → lat/lng); the importer works through
the catalogue (nodes, external ids, the merge rules). They must agree on every example, in the dry
run and in the real run, and re-importing the "after" file must then change nothing.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resourcemap.graph.stores.base import NodeQuery
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.opendata import import_open_data

from ..conftest import copy_catalogue
from .stdfiles import FUCHU, csv_bytes, facility

NAMES = ["府中市立中央公民館", "府中市立西公民館", "府中市立東公民館", "片町公会堂", "紅葉丘集会所"]

row_st = st.fixed_dictionaries({
    "name": st.sampled_from(NAMES),
    "point": st.integers(0, len(FUCHU) - 1),
    "phone": st.sampled_from(["042-300-0001", "042-300-0002", ""]),
    "extra": st.sampled_from(["", "2階", "別館"]),
})
rows_st = st.dictionaries(st.integers(1, 12), row_st, max_size=8)


def _file(rows: dict[int, dict]) -> bytes:
    out = []
    for no, r in sorted(rows.items()):
        f = facility(no, r["name"], r["point"])
        f["電話番号"], f["方書"] = r["phone"], r["extra"]
        out.append(f)
    return csv_bytes(out)


def _fields(r: dict) -> dict:
    c = FUCHU[r["point"]]
    address = f"東京都府中市{c.town}1-1" + (f" {r['extra']}" if r["extra"] else "")
    return {"name": r["name"], "phone": r["phone"] or None, "address": address, "lat": c.lat, "lng": c.lng}


def oracle(before: dict[int, dict], after: dict[int, dict]) -> dict:
    changed = {}
    for no in before.keys() & after.keys():
        a, b = _fields(before[no]), _fields(after[no])
        diff = {k for k in a if a[k] != b[k]}
        if diff:
            changed[str(no)] = diff
    return {"added": {str(n) for n in after.keys() - before.keys()},
            "gone": {str(n) for n in before.keys() - after.keys()}, "changed": changed}


def _observed(store, report) -> dict:
    pid = {n.id: n.external_ids["std-facilities"] for n in store.query_nodes(NodeQuery(include_deleted=True))
           if "std-facilities" in n.external_ids}
    return {"added": {pid.get(d["id"], d["id"].rsplit(".", 1)[-1]) for d in report["diff"].get("added", [])},
            "gone": {pid[d["id"]] for d in report["diff"].get("inactivated", [])},
            "changed": {pid[d["id"]]: set(d["fields"]) - {"location_precision"}
                        for d in report["diff"].get("changed", [])}}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=rows_st, after=rows_st)
def test_import_diff_equals_the_oracle(geo_db, tmp_path_factory, before, after):
    store = SQLiteStore(copy_catalogue(geo_db, tmp_path_factory.mktemp("prop") / "c.db"))
    try:
        if before:
            import_open_data(store, _file(before), "std-facilities", name="a_20250101.csv", dry_run=False)
        expected = oracle(before, after)
        if not after:
            return  # an empty file is no file: nothing to diff
        dry = import_open_data(store, _file(after), "std-facilities", name="b_20250201.csv")
        assert _observed(store, dry) == expected
        rev = store.revision()
        real = import_open_data(store, _file(after), "std-facilities", name="b_20250201.csv", dry_run=False)
        assert _observed(store, real) == expected
        n_changes = len(expected["added"]) + len(expected["gone"]) + len(expected["changed"])
        assert store.revision() - rev == n_changes  # one change-log entry per site that changed
        again = import_open_data(store, _file(after), "std-facilities", name="b_20250201.csv", dry_run=False)
        assert (again["added"], again["changed"], again["inactivated"]) == (0, 0, 0)
    finally:
        store.close()
