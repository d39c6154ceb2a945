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
    uvicorn.run("api.app:create_app", factory=True, host=ctx.args.host, port=ctx.args.port,
                workers=ctx.args.workers, log_level="info", access_log=False)
    return 0
