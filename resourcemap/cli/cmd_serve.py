"""``resourcemap serve``: the HTTP API and pages (uvicorn)."""
from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser("serve", parents=[common], help="serve the API on HOST:PORT")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=run)


def run(ctx) -> int:
    import os

    import uvicorn

    os.environ["RESOURCEMAP_STORE"] = ctx.store_url()
    _first_admin_key(ctx.store_url())
    uvicorn.run("api.app:create_app", factory=True, host=ctx.args.host, port=ctx.args.port,
                workers=ctx.args.workers, log_level="info", access_log=False)
    return 0


def _first_admin_key(store_url: str) -> None:
    """On the very first start, create an admin key and print it once (like a notebook token).

    Printed to stdout, never logged; later starts print nothing (see KeyRing.create_first_admin).
    """
    from ..keys import KeyRing, aux_path

    ring = KeyRing(aux_path(store_url))
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
