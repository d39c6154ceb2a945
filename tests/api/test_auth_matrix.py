"""Every /v1 route × {no key, bad key, viewer, editor, admin} → the status CONTRACT.md requires.

The routes are read from the app itself (``app.routes``), so a route added later is covered
without touching this file — and a /v1 route without a role dependency fails the test.
"""
from __future__ import annotations

import re

from fastapi.routing import APIRoute

from api.ratelimit import FailureLimiter
from resourcemap.config import AuthLimits

from .conftest import ROLES

BAD_KEYS = {
    "garbage": "not-a-key",
    "well-formed but unknown": "rmk_0123456789ab_" + "A" * 43,
}


def _required_roles(route: APIRoute) -> set[str]:
    roles, stack = set(), [route.dependant]
    while stack:
        dep = stack.pop()
        role = getattr(dep.call, "required_role", None)
        if role:
            roles.add(role)
        stack.extend(dep.dependencies)
    return roles


def _policy(method: str, path: str) -> str:
    """CONTRACT.md: reads and /match need viewer; writes need editor; keys and audit need admin."""
    if path.startswith(("/v1/audit", "/v1/keys")):
        return "admin"
    if path.startswith("/v1/corrections"):
        return "editor"  # the queue of reports is editors' work
    if method == "GET" or (method, path) in {("POST", "/v1/match"), ("POST", "/v1/nodes/{node_id}/reports"),
                                                  ("POST", "/v1/unmet")}:  # recording unmet needs goes with /match
        return "viewer"
    return "editor"


def _routes(app) -> list[tuple[str, APIRoute]]:
    """(path, route) for every endpoint, also inside included routers (FastAPI ≥ 0.16x mounts them lazily)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        return [(r.path, r) for r in app.routes if isinstance(r, APIRoute)]
    return [(rc.path, rc.original_route) for rc in iter_route_contexts(app.routes)
            if isinstance(rc.original_route, APIRoute)]


def _v1_operations(app) -> list[tuple[str, str, str]]:
    ops = []
    for path, route in _routes(app):
        if path.startswith("/v1"):
            roles = _required_roles(route)
            assert len(roles) == 1, f"{path} must declare exactly one role dependency (Viewer/Editor/Admin), has {roles}"
            ops += [(method, path, next(iter(roles))) for method in sorted(route.methods - {"HEAD", "OPTIONS"})]
    return ops


def _call(client, method: str, path: str, headers: dict[str, str]):
    url = re.sub(r"\{[^}]+\}", "x", path)
    kwargs = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
    return client.request(method, url, headers=headers, **kwargs)


def test_every_route_follows_the_role_policy(api):
    ops = _v1_operations(api.client.app)
    assert len(ops) >= 20, "expected the catalogue routes to be mounted"
    wrong = [(m, p, r, _policy(m, p)) for m, p, r in ops if r != _policy(m, p)]
    assert not wrong, f"routes whose role breaks CONTRACT.md (method, path, declared, expected): {wrong}"


def test_auth_matrix(api, monkeypatch):
    # hundreds of failed checks from one test client: the failure limiter (tested in test_key_checks.py) would
    # answer 429 long before the matrix is done
    monkeypatch.setattr(api.client.app.state.services, "auth_limiter",
                        FailureLimiter(AuthLimits(per_key=100_000, per_client=100_000)))
    client = api.client
    rank = {r: i for i, r in enumerate(ROLES)}
    checked = 0
    for method, path, required in _v1_operations(client.app):
        r = _call(client, method, path, {})
        assert r.status_code == 401, (method, path, "no key", r.status_code)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.headers["content-type"].startswith("application/problem+json")
        for label, bad in BAD_KEYS.items():
            r = _call(client, method, path, {"Authorization": f"Bearer {bad}"})
            assert r.status_code == 401, (method, path, label, r.status_code)
            assert 'error="invalid_token"' in r.headers["www-authenticate"]
        for role in ROLES:
            r = _call(client, method, path, api.auth(role))
            if rank[role] < rank[required]:
                assert r.status_code == 403, (method, path, role, r.status_code, r.text[:200])
                assert r.json()["detail"], "403 must say which role is needed"
            else:
                assert r.status_code not in (401, 403), (method, path, role, r.status_code, r.text[:200])
                assert r.status_code < 500, (method, path, role, r.status_code, r.text[:300])
            checked += 1
    assert checked >= 60


def test_unknown_v1_path_and_bad_scheme_are_401(api):
    c = api.client
    assert c.get("/v1/no-such-route").status_code == 401
    assert c.get("/v1/nodes", headers={"Authorization": f"Basic {api.keys['admin']}"}).status_code == 401
    assert c.get("/v1/nodes", headers={"Authorization": "Bearer"}).status_code == 401
    assert c.get("/health").status_code == 200  # the one route without a key


def test_401_comes_before_body_parsing(api):
    r = api.client.post("/v1/nodes", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 401


def test_revoked_key_stops_working_at_once(api):
    c = api.client
    created = c.post("/v1/keys", json={"role": "editor", "name": "temp-editor"}, headers=api.auth("admin")).json()
    h = {"Authorization": f"Bearer {created['key']}"}
    assert c.get("/v1/nodes?limit=1", headers=h).status_code == 200  # now cached as verified
    assert c.delete(f"/v1/keys/{created['id']}", headers=api.auth("admin")).status_code == 200
    assert c.get("/v1/nodes?limit=1", headers=h).status_code == 401
    listed = {k["name"]: k for k in c.get("/v1/keys", headers=api.auth("admin")).json()}
    assert listed["temp-editor"]["active"] is False
    assert all("key" not in k for k in listed.values()), "the list must never show keys"


def test_actor_in_audit_is_the_key_name(api):
    c = api.client
    etag = c.get("/v1/nodes/fuchu.city", headers=api.auth("viewer")).headers["etag"]
    rev = c.get("/v1/audit?limit=1", headers=api.auth("admin")).json()["revision"]
    r = c.patch("/v1/nodes/fuchu.city", json={"phone": "042-364-0000"}, headers=api.auth("editor", **{"If-Match": etag}))
    assert r.status_code == 200
    items = c.get(f"/v1/audit?since={rev}", headers=api.auth("admin")).json()["items"]
    assert [(i["actor"], i["op"], i["entity_id"]) for i in items] == [("editor", "update", "fuchu.city")]
    assert items[0]["before"]["phone"] == "042-364-4111"  # the plan's 代表 number (奥付)
    assert items[0]["after"]["phone"] == "042-364-0000"
