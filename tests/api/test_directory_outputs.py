"""Contacts and credit lines everywhere a coordinator looks, on the shipped catalogue (plans + open data).

Issue 10: the CLI match table shows phone, address and hours; the gap map and its layers carry the sites'
contacts and tell "no site within reach" from "not registered" per category; every export that shows
imported data carries the publisher's credit line (and an import reads past it); the HSDS export has the
phones, schedules and service_at_locations of imported sites.
"""
from __future__ import annotations

import csv
import io
import json

import pyogrio
import pytest

from resourcemap.cli import main
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.io import export_file, import_file

from .conftest import build_app, make_keys

MHLW = "出典：厚生労働省 介護サービス情報公表システム オープンデータ（2025年6月1日時点）を加工して作成"
GSI = "出典：国土地理院 指定緊急避難場所・指定避難所データ を加工して作成"


@pytest.fixture
def store(directory_copy):
    s = SQLiteStore(directory_copy)
    yield s
    s.close()


def _dates(db):
    from resourcemap.auxdb import AuxDB
    from resourcemap.opendata import Registry
    from resourcemap.opendata.listing import dataset_dates

    aux = AuxDB(db)
    try:
        return dataset_dates(Registry(aux))
    finally:
        aux.close()


def test_cli_match_table_shows_phone_address_hours_and_credit(directory_copy, capsys):
    argv = ["--db", str(directory_copy), "match", "--city", "府中市", "--address", "白糸台三丁目", "--need", "通所介護",
            "--age", "80", "--limit", "2"]
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    first = data["results"][0]["matches"][0]
    assert first["phone"] and first["address"] and first["schedules"] and first["dataset"] == "mhlw-care"
    assert first["dataset_date"] == "2025-06-01" and MHLW in data["attribution"]
    assert main(argv) == 0
    human = capsys.readouterr().out
    assert f"電話: {first['phone']}" in human and f"住所: {first['address']}" in human
    assert "日時: " in human and "出典データ: mhlw-care（2025-06-01）" in human and MHLW in human


def test_catalogue_exports_carry_credit_lines_and_the_csv_reimports(store, directory_copy):
    dates = _dates(directory_copy)
    data = export_file(store, "csv", city="府中市", dataset_dates=dates).data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    credit = {r["ID"]: r["出典表示(attribution)"] for r in rows}
    care = next(r for r in rows if r["ID"].startswith("mhlw-care."))
    assert credit[care["ID"]] == MHLW and care["電話番号(phone)"] and care["定員(capacity)"]
    assert GSI in credit["fuchu.hub.bunka-shiraitodai"] and "出典：" in credit["fuchu.hub.bunka-shiraitodai"]
    report = import_file(store, data, name="fuchu.csv", dry_run=True)
    assert report["ok"] and not report["errors"], report["errors"][:3]
    assert {r["action"] for r in report["rows"]} == {"unchanged"}, "export → import changes nothing"

    doc = json.loads(export_file(store, "geojson", city="府中市", dataset_dates=dates).data)
    assert GSI in doc["attribution"] and MHLW in doc["attribution"]
    feat = next(f for f in doc["features"] if f["id"] == care["ID"])
    assert feat["properties"]["attribution"] == MHLW and feat["properties"]["phone"]

    gpkg = directory_copy.parent / "fuchu.gpkg"
    gpkg.write_bytes(export_file(store, "gpkg", city="府中市", dataset_dates=dates).data)
    assert [name for name, _ in pyogrio.list_layers(gpkg)] == ["nodes", "attribution"]
    assert set(pyogrio.read_dataframe(gpkg, layer="attribution")["attribution"]) == {GSI, MHLW}
    nodes = pyogrio.read_dataframe(gpkg, layer="nodes")
    assert {"address", "phone", "schedules", "capacity", "attribution"} <= set(nodes.columns)


def test_hsds_export_has_phones_schedules_locations_and_credit_of_imported_sites(store, directory_copy):
    services = json.loads(export_file(store, "hsds", city="府中市", dataset_dates=_dates(directory_copy)).data)
    care = [s for s in services if MHLW in (s.get("jp_attribution") or "")]
    assert len(care) == 116, "府中市's 116 MHLW 事業所 are services, each credited"
    with_phone = [s for s in care if s.get("phones")]
    assert len(with_phone) == len(care)
    assert any(s.get("schedules") for s in care)
    sal = [s for s in care if s.get("service_at_locations")]
    assert len(sal) == len(care)
    loc = sal[0]["service_at_locations"][0]["location"]
    assert loc["latitude"] and loc["longitude"] and loc.get("addresses")
    assert all(MHLW in s["jp_attribution"] for s in care)


def test_gap_api_tells_no_site_from_not_registered_with_credit(directory_copy):
    from fastapi.testclient import TestClient

    keys = make_keys(directory_copy, ("viewer",))
    with TestClient(build_app(directory_copy)) as c:
        r = c.get("/v1/gaps", params={"city": "府中市", "category": ["consult.general", "consult.elderly",
                                                                        "dementia", "coordination", "care.day"]},
                  headers={"Authorization": f"Bearer {keys['viewer']}"})
    assert r.status_code == 200, r.text
    body = r.json()
    status = {s["category"]: s for s in body["meta"]["category_status"]}
    assert status["consult.general"]["status"] == "no_site_within_reach"  # 福祉総合相談窓口 is placed
    assert status["consult.elderly"]["status"] == "not_registered"  # the plan's 地域包括支援センター: 市全域
    assert status["consult.elderly"]["unlocated"] >= 1 and status["consult.elderly"]["sites"] == 0
    assert status["dementia"]["status"] == "no_resource"
    assert status["coordination"]["status"] == "covered"
    care = status["care.day"]
    assert care["access_computed"] and care["capacity_known"] > 0
    assert care["capacity_known"] + care["capacity_imputed"] == care["sites"]
    assert all(f["properties"]["category_status"] == status[f["properties"]["category"]]["status"]
               for f in body["features"])
    assert MHLW in body["meta"]["attribution"]


def test_gap_outputs_carry_contacts_and_credit(directory_copy, tmp_path, capsys):
    out = tmp_path / "gaps"
    assert main(["--db", str(directory_copy), "gaps", "--city", "府中市", "--category", "care.day", "--category",
                 "kayoi", "--out", str(out)]) == 0
    human = capsys.readouterr().out
    assert "施設未登録" in human and MHLW in human
    res = pyogrio.read_dataframe(out / "gaps.gpkg", layer="resources")
    care = res[res["category"] == "care.day"]
    assert len(care) and care["phone"].notna().all() and care["address"].notna().all()
    assert (care["dataset"] == "mhlw-care").all()
    assert MHLW in set(pyogrio.read_dataframe(out / "gaps.gpkg", layer="attribution")["attribution"])
    rows = list(csv.DictReader(io.StringIO((out / "gaps.csv").read_text(encoding="utf-8-sig"))))
    assert MHLW in rows[0]["attribution"] and {r["category_status"] for r in rows} <= {
        "covered", "no_site_within_reach", "not_registered", "no_resource"}
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "電話 " in page and MHLW in page
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "公開データの出典" in report and MHLW in report and "状況" in report
