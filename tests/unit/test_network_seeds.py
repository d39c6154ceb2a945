"""The network analyses on the seed catalogues (the `seeded_db` fixture), checked against the plans.

What the documents say, and the tests hold the catalogue to:
* 福生市: 「地域福祉コーディネーターの養成及び配置を行っていない」 — no coordinator, so no area is covered
  and nobody can be the first link of a referral chain;
* 府中市: one 地域福祉コーディネーター per 福祉エリア (11 areas) and 相談支援包括化推進員 in 26 departments.
"""
from __future__ import annotations

import json

import pytest

from resourcemap.cities import SEED_CITIES
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.network import analysis as an
from resourcemap.network.views import network_data


@pytest.fixture(scope="module")
def g(seeded_db):
    store = SQLiteStore(seeded_db)
    rm = ReadModel(store, follow=False)
    yield rm.graph
    store.close()


@pytest.fixture(scope="module")
def bundles(g):
    return {code: network_data(g, code) for code in SEED_CITIES}


def test_fussa_has_no_coordinator_so_every_area_is_uncovered(g, bundles):
    areas = an.area_nodes(g, "福生市")
    assert areas, "福生市 has its 市全域 area"
    assert an.uncovered_areas(g, "福生市") == [a.id for a in areas]
    assert an.coordinator_load(g, "福生市") == []
    assert all(an.referral_paths(g, a.id, b) == [] for a in areas for b in an.BUNYA)
    m = bundles["13218"]["metrics"]
    assert {r["missing"] for r in m["referrals"]} == {"no_coordinator"}
    assert [a["id"] for a in m["uncovered_areas"]] == [a.id for a in areas]


def test_every_fuchu_welfare_area_has_its_coordinator(g):
    areas = an.area_nodes(g, "府中市")
    assert len(areas) == 11 and {a.level for a in areas} == {"福祉エリア"}
    assert an.uncovered_areas(g, "府中市") == []
    for a in areas:
        coords = [g.nodes[c]["node"] for c in an.area_coordinators(g, a.id)]
        assert any(c.role == "地域福祉コーディネーター" and a.name in c.name for c in coords), a.name
    load = {c.coordinator_id: c for c in an.coordinator_load(g, "府中市")}
    csw = [c for c in load.values() if c.role == "地域福祉コーディネーター"]
    assert len(csw) == 11 and all(len(c.areas) == 1 and c.resources for c in csw)
    assert len({c.areas for c in csw}) == 11  # one area each, all different


def test_fuchu_places_suishin_in_26_departments(g):
    depts = an.suishin_departments(g, "府中市")
    assert len(depts) == 26
    assert all(g.nodes[d]["node"].kind == "department" and g.nodes[d]["node"].city == "13206" for d in depts)


def test_fuchu_referrals_start_at_the_areas_own_coordinator(g):
    for a in an.area_nodes(g, "府中市"):
        (r,) = an.referral_paths(g, a.id, "全世代", limit=1)
        assert r.coordinator in an.area_coordinators(g, a.id)
        assert r.steps[0].source == r.coordinator and r.steps[-1].target == r.target
        assert "全世代" in an.node_bunya(g, r.target)


def test_bundles_are_consistent_json_for_every_city(bundles):
    for code, data in bundles.items():
        json.dumps(data, ensure_ascii=False)
        ids = {n["id"] for n in data["nodes"]}
        assert all(e["source"] in ids and e["target"] in ids for e in data["edges"])
        m = data["metrics"]
        assert sum(c["size"] for c in m["components"]) == len(ids) == m["summary"]["nodes"]
        assert {n["component"] for n in data["nodes"]} == set(range(len(m["components"])))
        n_areas = len(data["areas"])
        assert len(m["coverage"]["bunya"]) == n_areas * 5 and len(m["coverage"]["pillar"]) == n_areas * 5
        assert len(m["referrals"]) == n_areas * 5
        assert {s["id"] for s in m["separators"]} == {n["id"] for n in data["nodes"] if n["articulation"]}
        scores = [b["score"] for b in m["betweenness"]]
        assert scores == sorted(scores, reverse=True), code


def test_coverage_cells_only_name_servers_of_their_city(g, bundles):
    for code, data in bundles.items():
        for by in ("bunya", "pillar"):
            for cell in data["metrics"]["coverage"][by]:
                for nid in cell["local"] + cell["citywide"]:
                    n = g.nodes[nid]["node"]
                    assert n.city == code and n.kind in an.SERVER_KINDS
