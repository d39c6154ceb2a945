"""A catalogue with no plan seed: ``init --city`` for municipalities of every shape, side by side,
then API edits, matching by address, gap maps, the network view and the report — through the
API and the CLI, as a municipality that is not one of the five would use resourcemap.
"""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient

from resourcemap.cities import CITIES
from resourcemap.cli import main
from resourcemap.geo import area_polygons, chome_units, contains, geocode, load_chome
from resourcemap.geo.boundaries import boundary_projected, to_projected
from tests.api.conftest import build_app, make_keys

# 特別区, 政令市 whole and a ward, a 町 with 大字, a 村, an island 町, and 札幌市中央区 (北一条西 …).
CODES = ["13104", "14150", "14151", "13303", "13307", "13361", "01101"]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def planless(tmp_path_factory):
    """``resourcemap init --city …`` for the seven municipalities; the JSON report and the db path."""
    db = tmp_path_factory.mktemp("planless") / "catalogue.db"
    argv = ["--db", str(db), "--json", "init", *[a for c in CODES for a in ("--city", c)]]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(argv) == 0
    return db, json.loads(buf.getvalue())


@pytest.fixture(scope="module")
def client(planless):
    db, _ = planless
    keys = make_keys(db, roles=("viewer", "editor"))
    with TestClient(build_app(db)) as c:
        c.keys = keys  # type: ignore[attr-defined]
        yield c


def _h(client, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.keys[role]}"}


def test_init_reports_every_municipality_side_by_side(planless, client) -> None:
    _, report = planless
    assert report["cities"] == sorted(CODES) and report["edges"] == 0
    by_code = {g["code"]: g for g in report["geography"]}
    for code in CODES:
        g = by_code[code]
        rows = load_chome(code)
        assert g["chome"] == len(rows) and g["chome"] + len(g["unplaced"]) == CITIES[code].chome
        assert g["outside"] == [c.label for c in rows if not contains(code, c.lat, c.lng)]  # reported, by name
        assert g["area_level"] == "町・大字" and g["areas"] == len({u.base for u in chome_units(code)})
    cities = client.get("/v1/cities", headers=_h(client, "viewer")).json()
    assert [c["code"] for c in cities] == sorted(CODES)
    assert all(c["primary_area_level"] == "町・大字" for c in cities)


@pytest.mark.parametrize("code", CODES)
def test_default_areas_cover_the_boundary_exactly(client, code: str) -> None:
    areas = client.get("/v1/nodes", params={"kind": "area", "city": code, "limit": 1000},
                       headers=_h(client, "viewer")).json()["items"]
    assert areas and all(a["membership"] == "provisional" for a in areas)
    members = [t for a in areas for t in a["chome"]]
    assert sorted(members) == sorted(u.town for u in chome_units(code))  # every 町丁目 in exactly one area
    polys = area_polygons(code, {a["id"]: a["chome"] for a in areas})
    metric = [to_projected(code, p) for p in polys.values()]
    bnd = boundary_projected(code)
    assert shapely.union_all(metric, grid_size=0.001).symmetric_difference(bnd).area / bnd.area < 1e-6
    assert abs(sum(p.area for p in metric) - bnd.area) / bnd.area < 1e-6  # no overlaps


def _digits(town: str) -> str:
    """白糸台三丁目 → 白糸台3丁目, 北一条西二丁目 → 北1条西2丁目 (how residents write it)."""
    from resourcemap.textnorm import int_to_kanji

    for n in range(99, 0, -1):
        town = town.replace(f"{int_to_kanji(n)}丁目", f"{n}丁目").replace(f"{int_to_kanji(n)}条", f"{n}条")
    return town


@pytest.mark.parametrize("code", CODES)
def test_api_edit_then_match_by_address_and_gap_map(client, code: str) -> None:
    city = CITIES[code]
    unit = chome_units(code)[len(chome_units(code)) // 2]
    while not contains(code, unit.lat, unit.lng):  # a 町丁目 whose point is inside (a place must be)
        unit = chome_units(code)[chome_units(code).index(unit) + 1]
    body = {"kind": "place", "name": f"{unit.town}の居場所", "city": city.full_name, "categories": ["ibasho"],
            "lat": unit.lat, "lng": unit.lng, "location_precision": "chome"}
    r = client.post("/v1/nodes", json=body, headers=_h(client, "editor"))
    assert r.status_code == 201, r.text
    place = r.json()
    assert place["city"] == code
    # outside the municipality: refused
    r = client.post("/v1/nodes", json={**body, "lat": 35.0, "lng": 150.0 - 10}, headers=_h(client, "editor"))
    assert r.status_code == 422

    address = f"{city.name}{_digits(unit.town)}5番3号"
    r = client.post("/v1/match", json={"city": code, "location": {"address": address}, "members": [{"needs": ["居場所"]}]},
                    headers=_h(client, "viewer"))
    assert r.status_code == 200, r.text
    m = r.json()
    assert m["location"]["chome"] == unit.town and m["location"]["precision"] == "chome"
    assert place["id"] in [x["id"] for x in m["results"][0]["matches"]]
    assert m["location"]["areas"][0]["level"] == "町・大字"

    r = client.get("/v1/gaps", params={"city": code, "category": "ibasho"}, headers=_h(client, "viewer"))
    assert r.status_code == 200
    feats = {f["properties"]["unit_id"]: f["properties"] for f in r.json()["features"]}
    assert len(feats) == len(chome_units(code))
    mine = next(p for p in feats.values() if p["unit_name"] == unit.town)
    assert mine["gap"] is False and mine["count_within"] >= 1 and mine["nearest_m"] == 0


def test_network_view_runs_without_a_plan(client) -> None:
    r = client.get("/v1/network", params={"city": "13303"}, headers=_h(client, "viewer"))
    assert r.status_code == 200
    data = r.json()
    assert data["city"]["code"] == "13303" and data["level"] == "町・大字"


def test_cli_match_gaps_network_and_report(planless, capsys, tmp_path) -> None:
    db, _ = planless
    code, out, err = _run(capsys, "--db", str(db), "--json", "match", "--address", "東京都瑞穂町箱根ケ崎2335",
                          "--need", "居場所")
    assert code == 0, err
    assert json.loads(out)["location"]["city"] == "13303"
    # a name of one municipality of the catalogue needs no prefix; an unknown one lists close names
    code, out, err = _run(capsys, "--db", str(db), "--json", "match", "--address", "檜原村数馬", "--need", "居場所")
    assert code == 0 and json.loads(out)["location"]["chome"] == "数馬"
    code, out, err = _run(capsys, "--db", str(db), "match", "--address", "数間", "--need", "居場所")
    assert code == 2 and "候補" in err and "数馬" in err
    code, out, err = _run(capsys, "--db", str(db), "--json", "gaps", "--city", "檜原村", "--category", "ibasho",
                          "--out", str(tmp_path / "gaps"))
    assert code == 0, err
    assert (tmp_path / "gaps" / "report.html").is_file()
    code, out, err = _run(capsys, "--db", str(db), "--json", "network", "--city", "13307", "--out", str(tmp_path / "net"))
    assert code == 0, err


def test_one_municipality_catalogue_needs_no_prefix(tmp_path, capsys) -> None:
    db = tmp_path / "one.db"
    assert _run(capsys, "--db", str(db), "init", "--city", "13303")[0] == 0
    code, out, err = _run(capsys, "--db", str(db), "--json", "match", "--address", "箱根ヶ崎", "--need", "居場所")
    assert code == 0, err
    loc = json.loads(out)["location"]
    assert (loc["city"], loc["chome"]) == ("13303", "大字箱根ケ崎")
    point = geocode("瑞穂町大字箱根ケ崎")
    assert (loc["lat"], loc["lng"]) == (point.lat, point.lng)


def test_ambiguous_name_in_init_lists_candidates(tmp_path, capsys) -> None:
    code, out, err = _run(capsys, "--db", str(tmp_path / "x.db"), "init", "--city", "府中市")
    assert code == 2 and "東京都府中市(13206)" in err and "広島県府中市(34208)" in err
    assert not Path(tmp_path / "x.db").exists()
    code, out, err = _run(capsys, "--db", str(tmp_path / "x.db"), "init", "--city", "広島県府中市")
    assert code == 0, err


def test_name_in_two_municipalities_of_the_catalogue_needs_the_city(tmp_path, capsys) -> None:
    db = tmp_path / "two.db"
    assert _run(capsys, "--db", str(db), "init", "--city", "東京都府中市", "--city", "武蔵村山市")[0] == 0
    code, out, err = _run(capsys, "--db", str(db), "match", "--address", "本町1丁目", "--need", "居場所")
    assert code == 2 and "府中市本町一丁目" in err and "武蔵村山市本町一丁目" in err
    code, out, err = _run(capsys, "--db", str(db), "--json", "match", "--address", "武蔵村山市本町1丁目",
                          "--need", "居場所")
    assert code == 0 and json.loads(out)["location"]["city"] == "13223"
