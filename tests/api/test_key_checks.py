"""Key checks that cannot be used to tire the server (issue 15, item 4).

Regression cases: a known key id with a wrong secret cost one scrypt while an unknown id cost
nothing (telling which ids exist), and there was no limit on failed checks. Now both cost one
scrypt (counted, not timed: speed is in bench/auth.py), failed checks are limited per client and
key id with 429 + Retry-After, the owner of a key keeps working while someone hammers its id,
and the limiter's and the cache's memory stay bounded.
"""
from __future__ import annotations

import pytest

from api.ratelimit import FailureLimiter
from resourcemap import keys as keys_mod
from resourcemap.config import AuthLimits
from resourcemap.keys import KeyRing


@pytest.fixture
def scrypt_calls(monkeypatch):
    calls: list[bytes] = []
    real = keys_mod.hashlib.scrypt

    def counted(password, **kw):
        calls.append(kw["salt"])
        return real(password, **kw)

    monkeypatch.setattr(keys_mod.hashlib, "scrypt", counted)
    return calls


def test_unknown_and_known_ids_cost_the_same(tmp_path, scrypt_calls):
    ring = KeyRing(tmp_path / "aux.db")
    key, info = ring.create("viewer", "v")
    revoked, rinfo = ring.create("viewer", "r")
    ring.revoke(rinfo.id)
    scrypt_calls.clear()
    secret = "A" * 43
    assert ring.verify(f"rmk_{info.id}_{secret}") is None          # known id, wrong secret
    assert ring.verify(f"rmk_0123456789ab_{secret}") is None        # unknown id
    assert ring.verify(revoked) is None                             # revoked
    assert len(scrypt_calls) == 3 and len({len(s) for s in scrypt_calls}) == 1  # one hash each, same salt size
    assert ring.verify(key) == ring.get(info.id)
    ring.close()


def test_the_verified_key_cache_is_a_bounded_lru(tmp_path, monkeypatch):
    monkeypatch.setattr(keys_mod, "_CACHE_MAX", 3)
    ring = KeyRing(tmp_path / "aux.db")
    made = [ring.create("viewer", f"k{i}")[0] for i in range(5)]
    for k in made:
        assert ring.verify(k) is not None
    assert ring.cache_size() == 3
    assert ring.lookup_cached(made[0]) is False and ring.lookup_cached(made[-1])  # the oldest went first
    ring.close()


def test_limiter_buckets_drain_and_memory_is_bounded():
    now = [0.0]
    lim = FailureLimiter(AuthLimits(per_key=3, per_client=5, window_s=60, max_entries=50), clock=lambda: now[0])
    for _ in range(3):
        assert lim.retry_after("1.2.3.4", "aaaaaaaaaaaa") == 0
        lim.failed("1.2.3.4", "aaaaaaaaaaaa")
    assert lim.retry_after("1.2.3.4", "aaaaaaaaaaaa") == 20  # one failure drains every 60/3 s
    assert lim.retry_after("1.2.3.4", "bbbbbbbbbbbb") == 0   # another id from the same client: 2 left
    assert lim.retry_after("5.6.7.8", "aaaaaaaaaaaa") == 0   # another client: not affected
    now[0] = 20.0
    assert lim.retry_after("1.2.3.4", "aaaaaaaaaaaa") == 0
    for i in range(500):
        lim.failed(f"10.0.{i // 256}.{i % 256}", f"{i:012x}")
    assert lim.sizes() == (50, 50)


def test_hammering_an_id_gets_429_and_the_owner_keeps_working(api, monkeypatch):
    # the app's limiter with a clock that stands still: its buckets do not drain however slowly the scrypt
    # checks below run on a busy machine (the draining is tested above)
    monkeypatch.setattr(api.client.app.state.services, "auth_limiter", FailureLimiter(AuthLimits(), clock=lambda: 0.0))
    c = api.client
    owner = api.keys["editor"]
    assert c.get("/v1/nodes?limit=1", headers=api.auth("editor")).status_code == 200  # the owner's key, verified
    kid = owner.split("_")[1]
    wrong = {"Authorization": f"Bearer rmk_{kid}_{'B' * 43}"}
    statuses = [c.get("/v1/nodes?limit=1", headers=wrong).status_code for _ in range(8)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    r = c.get("/v1/nodes?limit=1", headers=wrong)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert r.headers["content-type"].startswith("application/problem+json") and "秒後" in r.json()["detail"]
    assert c.get("/v1/nodes?limit=1", headers=api.auth("editor")).status_code == 200  # same client, still works
    # spraying other ids from the same client stops too (per-client bucket: 30 a minute)
    sprayed = [c.get("/v1/nodes", headers={"Authorization": f"Bearer rmk_{i:012x}_{'C' * 43}"}).status_code
               for i in range(40)]
    assert 429 in sprayed and sprayed.count(401) <= 30  # 30 failures per client, in all
    # a key not verified before, from another address, is checked as usual; from the attacker's
    # address it waits like the attacker (the limiter cannot tell it from a guess without hashing)
    from fastapi.testclient import TestClient

    other = TestClient(c.app, client=("192.0.2.7", 40000))
    assert other.get("/v1/nodes?limit=1", headers=api.auth("viewer")).status_code == 200
    assert c.get("/v1/nodes?limit=1", headers=api.auth("admin")).status_code == 429
    assert c.get("/v1/nodes?limit=1", headers=api.auth("viewer")).status_code == 200  # now cached: passes


def test_the_pages_sign_in_through_the_same_check_and_limiter(api, monkeypatch):
    """``/login`` goes through api.auth like a key does (:func:`api.auth.check_person` beside
    ``check_key``): wrong passwords count against the one limiter, per name and per client, so a client
    that used up its failures at one door is refused at the other; a key signs nobody in to the pages
    (issue 11: the cookie holds a session id, never a key), and a wrong session cookie is no session."""
    from tests.api.conftest import make_people, sign_in

    limits = AuthLimits(per_key=5, per_client=8)
    monkeypatch.setattr(api.client.app.state.services, "auth_limiter", FailureLimiter(limits, clock=lambda: 0.0))
    c = api.client
    people = make_people(api.db, roles=("viewer",))
    name = people["viewer"]
    assert c.get("/v1/nodes?limit=1", headers=api.auth("viewer")).status_code == 200  # verified: now cached
    statuses = [sign_in(c, name, f"wrong password {i}").status_code for i in range(7)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    r = sign_in(c, name)  # even the right password waits, from this address
    assert r.status_code == 429 and "秒後" in r.text
    # 8 failures per client in all: other names use up the rest, then the API refuses this client's new keys
    for i in range(3):
        sign_in(c, f"誰か{i}", "wrong password")
    kid = api.keys["editor"].split("_")[1]
    assert c.get("/v1/nodes?limit=1", headers={"Authorization": f"Bearer rmk_{kid}_{'E' * 43}"}).status_code == 429
    assert c.get("/v1/nodes?limit=1", headers=api.auth("viewer")).status_code == 200  # cached: the owner goes on
    # a key is not a password: the sign-in form takes a name and password, and a key cookie means nothing
    c.cookies.set("rm_key", api.keys["viewer"])
    assert c.get("/pages/府中市/network", follow_redirects=False).status_code == 303
    c.cookies.set("rm_session", "not-a-session")
    assert c.get("/pages/府中市/network", follow_redirects=False).status_code == 303
