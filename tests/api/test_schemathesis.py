"""Schemathesis against the app's own OpenAPI document: no 5xx, no response that breaks its schema.

Every operation gets a bounded number of generated requests (schema-conforming and not),
sent in-process (ASGI) with an admin key, so every route's real behaviour is exercised.
Checks: no server error, status code documented, content type documented, body and headers
valid against the documented response.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from tests.conftest import copy_catalogue

from .conftest import build_app, make_keys

EXAMPLES_PER_OPERATION = 24  # × ~30 operations ≈ 700 requests
STATEFUL_EXAMPLES, STATEFUL_STEPS = 30, 12  # stateful runs: ≈ 350 more requests, in create → … → restore chains
MIN_CASES = 1000  # what the two runs together must send (issue 15)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory, seeded_db):
    return copy_catalogue(seeded_db, tmp_path_factory.mktemp("schemathesis") / "catalogue.db")


@pytest.fixture(scope="module")
def admin_key(catalogue) -> str:
    return make_keys(catalogue, roles=("admin",))["admin"]


CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]


SENT: dict[str, int] = {"operations": 0, "stateful": 0}


def test_api_conforms_to_its_openapi(catalogue, admin_key):
    """Each operation of /openapi.json, fuzzed; every failure of every operation reported together.

    Random path ids would only ever meet 404, so two times in three a generated case is
    pointed at a real node/edge and, for writes, given its current ``If-Match`` — the
    generated bodies then reach validation and the store. (The operations are driven here
    rather than with ``schema.parametrize``: schemathesis' pytest plugin reads a node
    attribute that pytest 9 no longer has.)
    """
    from fastapi.testclient import TestClient

    from resourcemap.graph.stores.sqlite import SQLiteStore

    app = build_app(catalogue)
    store = SQLiteStore(catalogue, create=False)
    ids = {"node_id": sorted(n.id for n in store.query_nodes()), "edge_id": sorted(e.id for e in store.query_edges())}
    headers = {"Authorization": f"Bearer {admin_key}"}
    failures: dict[str, str] = {}

    def aim(case, data) -> None:
        for param, pool in ids.items():
            if param in (case.path_parameters or {}) and data.draw(st.integers(0, 2), label="real id") > 0:
                real = data.draw(st.sampled_from(pool), label=param)
                case.path_parameters[param] = real
                if case.method in ("PATCH", "DELETE", "POST") and data.draw(st.booleans(), label="current If-Match"):
                    getter = store.get_node if param == "node_id" else store.get_edge
                    try:
                        version = getter(real, include_deleted=True).version
                    except LookupError:
                        continue
                    case.headers = {**(case.headers or {}), "If-Match": f'"{version}"'}

    try:
        with TestClient(app):  # the lifespan opens the store
            schema = schemathesis.openapi.from_asgi("/openapi.json", app)
            operations = [result.ok() for result in schema.get_all_operations()]
            assert len(operations) >= 25
            for op in operations:
                @given(case=op.as_strategy(), data=st.data())
                @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck))
                def fuzz(case, data):
                    aim(case, data)
                    SENT["operations"] += 1
                    case.call_and_validate(headers=headers, checks=CHECKS)

                try:
                    fuzz()
                except Exception as exc:  # collect, so one run shows every failing operation
                    failures[op.label] = str(exc)[:1500]
    finally:
        store.close()
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def _op_id(doc: dict, method: str, path: str) -> str:
    return doc["paths"][path][method]["operationId"]


def _link_lifecycle(doc: dict) -> None:
    """OpenAPI links for a node's life: create → read/patch → delete → restore, each carrying the
    id and the ETag the next step needs as ``If-Match`` (the document itself has no links)."""
    node = "/v1/nodes/{node_id}"

    def to(method: str, path: str) -> dict:
        return {"operationId": _op_id(doc, method, path),
                "parameters": {"path.node_id": "$response.body#/id", "header.If-Match": "$response.header.ETag"}}

    steps = {("post", "/v1/nodes", "201"): [("patch", node), ("get", node), ("delete", node)],
             ("patch", node, "200"): [("patch", node), ("delete", node), ("get", node)],
             ("delete", node, "200"): [("post", node + "/restore"), ("get", node)],
             ("post", node + "/restore", "200"): [("patch", node), ("delete", node)]}
    for (method, path, status), targets in steps.items():
        resp = doc["paths"][path][method]["responses"].setdefault(status, {"description": "ok"})
        resp["links"] = {f"{m.upper()}{p.replace('/', '_').replace('{', '').replace('}', '')}": to(m, p)
                         for m, p in targets}


def _creatable(doc: dict) -> None:
    """Narrow the create body of the stateful runs to what can succeed (a known city, no placement,
    known categories) so chains get past creation; the per-operation fuzz keeps the full body."""
    from resourcemap.cities import SEED_CITIES
    from resourcemap.taxonomy import load_taxonomy

    props = doc["components"]["schemas"]["NodeCreate"]["properties"]
    props["city"] = {"type": "string", "enum": sorted(SEED_CITIES)}  # the municipalities the catalogue holds
    props["categories"] = {"type": "array", "maxItems": 3, "items": {"enum": sorted(c.id for c in load_taxonomy())}}
    for name in ("id", "lat", "lng", "location_precision", "area_id", "source", "pref", "url", "email", "phone",
                 "external_ids", "accessibility"):
        props.pop(name, None)
    props["kind"] = {"type": "string", "enum": ["agency", "hub", "place", "subsidy_group"]}


def test_stateful_lifecycles_conform(catalogue, admin_key):
    """Schemathesis' state machine follows the links: nodes are created, patched, deleted and
    restored in random orders with generated bodies; every response passes the checks, none is 5xx.
    (Schemathesis also probes the security scheme with wrong keys: the failure limiter, tested in
    test_key_checks.py, is set out of the way so those probes do not turn the run into 429s.)"""
    from fastapi.testclient import TestClient
    from hypothesis import settings as hsettings

    from resourcemap.config import AuthLimits

    app = build_app(catalogue, auth_limits=AuthLimits(per_key=100_000_000, per_client=100_000_000))
    headers = {"Authorization": f"Bearer {admin_key}"}
    statuses: dict[int, int] = {}
    with TestClient(app):
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        _link_lifecycle(schema.raw_schema)
        _creatable(schema.raw_schema)
        # revoking the run's only key (DELETE /v1/keys/{id} of the key GET /v1/keys lists) would turn every later
        # step into a 401; revocation is fuzzed per operation above and tested in test_keys.py
        machine = schema.exclude(method="DELETE", path="/v1/keys/{key_id}").as_state_machine()

        class Lifecycle(machine):  # type: ignore[misc, valid-type]
            def before_call(self, case):  # the admin key, never a generated Authorization header
                case.headers = {**{k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"},
                                **headers}

            def get_call_kwargs(self, case):
                return {"headers": headers}

            def validate_response(self, response, case, additional_checks=None, **kwargs):
                SENT["stateful"] += 1
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                case.validate_response(response, checks=CHECKS, headers=headers)

        Lifecycle.run(settings=hsettings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS,
                                         deadline=None, derandomize=True, database=None,
                                         suppress_health_check=list(HealthCheck)))
    assert not any(code >= 500 for code in statuses), statuses
    assert statuses.get(201, 0) and statuses.get(200, 0), str(sorted(statuses.items()))  # chains got past creation
    print(f"stateful: {SENT['stateful']} requests, statuses {dict(sorted(statuses.items()))}")


def test_fuzzing_sent_at_least_a_thousand_cases():
    """Runs after the two fuzz tests above (same module, file order): together ≥ 1,000 requests."""
    if not SENT["operations"] or not SENT["stateful"]:
        pytest.skip("run with the two fuzz tests of this module")
    print(f"fuzz cases: {SENT['operations']} per-operation + {SENT['stateful']} stateful")
    assert SENT["operations"] + SENT["stateful"] >= MIN_CASES, SENT
