"""Fixtures for the API tests: an app over a private seeded catalogue with one key per role,
and a real uvicorn server (``resourcemap serve``) on loopback."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

#: Every logger at DEBUG with uvicorn's access log, into one file: what a privacy test reads back.
LOG_CONFIG = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"file": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "root": {"level": "DEBUG", "handlers": ["file"]},
    "loggers": {"uvicorn": {"level": "DEBUG"}, "uvicorn.access": {"level": "DEBUG"}},
}

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


#: The password every test person gets (long enough for the rule of resourcemap.people).
PASSWORD = "correct horse battery staple"


def make_people(db: Path, roles=ROLES, *, prefix: str = "") -> dict[str, str]:
    """One person per role (named 閲覧太郎 / 編集花子 / 管理次郎 with *prefix*); returns role → name."""
    from resourcemap.auxdb import AuxDB
    from resourcemap.people import People

    names = {"viewer": "閲覧太郎", "editor": "編集花子", "admin": "管理次郎"}
    aux = AuxDB(db)
    try:
        people = People(aux)
        return {role: people.create(prefix + names[role], role, PASSWORD).name for role in roles}
    finally:
        aux.close()


def form_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    m = re.search(r'name="csrf" value="([^"]*)"', html)
    assert m, "the page has no form with a CSRF token"
    return m.group(1)


def sign_in(client, name: str, password: str = PASSWORD):
    """Sign in through the sign-in page as a browser does (its token and cookie); returns the POST's response."""
    token = form_token(client.get("/").text)
    return client.post("/login", data={"name": name, "password": password, "csrf": token}, follow_redirects=False)


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
                 env: dict[str, str] | None = None, stderr: Path | None = None) -> LiveServer:
    """``resourcemap --db DB serve [--workers N]`` on a free loopback port; returns once /health answers.

    *db* is a catalogue file or a store URL; *env* adds environment variables (e.g. the auxiliary
    file of a Bolt store, ``RESOURCEMAP_DB``); *stderr* keeps the server's log in a file."""
    port = free_port()
    extra = env or {}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("RESOURCEMAP_STORE", None)
    env.update(extra)
    proc = subprocess.Popen([sys.executable, "-m", "resourcemap", "--db", str(db), "serve", "--port", str(port),
                             "--workers", str(workers)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if stderr is None else stderr.open("wb"),
                            text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    wait_for_health(proc, url, timeout, lambda: "".join(lines))
    return LiveServer(url=url, proc=proc, lines=lines)


def wait_for_health(proc: subprocess.Popen, url: str, timeout: float, output: Callable[[], str]) -> None:
    """Poll *url*/health until it answers 200; fail with the server's *output* if it exits or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {output()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the server did not answer /health within {timeout:g} s: {output()}")


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


@contextmanager
def logged_server(db: Path, folder: Path):
    """``uvicorn api.app:create_app --factory`` over catalogue *db* with the access log on and every logger at
    DEBUG written to ``folder/server.log``; yields (base url, log path)."""
    log_cfg = folder / "logging.json"
    log_cfg.write_text(json.dumps(LOG_CONFIG))
    log_path = folder / "server.log"
    port = free_port()
    env = {**os.environ, "RESOURCEMAP_STORE": f"sqlite:///{db}", "PYTHONUNBUFFERED": "1"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
                                 "127.0.0.1", "--port", str(port), "--log-config", str(log_cfg), "--access-log"],
                                stdout=log, stderr=subprocess.STDOUT, env=env,
                                cwd=Path(__file__).resolve().parents[2])
    url = f"http://127.0.0.1:{port}"
    wait_for_health(proc, url, 60, log_path.read_text)
    try:
        yield url, log_path
    finally:
        stop_server(LiveServer(url=url, proc=proc, lines=[]))
