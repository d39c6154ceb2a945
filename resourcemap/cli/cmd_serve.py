"""``resourcemap serve``: the HTTP API and pages (uvicorn).

The app is built here with this command's settings (``--db`` > environment > defaults). With
``--workers N`` uvicorn must import the app in each worker process, so the command hands the
same settings to the workers through *their* environment (``os.execve``), never by writing
its own.
"""
from __future__ import annotations

import os
import sys


def register(sub, common) -> None:
    p = sub.add_parser("serve", parents=[common], help="serve the API on HOST:PORT")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="worker processes (each keeps its own read model)")
    p.set_defaults(func=run)


def run(ctx) -> int:
    import uvicorn

    a = ctx.args
    _first_admin_key(ctx.settings.aux_db)
    if a.workers > 1:
        argv = [sys.executable, "-m", "resourcemap.cli.cmd_serve", a.host, str(a.port), str(a.workers)]
        os.execve(sys.executable, argv, ctx.settings.child_environment())
    from api.app import create_app

    uvicorn.run(create_app(ctx.settings), host=a.host, port=a.port, log_level="info", access_log=False)
    return 0


def _first_admin_key(aux_db: str) -> None:
    """On the very first start, create an admin key and print it once (like a notebook token).

    Printed to stdout, never logged; later starts print nothing (see KeyRing.create_first_admin).
    """
    from ..keys import KeyRing

    ring = KeyRing(aux_db)
    try:
        key = ring.create_first_admin()
    finally:
        ring.close()
    if key:
        bar = "=" * 78
        print(f"{bar}\n初回起動: 管理者 (admin) の API キーを作成しました。この表示は一度だけです。安全に保管してください。\n"
              f"First start: an admin API key was created. It is shown only this once:\n\n    {key}\n\n"
              f"使い方 / use: Authorization: Bearer <key>   (more keys: resourcemap keys create --role editor)\n{bar}",
              flush=True)


def serve_workers(host: str, port: int, workers: int) -> None:
    """uvicorn's multi-process supervisor (what ``uvicorn --workers`` runs) over a listener with TCP_NODELAY.

    Why not ``uvicorn --workers`` itself: it binds the socket without naming the protocol, so asyncio
    does not set TCP_NODELAY on the connections the workers accept (it checks the socket's protocol
    number), and every keep-alive answer written in two parts waited for the client's delayed ACK —
    40–50 ms a request (``docs/benchmarks.md``, API). Linux gives an accepted connection the
    listener's TCP_NODELAY. Each worker builds the app from the settings in its environment.
    """
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                            log_level="info", access_log=False)
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


if __name__ == "__main__":  # `serve --workers N` replaces itself with this (settings in the environment)
    serve_workers(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
