"""One table of import formats (resourcemap.io.IMPORTERS): the CLI and the API offer the same formats, an
option a format does not read is refused (not dropped), and the area table imports through the API as
through the CLI.
"""
from __future__ import annotations

import pytest

from resourcemap.errors import InputError
from resourcemap.io import IMPORTERS, ImportOptions, run_import
from resourcemap.io.importers import OPEN_DATA_FORMATS, check_options
from tests.api.conftest import build_app, make_keys
from tests.conftest import copy_catalogue
from tests.unit.test_area_import import CODE, GOOD, mizuho_db  # noqa: F401  (the fixture)


def test_the_table_lists_every_open_data_reader():
    from resourcemap.opendata import FORMATS

    assert set(OPEN_DATA_FORMATS) == set(FORMATS)
    assert {"auto", "csv", "geojson", "hsds", "areas"} <= set(IMPORTERS)


def test_cli_and_api_offer_exactly_the_table(seeded_copy):
    from fastapi.testclient import TestClient

    from resourcemap.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    fmt = next(a for a in sub.choices["import"]._actions if a.dest == "format")
    assert list(fmt.choices) == list(IMPORTERS)
    with TestClient(build_app(seeded_copy)) as client:
        doc = client.get("/openapi.json").json()
    param = next(p for p in doc["paths"]["/v1/import"]["post"]["parameters"] if p["name"] == "format")
    assert param["schema"]["enum"] == list(IMPORTERS)


@pytest.mark.parametrize("fmt, options, refused", [
    ("csv", ImportOptions(city="13206"), "city"),
    ("areas", ImportOptions(city="13206", pref="13"), "pref"),
    ("hsds", ImportOptions(skip_errors=True), "skip_errors"),
])
def test_an_option_the_format_does_not_read_is_refused(fmt, options, refused):
    with pytest.raises(InputError, match=refused):
        check_options(fmt, options)
    with pytest.raises(InputError, match=f"--{refused.replace('_', '-')}"):
        check_options(fmt, options, spell=lambda n: "--" + n.replace("_", "-"))
    check_options("gsi-shelters", ImportOptions(city="13206", pref="13", skip_errors=True))  # open data reads all


def test_several_files_only_where_the_format_takes_them(seeded_copy):
    from resourcemap.graph.stores.sqlite import SQLiteStore

    store = SQLiteStore(seeded_copy)
    try:
        with pytest.raises(InputError, match="一度に一つ"):
            run_import(store, [("a.csv", b"x"), ("b.csv", b"y")], "csv", name="a.csv", dry_run=True, actor="t")
        with pytest.raises(InputError, match="nonsense"):
            run_import(store, b"x", "nonsense", name="x", dry_run=True, actor="t")
    finally:
        store.close()


def test_the_area_table_imports_through_the_api(mizuho_db, tmp_path):  # noqa: F811
    from fastapi.testclient import TestClient

    db = copy_catalogue(mizuho_db, tmp_path / "api.db")
    keys = make_keys(db)
    with TestClient(build_app(db)) as client:
        auth = {"Authorization": f"Bearer {keys['editor']}", "Content-Type": "text/csv"}
        r = client.post(f"/v1/import?format=areas&city={CODE}&dry_run=false&name=areas.csv",
                        content=GOOD.encode(), headers=auth)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["added"], body["changed"], body["inactivated"], body["errors"]) == (3, 0, 0, [])
        areas = client.get(f"/v1/nodes?kind=area&city={CODE}", headers={"Authorization": auth["Authorization"]})
        names = {n["name"] for n in areas.json()["items"] if n["level"] == "日常生活圏域"}
        assert names == {"東部", "西部", "北部"}
        r = client.post("/v1/import?format=areas&dry_run=true", content=GOOD.encode(), headers=auth)
        assert r.status_code == 422 and "city" in r.text  # the table names no municipality: say which is missing
