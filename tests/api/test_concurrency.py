"""Optimistic concurrency through a real server: threads PATCH one node with If-Match.

Each thread appends its own token to the node's description (read-modify-write, the update
that loses data without version checks). Every accepted change must be in the final state
and in the audit log with its thread's key name; every refused one must be a 412.
"""
from __future__ import annotations

import threading

import httpx

from .conftest import first_admin_key

THREADS = 6
WINS_PER_THREAD = 4


def test_parallel_patches_lose_no_update(live_server):
    base = live_server.url
    admin = {"Authorization": f"Bearer {first_admin_key(live_server.stdout)}"}
    keys = [httpx.post(f"{base}/v1/keys", json={"role": "editor", "name": f"editor-{i}"}, headers=admin).json()["key"]
            for i in range(THREADS)]
    node = httpx.get(f"{base}/v1/nodes", params={"kind": "agency", "city": "13206", "limit": 1},
                     headers=admin).json()["items"][0]["id"]
    start_rev = httpx.get(f"{base}/v1/audit?limit=1", headers=admin).json()["revision"]
    barrier = threading.Barrier(THREADS)
    accepted: list[tuple[int, str, str]] = []  # (version, token, key name)
    statuses: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            _work(i)
        except BaseException as exc:  # surfaced below: an assertion in a thread must fail the test
            failures.append(exc)
            barrier.abort()

    def _work(i: int) -> None:
        h = {"Authorization": f"Bearer {keys[i]}"}
        with httpx.Client(base_url=base, headers=h, timeout=30) as c:
            wins, first = 0, True
            while wins < WINS_PER_THREAD:
                got = c.get(f"/v1/nodes/{node}")
                assert got.status_code == 200
                if first:  # everyone read the same version, then everyone writes: guaranteed conflicts
                    barrier.wait()
                    first = False
                token = f"[t{i}w{wins}]"
                r = c.patch(f"/v1/nodes/{node}", json={"description": (got.json()["description"] or "") + token},
                            headers={"If-Match": got.headers["etag"]})
                with lock:
                    statuses.append(r.status_code)
                if r.status_code == 200:
                    with lock:
                        accepted.append((r.json()["version"], token, f"editor-{i}"))
                    wins += 1
                else:
                    assert r.status_code == 412, r.text
                    assert r.json()["current_version"] > int(got.headers["etag"].strip('"'))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[0]

    total = THREADS * WINS_PER_THREAD
    assert len(accepted) == total
    assert statuses.count(412) >= THREADS - 1, "the barrier round must have produced conflicts"
    assert statuses.count(200) + statuses.count(412) == len(statuses)
    final = httpx.get(f"{base}/v1/nodes/{node}", headers=admin).json()
    for _, token, _ in accepted:
        assert final["description"].count(token) == 1, f"lost update {token}"
    in_order = "".join(tok for _, tok, _ in sorted(accepted))
    assert final["description"].endswith(in_order)
    versions = sorted(v for v, _, _ in accepted)
    assert versions == list(range(versions[0], versions[0] + total)), "versions must be consecutive"
    assert final["version"] == versions[-1]

    log = httpx.get(f"{base}/v1/audit", params={"since": start_rev, "entity_id": node, "limit": 1000},
                    headers=admin).json()["items"]
    updates = {c["after"]["version"]: c for c in log if c["op"] == "update"}
    assert len(updates) == total
    for version, token, actor in accepted:
        change = updates[version]
        assert change["actor"] == actor
        assert change["after"]["description"].endswith(token)
        assert change["before"]["version"] == version - 1
