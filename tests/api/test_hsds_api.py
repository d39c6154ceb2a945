"""The HSDS 3.0 API at /hsds/ on a real server: the official API document fuzzed with every response
checked against its schemas, every example request of the specification answered, a round trip
through our importer, what is (not) public, and the key setting."""
from __future__ import annotations

import json
import os
from collections import Counter, defaultdict

import httpx
import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from resourcemap.catalogue import build_catalogue
from resourcemap.cities import SEED_CITIES
from resourcemap.geo import load_chome
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.hsds.mapping import PROFILE_FIELDS, hsds_id
from resourcemap.hsds.spec import official_openapi, self_contained_openapi
from resourcemap.io import import_file
from tests.conftest import copy_catalogue
from tests.sources import shared_dir

from .conftest import build_app, make_keys, start_server, stop_server
from .hsds_catalogue import KEY_NAME, MHLW_SITES, prepare

EXAMPLES = shared_dir() / "hsds" / "examples"
#: Per operation; GET / has a single possible case, the other ten ~60 each: ≥ 500 requests in all.
EXAMPLES_PER_OPERATION = 60
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance]


@pytest.fixture(scope="module")
def hsds_db(tmp_path_factory, seeded_db):
    db = copy_catalogue(seeded_db, tmp_path_factory.mktemp("hsds") / "catalogue.db")
    return db, prepare(db)


@pytest.fixture(scope="module")
def server(hsds_db):
    live = start_server(hsds_db[0])
    try:
        yield live
    finally:
        stop_server(live)


def _get(server, path: str, **params) -> httpx.Response:
    return httpx.get(f"{server.url}/hsds{path}", params=params, timeout=30)


def _all(server, path: str, **params) -> list[dict]:
    """Every item of a list endpoint, page after page (and checks the pages add up)."""
    items, page = [], 1
    while True:
        body = _get(server, path, page=page, per_page=40, **params).json()
        items += body["contents"]
        assert body["size"] == len(body["contents"]) and body["page_number"] == page
        if body["last_page"]:
            assert len(items) == body["total_items"] and page == max(body["total_pages"], 1)
            return items
        page += 1


def _validator(doc: dict, path: str, *, item: bool = False):
    """A validator for the 200 answer of GET *path* as the official document defines it (*item*: one of its
    ``contents``)."""
    schema = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    if item:
        schema = schema["properties"]["contents"]["items"]
    return jsonschema_rs.validator_for({**schema, "components": doc["components"]}, validate_formats=True)


# -- the official document, fuzzed ------------------------------------------------------------------
def _parameters(doc: dict) -> dict[str, set[str]]:
    """Query parameter names of each path (``$ref`` s to ``components.parameters`` resolved)."""
    out = {}
    for path, item in doc["paths"].items():
        names = set()
        for p in item["get"].get("parameters", []):
            p = doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
            if p["in"] == "query":
                names.add(p["name"])
        out[path] = names
    return out


def test_official_api_document_against_a_real_server(server):
    """schemathesis over the official HSDS OpenAPI document (remote $refs → the packaged schemas).

    Checks on every response: no server error, and a 200 body valid against the schema the
    document names (formats included). Generated ids and filter values would only meet 404 and
    empty pages, so two times in three a case is pointed at real ids, terms, organizations,
    町丁目 and paging values; the rest stays as generated (bad input must get a 4xx).
    """
    base = f"{server.url}/hsds"
    doc = self_contained_openapi(base)
    params = _parameters(doc)
    schema = schemathesis.openapi.from_dict(doc)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} == set(official_openapi()["paths"]) and len(operations) == 11

    services = _all(server, "/services")
    terms = _all(server, "/taxonomy_terms")
    ids = {"/services/{id}": [s["id"] for s in services],
           "/service_at_locations/{id}": [s["id"] for s in _all(server, "/service_at_locations")],
           "/organizations/{id}": [o["id"] for o in _all(server, "/organizations")],
           "/taxonomies/{id}": [t["id"] for t in _all(server, "/taxonomies")],
           "/taxonomy_terms/{id}": [t["id"] for t in terms]}
    towns = [f"{SEED_CITIES[c].name}{load_chome(c)[k].town}" for c in SEED_CITIES for k in (0, 7)]
    steer = {"page": [1, 2, 3], "per_page": [1, 5, 20, 1000], "format": ["json", "ndjson"],
             "taxonomy_term_id": [t["id"] for t in terms], "parent_id": [t["id"] for t in terms],
             "taxonomy_id": ids["/taxonomies/{id}"], "organization_id": ids["/organizations/{id}"],
             "modified_after": ["2000-01-01", "2020-04-01T09:00:00+09:00", services[0]["last_modified"], "2999-01-01Z"],
             "postcode": towns + ["35.6666,139.5162", "35.85,139.39"], "proximity": ["300", "1500", "5000", "30000"],
             "search": ["相談", "居場所", "こども食堂", "社会福祉協議会", "ひきこもり", "白糸台", "通所", "8050"]}
    items = {path: _validator(doc, path, item=True) for path in doc["paths"] if "{" not in path and path != "/"}
    session = requests.Session()
    statuses: dict[str, list[int]] = defaultdict(list)
    failures: dict[str, str] = {}

    def aim(case, data) -> None:
        path = case.operation.path
        if case.path_parameters and data.draw(st.integers(0, 2), label="real id") > 0:
            case.path_parameters["id"] = data.draw(st.sampled_from(ids[path]), label="id")
        query = dict(case.query or {})
        for name in sorted(params[path] & set(steer)):
            if data.draw(st.integers(0, 2), label=f"steer {name}") > 0:
                query[name] = data.draw(st.sampled_from(steer[name]), label=name)
        if "proximity" in query and "postcode" not in query and data.draw(st.booleans(), label="with postcode"):
            query["postcode"] = towns[0]
        case.query = query

    for op in operations:
        @given(case=op.as_strategy(), data=st.data())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case, data):
            aim(case, data)
            response = case.call_and_validate(base_url=base, session=session, checks=CHECKS)
            media_type = (response.headers.get("content-type") or [""])[0]  # schemathesis: header → list of values
            if response.status_code == 200 and media_type.startswith("application/x-ndjson"):
                for line in response.text.splitlines():  # a format the document names but gives no schema for:
                    item = json.loads(line)             # each line is one item of the page's `contents`
                    assert items[op.path].is_valid(item), (op.label, next(items[op.path].iter_errors(item)).message)
            statuses[op.label].append(response.status_code)

        try:
            fuzz()
        except Exception as exc:  # collect, so one run shows every failing operation
            failures[op.label] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    total = sum(len(codes) for codes in statuses.values())
    assert total >= 500, f"only {total} generated requests"
    assert not [c for codes in statuses.values() for c in codes if c >= 500]
    for label, codes in statuses.items():  # conformance was checked on real answers of every endpoint
        assert codes.count(200) >= (1 if label == "GET /" else 10), (label, Counter(codes))


# -- the specification's example requests ------------------------------------------------------------
#: example document → (request, the path whose 200 schema it belongs to)
EXAMPLE_REQUESTS = {
    "base.json": ("/", "/"),
    "service_list.json": ("/services", "/services"),
    "service_full.json": ("/services/{service}", "/services/{id}"),
    "organization_list.json": ("/organizations", "/organizations"),
    "organization_full.json": ("/organizations/{organization}?full_service=true", "/organizations/{id}"),
    "service_at_location_list.json": ("/service_at_locations", "/service_at_locations"),
    "service_at_location_full.json": ("/service_at_locations/{service_at_location}", "/service_at_locations/{id}"),
    "taxonomy_list.json": ("/taxonomies", "/taxonomies"),
    "taxonomy.json": ("/taxonomies/{taxonomy}", "/taxonomies/{id}"),
    "taxonomy_term_list.json": ("/taxonomy_terms", "/taxonomy_terms"),
    "taxonomy_term.json": ("/taxonomy_terms/{taxonomy_term}", "/taxonomy_terms/{id}"),
}
#: Properties of ours that are not HSDS: the profile, and on a service_at_location the service's
#: name/status (the document names service.json for it), on a minimal service ``modified_date``.
OURS = set(PROFILE_FIELDS) | {"name", "status", "modified_date"}


def _properties(doc: dict, schema: dict) -> set[str]:
    """The property names a (possibly ``$ref``'d) schema of the document defines."""
    if "$ref" in schema:
        schema = doc["components"]["schemas"].get(schema["$ref"].rsplit("/", 1)[1]) or _packaged(schema["$ref"])
    return set(schema.get("properties", {}))


def _packaged(ref: str) -> dict:
    from resourcemap.io.hsds import schema

    return schema(ref.rsplit("/", 1)[1].removeprefix("hsds_"))


@pytest.mark.skipif(not EXAMPLES.exists() and not os.environ.get("CI"),
                    reason="needs ../shared/hsds/examples (CI requires it)")
@pytest.mark.parametrize("example", sorted(EXAMPLE_REQUESTS))
def test_every_example_request_is_answered(server, example):
    """The request behind each example of the specification gets a 200 of the same kind: valid against
    the schema the official document names, with the example's page fields, and nothing beyond HSDS
    properties and the documented profile."""
    doc = self_contained_openapi()
    request, path = EXAMPLE_REQUESTS[example]
    want = json.loads((EXAMPLES / example).read_text(encoding="utf-8"))
    validator = _validator(doc, path)
    if path != "/services/{id}" and path != "/service_at_locations/{id}":  # the spec's own example is valid
        assert validator.is_valid(want), example
    if "{" in request:
        lister = "/" + request.split("/")[1]
        first = _get(server, lister, per_page=1).json()["contents"][0]["id"]
        request = request.split("{")[0] + first + request.split("}")[1]
    url, _, query = request.partition("?")
    response = httpx.get(f"{server.url}/hsds{url}", params=dict(p.split("=") for p in query.split("&") if p),
                         timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    got = response.json()
    errors = [f"{e.instance_path}: {e.message}"[:200] for e in validator.iter_errors(got)]
    assert not errors, errors[:5]
    answer = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    if "contents" in want:
        assert set(want) == set(got) and got["contents"], "the Page fields of the example"
        objects, allowed = got["contents"], _properties(doc, answer["properties"]["contents"]["items"])
    else:
        objects, allowed = [got], _properties(doc, answer)
    if path == "/service_at_locations/{id}":  # what it is, besides the service.json the document names
        allowed |= _properties(doc, {"$ref": "#/components/schemas/hsds_service_at_location"})
    for obj in objects:
        extra = set(obj) - allowed - OURS
        assert not extra, f"{example}: properties neither HSDS nor in the profile: {extra}"


# -- what is public -----------------------------------------------------------------------------------
def _everything(server) -> str:
    """Every object the API serves, in full, as one text."""
    parts = [_get(server, f"/services/{s['id']}").text for s in _all(server, "/services")]
    parts += [_get(server, f"/organizations/{o['id']}", full_service="true").text
              for o in _all(server, "/organizations")]
    parts += [_get(server, f"/service_at_locations/{s['id']}").text for s in _all(server, "/service_at_locations")]
    parts += [_get(server, "/taxonomy_terms", per_page=1000).text, _get(server, "/taxonomies").text]
    return "\n".join(parts)


def test_only_active_services_and_nothing_about_people_or_keys(server, hsds_db):
    db, made = hsds_db
    store = SQLiteStore(db, create=False)
    try:
        nodes = store.query_nodes()
    finally:
        store.close()
    served = {s["jp_node_id"]: s for s in _all(server, "/services", full="true")}
    resources = {n.id: n for n in nodes if n.kind in ("agency", "hub", "place", "subsidy_group")}
    assert set(served) == {i for i, n in resources.items() if n.status == "active"}
    assert all(s["status"] == "active" for s in served.values())
    assert not set(made["hidden"]) & set(served)
    text = _everything(server)
    for node_id in made["people"] + made["hidden"]:  # meetings, coordinators; inactive/planned/defunct
        assert f'"{node_id}"' not in text, node_id
    assert KEY_NAME not in text and "jp_verified_by" not in text
    assert served["fuchu.place.api_written"]["jp_source"] == "api:非公開"
    for forbidden in ("unmet", "audit", "rm_key", "rmk_"):
        assert forbidden not in text
    orgs = {o["jp_node_id"] for o in _all(server, "/organizations")}
    assert orgs == {s["organization"]["jp_node_id"] for s in served.values() if "organization" in s}


def test_profile_carries_phones_urls_schedules_and_attribution(server):
    sites = {s["jp_node_id"]: s for s in _all(server, "/services", full="true") if s["jp_node_id"].startswith("mhlw.")}
    assert len(sites) == len(MHLW_SITES)
    for row in MHLW_SITES:
        svc = sites[f"mhlw.{row['id']}"]
        assert svc["phones"][0]["number"] == row["tel"]
        assert svc["schedules"][0]["byday"] == row["days"]
        loc = svc["service_at_locations"][0]["location"]
        assert (loc["latitude"], loc["longitude"], loc["location_precision"]) == (row["lat"], row["lng"], "address")
        assert loc["addresses"][0]["address_1"] == row["address"]
        if row["url"] in ("https//www.sompocare.com/", "http://hp.kaipoke..biz/66f/"):  # not URIs, as published
            assert "url" not in svc and svc["jp_url_text"] == row["url"]
        else:
            assert svc["url"] == row["url"] and "jp_url_text" not in svc
    seeded = _get(server, "/services", search="地域包括支援センター", per_page=1).json()["contents"][0]
    assert seeded["jp_attribution"].startswith("出典：") and "#" in seeded["jp_source"]
    assert {t["name"] for t in _all(server, "/taxonomies")} == {"resourcemap 分類（サービス・ニーズ）", "分野", "公開データの識別子"}
    from resourcemap.hsds.mapping import BUNYA
    from resourcemap.opendata import load_datasets
    from resourcemap.taxonomy import load_taxonomy

    # every category (57 of the plans + 17 open data added), the 5 分野, the 7 public datasets
    assert len(_all(server, "/taxonomy_terms")) == len(load_taxonomy()) + len(BUNYA) + len(load_datasets()) == 74 + 5 + 7
    profile = httpx.get(f"{server.url}/hsds/profile", timeout=10).json()
    assert {p["name"] for p in profile["additional_properties"]} == set(PROFILE_FIELDS)


def test_meta_and_document_links_resolve(server):
    about = _get(server, "/").json()
    assert about["version"] == "3.0"
    document = httpx.get(about["openapi_url"], timeout=10).json()
    assert document["paths"] == official_openapi()["paths"] and document["servers"][0]["url"].endswith("/hsds")
    assert httpx.get(about["profile"], timeout=10).status_code == 200


# -- round trip ---------------------------------------------------------------------------------------
def _directory_of(client) -> dict:
    """The public directory as the API serves it, without the change times (they are the importer's)."""
    def strip(obj):
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if k not in ("last_modified", "modified_date")}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj

    def every(path, **params):
        body = client.get(f"/hsds{path}", params={"per_page": 1000, **params}).json()
        assert body["last_page"]
        return body["contents"]

    return strip({"services": every("/services", full="true"),
                  "organizations": every("/organizations", full_service="true"),
                  "service_at_locations": every("/service_at_locations", full="true"),
                  "taxonomies": every("/taxonomies"), "taxonomy_terms": every("/taxonomy_terms")})


def test_what_hsds_serves_imports_into_an_empty_catalogue_as_the_same_directory(server, hsds_db, tmp_path):
    """Export → import → the same directory, for every record today's field rules accept. The records the
    catalogue holds from before the rules (the MHLW sites as published) are served, but an import — which
    validates every row — refuses those that break a rule (row errors naming them) and would rewrite those
    in a non-canonical form, so they are left out of the comparison (``resourcemap check`` lists them)."""
    from fastapi.testclient import TestClient

    from resourcemap.catalogue import rule_breaks

    held = SQLiteStore(hsds_db[0], create=False)
    try:
        found = rule_breaks(held).items
    finally:
        held.close()
    refused = {p["id"] for p in found if p["severity"] == "error" and not p["deleted"]}
    legacy = refused | {p["id"] for p in found if not p["deleted"]}
    assert refused and legacy <= {f"mhlw.{r['id']}" for r in MHLW_SITES}
    pages = [_get(server, "/services", full="true", per_page=50, page=p).content for p in (1, 2, 3, 4)]
    assert json.loads(pages[-1])["last_page"]
    target = tmp_path / "empty.db"
    store = SQLiteStore(target)
    seen_refused: set[str] = set()
    try:
        build_catalogue(store, "none")  # the municipalities and their areas, no resources
        for i, page in enumerate(pages):
            doc = json.loads(page)
            dry = import_file(store, page, name=f"hsds-page-{i + 1}.json", dry_run=True, actor="test")
            errors = {r["id"] for r in dry["rows"] if r["errors"]}
            assert errors == refused & {s["jp_node_id"] for s in doc["contents"]}, dry["errors"][:3]
            seen_refused |= errors
            kept = json.dumps({**doc, "contents": [s for s in doc["contents"] if s["jp_node_id"] not in legacy]})
            report = import_file(store, kept.encode(), name=f"hsds-page-{i + 1}.json", dry_run=False, actor="test")
            assert report["ok"] and report["summary"]["error"] == 0, report["errors"][:3]
    finally:
        store.close()
    assert seen_refused == refused
    with httpx.Client(base_url=server.url) as original, TestClient(build_app(target)) as copy:
        before, after = _directory_of(original), _directory_of(copy)
    legacy_uids = {hsds_id(what, n) for n in legacy for what in ("service", "service_at_location")}
    before["services"] = [s for s in before["services"] if s["id"] not in legacy_uids]
    before["service_at_locations"] = [s for s in before["service_at_locations"] if s["id"] not in legacy_uids]
    assert len(before["services"]) > 150
    for part in before:
        assert after[part] == before[part], part


# -- the key setting ----------------------------------------------------------------------------------
def test_public_by_default_and_key_only_by_one_setting(hsds_db, tmp_path):
    from fastapi.testclient import TestClient

    db = copy_catalogue(hsds_db[0], tmp_path / "c.db")
    keys = make_keys(db, roles=("viewer",))
    with TestClient(build_app(db)) as client:
        opened = client.get("/hsds/services", headers={"Origin": "https://portal.example"})
        assert opened.status_code == 200 and opened.headers["access-control-allow-origin"] == "*"
        assert client.get("/hsds/services/nope").headers["access-control-allow-origin"] == "*"
        closed_v1 = client.get("/v1/nodes")
        assert closed_v1.status_code == 401  # the rest of the API keeps its keys
        assert "access-control-allow-origin" not in closed_v1.headers
    closed = build_app(db, hsds_public=False)
    with TestClient(closed) as client:
        for path in ("/hsds/", "/hsds/services", "/hsds/taxonomies", "/hsds/openapi.json"):
            denied = client.get(path)
            assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith("Bearer")
            assert denied.headers["content-type"].startswith("application/problem+json")
        assert client.get("/hsds/services", headers={"Authorization": "Bearer rmk_000000000000_wrong"}).status_code == 401
        ok = client.get("/hsds/services", headers={"Authorization": f"Bearer {keys['viewer']}"})
        assert ok.status_code == 200 and ok.json()["total_items"] > 0
        assert "access-control-allow-origin" not in ok.headers  # a key-only directory is not for any web page


def test_key_setting_is_read_from_the_environment():
    from resourcemap.config import load
    from resourcemap.errors import InputError

    assert load(environ={}).hsds_public is True
    assert load(environ={"RESOURCEMAP_HSDS_PUBLIC": "0"}).hsds_public is False
    assert load(environ={"RESOURCEMAP_HSDS_PUBLIC": "yes"}).hsds_public is True
    with pytest.raises(InputError, match="RESOURCEMAP_HSDS_PUBLIC"):
        load(environ={"RESOURCEMAP_HSDS_PUBLIC": "maybe"})
