"""API keys: the CLI, salted hashes only, verification, and keys never in logs."""
from __future__ import annotations

import json
import logging
import sqlite3

import httpx
import pytest

from resourcemap.cli import main
from resourcemap.errors import InputError
from resourcemap.keys import KeyRing

from .conftest import first_admin_key, start_server, stop_server


def test_cli_create_list_revoke(tmp_path, capsys):
    db = tmp_path / "c.db"
    assert main(["--db", str(db), "--json", "keys", "create", "--role", "editor", "--name", "chiiki-fukushi"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["role"] == "editor" and made["name"] == "chiiki-fukushi" and made["key"].startswith("rmk_")
    assert main(["--db", str(db), "--json", "keys", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(k["name"], k["role"], k["active"]) for k in listed] == [("chiiki-fukushi", "editor", True)]
    assert made["key"] not in json.dumps(listed)
    assert main(["--db", str(db), "keys", "revoke", "chiiki-fukushi"]) == 0
    capsys.readouterr()
    ring = KeyRing(db)
    assert ring.verify(made["key"]) is None
    ring.close()
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(db), "keys", "create", "--role", "boss"])
    assert exit_info.value.code == 2
    assert main(["--db", str(db), "keys", "revoke", "no-such-key"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2


def test_only_a_salted_hash_is_stored(tmp_path):
    ring = KeyRing(tmp_path / "c.db")
    k1, info1 = ring.create("viewer")
    k2, _ = ring.create("viewer")
    ring.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("c.db*"))
    for key in (k1, k2):
        assert key.split("_", 2)[2].encode() not in raw
    conn = sqlite3.connect(tmp_path / "c.db")
    rows = conn.execute("SELECT salt, hash FROM api_keys").fetchall()
    conn.close()
    assert len({r[0] for r in rows}) == 2, "each key has its own salt"
    assert info1.name == f"viewer-{info1.id}"


def test_verify_rejects_near_misses(tmp_path):
    ring = KeyRing(tmp_path / "c.db")
    key, info = ring.create("admin", "root")
    assert ring.verify(key).name == "root"
    assert ring.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert ring.verify(key.replace(info.id, "0" * 12)) is None
    assert ring.verify("") is None and ring.verify("rmk_") is None
    with pytest.raises(InputError):
        ring.create("viewer", "root")  # names are unique: they identify actors in the audit log
    ring.close()


def test_keys_never_appear_in_logs(api, caplog):
    caplog.set_level(logging.DEBUG)
    c = api.client
    c.get("/v1/nodes?limit=1", headers=api.auth("viewer"))
    c.post("/v1/nodes", json={"name": "x"}, headers=api.auth("viewer"))  # 403
    c.post("/v1/nodes", json={"kind": "nope"}, headers=api.auth("editor"))  # 422
    c.get("/v1/nodes", headers={"Authorization": "Bearer rmk_0123456789ab_" + "Z" * 43})  # 401
    created = c.post("/v1/keys", json={"role": "viewer"}, headers=api.auth("admin")).json()["key"]
    text = caplog.text
    for key in [*api.keys.values(), created, "Z" * 43]:
        assert key not in text


def test_first_start_prints_admin_key_once(seeded_copy):
    first = start_server(seeded_copy)
    try:
        key = first_admin_key(first.stdout)
        r = httpx.get(f"{first.url}/v1/keys", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200 and [k["role"] for k in r.json()] == ["admin"]
    finally:
        stop_server(first)
    second = start_server(seeded_copy)
    try:
        assert "rmk_" not in second.stdout, "the admin key must be printed on the first start only"
    finally:
        stop_server(second)
    assert key.encode() not in seeded_copy.read_bytes(), "only a hash of the key may be stored"
