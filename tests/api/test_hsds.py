"""Open Referral HSDS 3.0: exports validate against the official schemas; export → import round-trips."""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from resourcemap.catalogue import build_catalogue
from resourcemap.cities import CITIES
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.io import import_file
from resourcemap.io.hsds import export_hsds, validate_services
from resourcemap.model import RESOURCE_KINDS
from resourcemap.seeds import seed_files

SHARED = Path(__file__).resolve().parents[3] / "shared" / "hsds" / "schema"
PACKAGED = Path(__file__).resolve().parents[2] / "resourcemap" / "io" / "hsds_schema"
#: Each packaged file and where it comes from in the specification.
ORIGINALS = {"service": "compiled", "organization": "compiled", "service_at_location": "compiled",
             "service_list": "compiled", "organization_list": "compiled", "service_at_location_list": "compiled",
             "taxonomy": "parts", "taxonomy_term": "parts", "metadata": "parts", "openapi": "parts"}
SEEDED_CITIES = sorted({p.stem for p in seed_files("all")})


def _without_times(services: list[dict]) -> list[dict]:
    return [{k: v for k, v in s.items() if k != "last_modified"} for s in services]


@pytest.mark.parametrize("name", sorted(ORIGINALS))
def test_packaged_schemas_are_the_official_ones(name):
    packaged = gzip.decompress((PACKAGED / f"{name}.json.gz").read_bytes())
    notice = (PACKAGED / "NOTICE.md").read_text(encoding="utf-8")
    assert f"| `{name}.json.gz` | `schema/{ORIGINALS[name]}/{name}.json` | `{hashlib.sha256(packaged).hexdigest()}` |" in notice
    if SHARED.exists():  # the shared copy of the specification, when this machine has it
        assert packaged == (SHARED / ORIGINALS[name] / f"{name}.json").read_bytes()


def test_every_packaged_file_is_listed():
    assert {p.name.removesuffix(".json.gz") for p in PACKAGED.glob("*.json.gz")} == set(ORIGINALS)


@pytest.fixture(scope="module")
def seeded_store(seeded_db):
    store = SQLiteStore(seeded_db, create=False)
    yield store
    store.close()


@pytest.mark.parametrize("slug", SEEDED_CITIES)
def test_export_of_each_seed_catalogue_validates(seeded_store, slug):
    code = next(c.code for c in CITIES.values() if c.slug == slug)
    services = export_hsds(seeded_store, city=code, validate=False)
    resources = [n for n in seeded_store.query_nodes() if n.city == code and n.kind in RESOURCE_KINDS]
    assert len(services) == len(resources) > 0
    assert validate_services(services) == []
    assert len({s["id"] for s in services}) == len(services), "service ids must be unique"
    # the Japanese profile rides along
    assert all(s["jp_city_code"] == code and s["jp_kind"] in RESOURCE_KINDS for s in services)
    with_program = [s for s in services if "jp_program_code" in s]
    located = [s for s in services if s.get("service_at_locations")]
    assert located and all(s["service_at_locations"][0]["location"]["location_precision"] for s in located)
    assert with_program or not any(n.program for n in resources)
    assert any(s.get("attributes") for s in services), "taxonomy terms are exported as attributes"


def test_validation_reports_row_and_path():
    bad = [{"id": "not-a-uuid", "name": "x", "status": "open"}, {"name": "missing id and status"}]
    problems = validate_services(bad)
    where = {(p["row"], p["column"]) for p in problems}
    assert (1, "id") in where and (1, "status") in where and (2, "(service)") in where


def test_export_import_round_trip(seeded_store, tmp_path):
    original = export_hsds(seeded_store)
    target = SQLiteStore(tmp_path / "geography-only.db")
    try:
        build_catalogue(target, "none")  # municipalities and areas, no resources
        data = json.dumps(original, ensure_ascii=False).encode()
        dry = import_file(target, data, name="catalogue.hsds.json", dry_run=True)
        assert dry["ok"], dry["errors"][:5]
        assert dry["summary"]["create"] >= len(original) and dry["summary"]["error"] == 0
        real = import_file(target, data, name="catalogue.hsds.json", dry_run=False, actor="test")
        assert real["ok"]
        again = export_hsds(target)
        assert _without_times(again) == _without_times(original)
        # and every resource node came back with the same content
        for node in seeded_store.query_nodes():
            if node.kind in RESOURCE_KINDS:
                assert target.get_node(node.id).content_dict() == node.content_dict(), node.id
        # importing the same file again changes nothing
        third = import_file(target, data, name="catalogue.hsds.json", dry_run=True)
        assert third["summary"]["create"] == third["summary"]["update"] == 0 and third["summary"]["edges"] == 0
    finally:
        target.close()


def test_open_data_sites_round_trip(directory_copy, tmp_path):
    """Sites from public open data keep their external ids and バリアフリー情報 through export → import."""
    from resourcemap.opendata import import_open_data
    from tests.opendata.stdfiles import csv_bytes, facility

    store = SQLiteStore(directory_copy)
    target = SQLiteStore(tmp_path / "geography-only.db")
    try:
        rows = [facility(1, "府中市立テスト公民館", 3, **{"バリアフリー情報": "車いす対応トイレ;スロープ"})]
        assert import_open_data(store, csv_bytes(rows), "std-facilities", dry_run=False)["added"] == 1
        original = export_hsds(store)
        locations = [sal["location"] for s in original for sal in s.get("service_at_locations", [])]
        assert any(loc.get("accessibility") for loc in locations)
        assert any(loc.get("external_identifier_type") == "gsi-evacuation" for loc in locations)
        assert any(a["taxonomy_term"]["taxonomy"] == "resourcemap:external_id" and a["value"]
                   for s in original for a in s.get("attributes", []))
        build_catalogue(target, "none")
        real = import_file(target, json.dumps(original, ensure_ascii=False).encode(), name="directory.hsds.json",
                           dry_run=False, actor="test")
        assert real["ok"], real["errors"][:3]
        assert _without_times(export_hsds(target)) == _without_times(original)
        carried = [n for n in store.query_nodes() if n.kind in RESOURCE_KINDS and (n.external_ids or n.accessibility)]
        assert carried and any(n.accessibility for n in carried)
        for node in carried:
            back = target.get_node(node.id)
            assert (back.external_ids, back.accessibility) == (node.external_ids, node.accessibility), node.id
    finally:
        store.close()
        target.close()


def test_import_of_a_foreign_hsds_service(tmp_path):
    """A minimal HSDS service from another directory: placed by its coordinates, categories by name."""
    from resourcemap.geo import load_chome

    c = load_chome("13206")[0]
    svc = {"id": "3f1e4c2a-8d7b-4e55-9a11-2b3c4d5e6f70", "name": "よりそい食堂", "status": "active",
           "service_at_locations": [{"id": "5e8f2d1c-3b4a-4c6d-8e9f-0a1b2c3d4e5f",
                                     "location": {"id": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d", "location_type": "physical",
                                                  "latitude": c.lat, "longitude": c.lng}}],
           "attributes": [{"id": "7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e",
                           "taxonomy_term": {"id": "8c9d0e1f-2a3b-4c4d-8e5f-6a7b8c9d0e1f", "name": "こども食堂",
                                             "description": "x", "taxonomy": "other"}}]}
    store = SQLiteStore(tmp_path / "c.db")
    try:
        build_catalogue(store, "none")
        report = import_file(store, json.dumps([svc]).encode(), name="other.json", dry_run=False, actor="test")
        node = store.get_node(svc["id"])
        assert report["ok"] and node.city == "13206" and node.location_precision == "exact"
        assert node.categories, "the term name resolved to a resourcemap category"
    finally:
        store.close()
