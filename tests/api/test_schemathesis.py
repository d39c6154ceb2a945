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

EXAMPLES_PER_OPERATION = 12  # × ~30 operations ≈ 350 requests in all


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory, seeded_db):
    return copy_catalogue(seeded_db, tmp_path_factory.mktemp("schemathesis") / "catalogue.db")


@pytest.fixture(scope="module")
def admin_key(catalogue) -> str:
    return make_keys(catalogue, roles=("admin",))["admin"]


CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]


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
                    case.call_and_validate(headers=headers, checks=CHECKS)

                try:
                    fuzz()
                except Exception as exc:  # collect, so one run shows every failing operation
                    failures[op.label] = str(exc)[:1500]
    finally:
        store.close()
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
