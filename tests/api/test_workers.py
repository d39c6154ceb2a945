"""``resourcemap serve --workers 2``: a write through one worker is read through the other within 1 s.

Each worker process holds its own read model; it follows the store's change log (a worker's own
writes through the store's listeners, everybody else's through ``ReadModel.refresh`` before a
read). The test pins two keep-alive connections to two *different* workers — it asks the
operating system which worker process holds the server end of each connection — then changes an
area's name through one and polls ``GET /v1/cities`` (served from the read model) through the
other until it shows the new name, with a deadline of 1 s. Both directions, on SQLite and on the
Bolt server the suite starts on loopback.
"""
from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from .conftest import make_keys, start_server, stop_server

VISIBLE_WITHIN_S = 1.0


class Pinned:
    """One keep-alive HTTP connection and the pid of the worker process that serves it."""

    def __init__(self, port: int, key: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.worker = 0

    def call(self, method: str, path: str, body: dict | None = None, **headers: str) -> tuple[int, dict, dict]:
        self.conn.request(method, path, body=None if body is None else json.dumps(body),
                          headers={**self.headers, **headers})
        resp = self.conn.getresponse()
        return resp.status, dict(resp.getheaders()), json.loads(resp.read() or b"null")

    def close(self) -> None:
        self.conn.close()


def _owner(server_pid: int, client_port: int) -> int:
    """The pid of the process (the server or one of its workers) holding the server end of a connection."""
    root = psutil.Process(server_pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            conns = proc.net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        if any(c.raddr and c.raddr.port == client_port and c.status == psutil.CONN_ESTABLISHED for c in conns):
            return proc.pid
    return 0


def _two_workers(server, key: str, deadline_s: float = 60.0) -> tuple[Pinned, Pinned]:
    """Open connections until two of them are served by two different worker processes."""
    port = int(server.url.rsplit(":", 1)[1])
    by_worker: dict[int, Pinned] = {}
    spare: list[Pinned] = []
    deadline = time.monotonic() + deadline_s
    while len(by_worker) < 2 and time.monotonic() < deadline:
        c = Pinned(port, key)
        status, _, _ = c.call("GET", "/health")
        assert status == 200
        c.worker = _owner(server.proc.pid, c.conn.sock.getsockname()[1])
        if c.worker and c.worker not in by_worker:
            by_worker[c.worker] = c
        else:
            spare.append(c)
    for c in spare:
        c.close()
    assert len(by_worker) == 2, "two connections were never served by two different workers"
    a, b = by_worker.values()
    return a, b


def _shown_area(reader: Pinned) -> tuple[str, str]:
    status, _, cities = reader.call("GET", "/v1/cities")
    assert status == 200, cities
    area = next(a for c in cities for a in c["areas"])
    return area["id"], area["name"]


def _area_names(reader: Pinned) -> dict[str, str]:
    status, _, cities = reader.call("GET", "/v1/cities")
    assert status == 200, cities
    return {a["id"]: a["name"] for c in cities for a in c["areas"]}


def _write_then_read(writer: Pinned, reader: Pinned, area_id: str, name: str) -> float:
    """Rename *area_id* through *writer*; seconds until *reader* shows the new name (fails after 1 s)."""
    status, headers, node = writer.call("GET", f"/v1/nodes/{area_id}")
    assert status == 200, node
    status, _, node = writer.call("PATCH", f"/v1/nodes/{area_id}", {"name": name}, **{"If-Match": headers["etag"]})
    assert status == 200 and node["name"] == name, node
    written = time.monotonic()
    while True:
        if _area_names(reader).get(area_id) == name:
            return time.monotonic() - written
        assert time.monotonic() - written < VISIBLE_WITHIN_S, (
            f"worker {reader.worker} did not show the write of worker {writer.worker} within {VISIBLE_WITHIN_S} s")


def _check_both_directions(store: str, aux_db: Path, environ: dict[str, str] | None = None) -> None:
    keys = make_keys(aux_db, roles=("editor",))
    server = start_server(store, workers=2, env=environ, timeout=120)
    pinned: list[Pinned] = []
    try:
        a, b = _two_workers(server, keys["editor"])
        pinned = [a, b]
        assert a.worker != b.worker and server.proc.pid not in (a.worker, b.worker)
        area_id, name = _shown_area(b)
        assert _write_then_read(a, b, area_id, name + "（A経由）") < VISIBLE_WITHIN_S
        assert _write_then_read(b, a, area_id, name + "（B経由）") < VISIBLE_WITHIN_S
        status, _, node = b.call("GET", f"/v1/nodes/{area_id}")
        assert status == 200 and node["version"] == 3  # both writes are in the store, one after the other
    finally:
        for c in pinned:
            c.close()
        stop_server(server)


def _catalogue(store) -> None:
    """The seeded municipalities and their areas (``init --seed none``), written into *store*."""
    from resourcemap.catalogue import build_catalogue

    build_catalogue(store, "none")


def test_two_workers_on_sqlite_see_each_others_writes(tmp_path):
    from resourcemap.graph.stores.sqlite import SQLiteStore

    db = tmp_path / "catalogue.db"
    store = SQLiteStore(db)
    try:
        _catalogue(store)
    finally:
        store.close()
    _check_both_directions(str(db), db)


@contextmanager
def _bolt_catalogue(request) -> Iterator[str]:
    from resourcemap.graph.stores.bolt import BoltStore
    from tests.contract.bolt_server import bolt_url, wipe

    url = bolt_url(request)
    wipe()
    store = BoltStore(url)
    try:
        _catalogue(store)
    finally:
        store.close()
    try:
        yield url
    finally:
        wipe()


@pytest.mark.bolt
def test_two_workers_on_bolt_see_each_others_writes(request, tmp_path):
    aux = tmp_path / "aux.db"
    with _bolt_catalogue(request) as url:
        _check_both_directions(url, aux, {"RESOURCEMAP_DB": str(aux)})
