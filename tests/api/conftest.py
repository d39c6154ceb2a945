"""Fixtures for the API tests: an app over a private seeded catalogue with one key per role,
and a real uvicorn server (``resourcemap serve``) on loopback."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROLES = ("viewer", "editor", "admin")


@dataclass
class ApiEnv:
    client: object  # a fastapi TestClient
    keys: dict[str, str]
    db: Path

    def auth(self, role: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}", **extra}


def make_keys(db: Path, roles=ROLES) -> dict[str, str]:
    from resourcemap.keys import KeyRing

    ring = KeyRing(db)
    try:
        return {role: ring.create(role, role)[0] for role in roles}
    finally:
        ring.close()


def build_app(db: Path, **settings):
    """The app over catalogue *db* (*settings*: other :class:`~resourcemap.config.Settings` fields)."""
    from api.app import create_app
    from resourcemap.config import Settings

    return create_app(Settings(store_url=f"sqlite:///{db}", aux_db=str(db), **settings))


@pytest.fixture
def api(seeded_copy) -> ApiEnv:
    """A TestClient over a writable copy of the seeded catalogue; keys named viewer/editor/admin."""
    from fastapi.testclient import TestClient

    keys = make_keys(seeded_copy)
    with TestClient(build_app(seeded_copy)) as client:
        yield ApiEnv(client=client, keys=keys, db=seeded_copy)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    proc: subprocess.Popen
    lines: list[str]  # what `serve` printed on stdout (the first-start key), collected by a thread

    @property
    def stdout(self) -> str:
        return "".join(self.lines)


def start_server(db: Path | str, *, timeout: float = 60.0, workers: int = 1,
                 environ: dict[str, str] | None = None, stderr: Path | None = None) -> LiveServer:
    """``resourcemap --db DB serve [--workers N]`` on a free loopback port; returns once /health answers.

    *db* is a catalogue file or a store URL; *environ* adds environment variables (e.g. the
    auxiliary file of a Bolt store, ``RESOURCEMAP_DB``); *stderr* keeps the server's log in a file."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("RESOURCEMAP_STORE", None)
    env.update(environ or {})
    proc = subprocess.Popen([sys.executable, "-m", "resourcemap", "--db", str(db), "serve", "--port", str(port),
                             "--workers", str(workers)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if stderr is None else stderr.open("wb"),
                            text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {''.join(lines)}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("server did not start")
    return LiveServer(url=url, proc=proc, lines=lines)


def first_admin_key(stdout: str) -> str:
    """The admin key `serve` printed on its first start."""
    m = re.search(r"rmk_[0-9a-f]{12}_[A-Za-z0-9_-]+", stdout)
    assert m, f"serve did not print the first admin key: {stdout!r}"
    return m.group(0)


def stop_server(server: LiveServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture
def live_server(seeded_copy):
    """A real uvicorn server over a fresh copy of the seeded catalogue (first start: admin key printed)."""
    server = start_server(seeded_copy)
    try:
        yield server
    finally:
        stop_server(server)
