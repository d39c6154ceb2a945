"""The network views: CLI `resourcemap network`, `GET /v1/network`, the offline HTML page, the report section."""
from __future__ import annotations

import csv
import json
import re

import pytest

from resourcemap.cli import main
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.network import views as netview


@pytest.fixture(scope="module")
def g(seeded_db):
    store = SQLiteStore(seeded_db)
    yield ReadModel(store, follow=False).graph
    store.close()


def test_cli_writes_page_tables_and_json(seeded_db, tmp_path, capsys):
    out = tmp_path / "fuchu"
    assert main(["--db", str(seeded_db), "network", "--city", "府中市", "--out", str(out), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["code"] == "13206" and res["level"] == "福祉エリア" and res["uncovered_areas"] == []
    names = {p.rsplit("/", 1)[-1] for p in res["files"]}
    assert {"network.html", "network.json", "coverage_bunya.csv", "coverage_pillar.csv", "coordinator_load.csv",
            "components.csv", "separators.csv", "bridges.csv", "betweenness.csv", "referrals.csv"} <= names
    with (out / "coverage_bunya.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 11 * 5 and {r["status"] for r in rows} <= {"local", "citywide", "empty"}
    data = json.loads((out / "network.json").read_text(encoding="utf-8"))
    assert data["metrics"]["summary"] == res["summary"]


def test_cli_human_output_names_the_uncovered_area(seeded_db, tmp_path, capsys):
    assert main(["--db", str(seeded_db), "network", "--city", "福生市", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "担当のいない区域 1 / 1（福生市全域）" in text


def test_cli_bad_input_exits_2_with_one_line(seeded_db, tmp_path, capsys):
    assert main(["--db", str(seeded_db), "network", "--city", "府中市", "--out", str(tmp_path),
                 "--level", "学区"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "福祉エリア" in err[0]
    assert main(["--db", str(seeded_db), "network", "--city", "大阪市", "--out", str(tmp_path)]) == 2


def test_api_returns_nodes_edges_metrics(seeded_copy):
    from fastapi.testclient import TestClient

    from tests.api.conftest import build_app, make_keys

    keys = make_keys(seeded_copy, roles=("viewer",))
    auth = {"Authorization": f"Bearer {keys['viewer']}"}
    with TestClient(build_app(seeded_copy)) as client:
        assert client.get("/v1/network", params={"city": "府中市"}).status_code == 401
        r = client.get("/v1/network", params={"city": "府中市"}, headers=auth)
        assert r.status_code == 200
        body = r.json()
        assert set(body) >= {"nodes", "edges", "metrics"}
        assert body["metrics"]["summary"]["suishin_departments"] == 26
        assert len(body["nodes"]) == body["metrics"]["summary"]["nodes"]
        r = client.get("/v1/network", params={"city": "13218"}, headers=auth)
        assert [a["name"] for a in r.json()["metrics"]["uncovered_areas"]] == ["福生市全域"]
        r = client.get("/v1/network", params={"city": "大阪市"}, headers=auth)
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
        r = client.get("/v1/network", params={"city": "府中市", "level": "学区"}, headers=auth)
        assert r.status_code == 422 and "福祉エリア" in r.json()["detail"]
        assert client.get("/v1/network", headers=auth).status_code == 422


def test_api_follows_catalogue_writes(seeded_copy):
    """福生市 places its first coordinator: the cached bundle must show the area covered at once."""
    from fastapi.testclient import TestClient

    from tests.api.conftest import build_app, make_keys

    keys = make_keys(seeded_copy, roles=("viewer", "editor"))
    view = {"Authorization": f"Bearer {keys['viewer']}"}
    edit = {"Authorization": f"Bearer {keys['editor']}"}
    with TestClient(build_app(seeded_copy)) as client:
        before = client.get("/v1/network", params={"city": "福生市"}, headers=view).json()
        assert before["metrics"]["summary"]["uncovered_areas"] == 1
        r = client.post("/v1/nodes", headers=edit, json={
            "id": "fussa.coord.test", "kind": "coordinator", "name": "地域福祉コーディネーター（試行）",
            "city": "13218", "role": "地域福祉コーディネーター"})  # source: the server's (api:editor)
        assert r.status_code == 201, r.text
        r = client.post("/v1/edges", headers=edit, json={"kind": "covers", "source": "fussa.coord.test",
                                                         "target": "fussa.area.all"})
        assert r.status_code == 201, r.text
        after = client.get("/v1/network", params={"city": "福生市"}, headers=view).json()
        assert after["metrics"]["summary"]["uncovered_areas"] == 0
        assert after["metrics"]["coordinator_load"][0]["areas"] == ["fussa.area.all"]


def test_page_is_self_contained_and_carries_the_graph(g):
    data = netview.network_data(g, "府中市")
    page = netview.network_html(data)
    # no asset from the network: every src/href/url() is local or inline
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.I)
    assert not re.search(r"""url\(\s*["']?(https?:)?//""", page, re.I)
    assert "vis.Network" in page and "<script src" not in page and "<link" not in page
    nodes = json.loads(re.search(r'<script type="application/json" id="network-nodes">(.*?)</script>', page,
                                 re.S).group(1))
    assert {n["id"] for n in nodes} == {n["id"] for n in data["nodes"]}
    size = {n["id"]: n["size"] for n in nodes}
    plain = sorted((n for n in data["nodes"] if n["cut_off"] <= 1 and not n["splits_bunya"]),
                   key=lambda n: n["betweenness"])
    assert [size[n["id"]] for n in plain] == sorted(size[n["id"]] for n in plain)  # sized by centrality
    assert size[plain[-1]["id"]] > size[plain[0]["id"]]
    for a in data["areas"]:
        assert f'<option value="{a["id"]}">' in page
    edges = json.loads(re.search(r'<script type="application/json" id="network-edges">(.*?)</script>', page,
                                 re.S).group(1))
    assert edges and all(e["label"] for e in edges)
    assert {k for e in edges for k in e["kinds"]} <= set(netview.EDGE_LABELS)


def test_names_are_escaped_in_the_page_and_the_report(g):
    data = netview.network_data(g, "福生市")
    data["nodes"][0]["name"] = "<script>alert(1)</script>"
    data["metrics"]["uncovered_areas"][0]["name"] = "<b>区域</b>"
    page = netview.network_html(data)
    assert "<script>alert(1)</script>" not in page
    section = netview.network_report_section(g, "福生市", data=data)
    assert section.startswith("<section") and "&lt;b&gt;区域&lt;/b&gt;" in section


def test_report_section_states_the_findings(g):
    section = netview.network_report_section(g, "福生市")
    assert "福生市全域" in section and "区域のコーディネーターがいない" in section
    fuchu = netview.network_report_section(g, "府中市")
    assert "すべての区域にコーディネーターがいます" in fuchu and "相談支援包括化推進員の配置部署 26 件" in fuchu


def test_gap_meeting_report_carries_the_network_section(seeded_db, tmp_path, capsys):
    assert main(["--db", str(seeded_db), "gaps", "--city", "福生市", "--category", "consult", "--out",
                 str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["files"]["report"]
    text = open(report, encoding="utf-8").read()
    assert "多機関協働ネットワーク" in text and "区域のコーディネーターがいない" in text
