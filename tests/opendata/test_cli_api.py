"""The command line and the API over the same importer, log and review queue (CONTRACT.md shapes)."""
from __future__ import annotations

import json

import pytest

from resourcemap.cli import main

from ..api.conftest import build_app, make_keys
from .stdfiles import FACILITY_COLUMNS, IRUMA, csv_bytes, facility

CONTRACT_KEYS = {"added", "changed", "unchanged", "inactivated", "errors"}


def _rows():
    return [facility(i, f"府中市立第{i}公民館", i * 5) for i in range(1, 4)]


def test_cli_import_dry_run_then_real_then_again(directory_copy, tmp_path, capsys):
    f = tmp_path / "kokyo_shisetsu_20250401.csv"
    f.write_bytes(csv_bytes(_rows()))
    db = str(directory_copy)
    assert main(["--db", db, "import", "--format", "std-facilities", str(f), "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert CONTRACT_KEYS <= set(dry) and (dry["added"], dry["dry_run"]) == (3, True)
    assert main(["--db", db, "import", "--format", "std-facilities", str(f), "--json"]) == 0
    real = json.loads(capsys.readouterr().out)
    assert (real["added"], real["changed"]) == (3, 0) and real["date"] == "2025-04-01"
    assert main(["--db", db, "import", "--format", "std-facilities", str(f), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, 3)
    assert main(["--db", db, "sources", "--json"]) == 0
    listed = {d["dataset"]: d for d in json.loads(capsys.readouterr().out)}
    assert listed["std-facilities"]["rows"] == 3 and listed["std-facilities"]["publisher"] == "府中市"
    assert listed["std-facilities"]["attribution"] == "出典：府中市「公共施設一覧」を加工して作成"


def test_cli_import_errors_exit_2_and_write_nothing_unless_skipped(directory_copy, tmp_path, capsys):
    rows = _rows() + [{**facility(9, "府中市立第9公民館"), "緯度": f"{IRUMA[3].lat}", "経度": f"{IRUMA[3].lng}"}]
    f = tmp_path / "kokyo.csv"
    f.write_bytes(csv_bytes(rows, encoding="cp932"))
    db = str(directory_copy)
    assert main(["--db", db, "import", "--format", "std-facilities", str(f), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert [(e["row"], e["column"]) for e in out["errors"]] == [(5, "緯度/経度")]
    assert main(["--db", db, "import", "--format", "std-facilities", str(f), "--skip-errors", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 4
    assert main(["--db", db, "import", "--format", "std-facilities", str(f)]) == 2  # human output still lists it
    human = capsys.readouterr().out
    assert "エラー [緯度/経度]" in human and "区域外" in human


def test_cli_refuses_open_data_options_for_catalogue_files(directory_copy, tmp_path, capsys):
    f = tmp_path / "x.csv"
    f.write_text("名称\nx\n", encoding="utf-8")
    assert main(["--db", str(directory_copy), "import", str(f), "--city", "13206"]) == 2
    assert "--city" in capsys.readouterr().err


def test_cli_links_list_accept_reject(directory_copy, capsys):
    db = str(directory_copy)
    assert main(["--db", db, "links", "--city", "甲州市", "--status", "proposed", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert items and all(x["city"] == "19213" and x["status"] == "proposed" for x in items)
    assert all(x["subject_name"] and x["site_name"] for x in items)
    assert main(["--db", db, "links", "accept", str(items[0]["id"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "accepted"
    assert main(["--db", db, "links", "reject", str(items[1]["id"]), "--note", "会場ではない", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["note"] == "会場ではない"
    assert main(["--db", db, "links", "reject", str(items[1]["id"])]) == 2  # decided already
    assert main(["--db", db, "links", "accept", "999999"]) == 2
    assert "999999" in capsys.readouterr().err
    assert main(["--db", db, "links", "run", "--city", "19213", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["proposed"] == 0


@pytest.fixture
def api_dir(directory_copy):
    from fastapi.testclient import TestClient

    keys = make_keys(directory_copy)
    with TestClient(build_app(directory_copy)) as client:
        yield client, {r: {"Authorization": f"Bearer {k}"} for r, k in keys.items()}


def test_api_import_sources_and_links(api_dir):
    client, auth = api_dir
    body = csv_bytes(_rows())
    r = client.post("/v1/import?format=std-facilities&dry_run=true&name=kokyo.csv", content=body,
                    headers={**auth["editor"], "Content-Type": "text/csv"})
    assert r.status_code == 200 and CONTRACT_KEYS <= set(r.json()) and r.json()["added"] == 3
    assert client.post("/v1/import?format=std-facilities&dry_run=false", content=body,
                       headers={**auth["viewer"], "Content-Type": "text/csv"}).status_code == 403
    r = client.post("/v1/import?format=std-facilities&dry_run=false&date=2025-04-01", content=body,
                    headers={**auth["editor"], "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["added"] == 3 and r.json()["date"] == "2025-04-01"
    bad = csv_bytes(_rows(), [c for c in FACILITY_COLUMNS if c != "名称"])
    r = client.post("/v1/import?format=std-facilities&dry_run=false", content=bad,
                    headers={**auth["editor"], "Content-Type": "text/csv"})
    assert r.status_code == 422 and r.json()["errors"][0]["column"] == "名称"
    listed = {d["dataset"]: d for d in client.get("/v1/sources", headers=auth["viewer"]).json()}
    assert {"gsi-evacuation", "gsi-emergency", "mhlw-care", "std-facilities"} <= set(listed)
    links = client.get("/v1/links?city=11225&status=proposed", headers=auth["viewer"]).json()
    assert links and links[0]["status"] == "proposed"
    lid = links[0]["id"]
    assert client.post(f"/v1/links/{lid}/accept", headers=auth["viewer"]).status_code == 403
    r = client.post(f"/v1/links/{lid}/reject", json={"note": "別の施設"}, headers=auth["editor"])
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["decided_by"] == "editor"
    assert client.post(f"/v1/links/{lid}/accept", headers=auth["editor"]).status_code == 409
    assert client.post("/v1/links/999999/accept", headers=auth["editor"]).status_code == 404
