"""The FastAPI application factory.

Why a factory: tests and ``resourcemap serve`` build apps over different stores; nothing
opens a database or reads settings at import time.
"""
from __future__ import annotations

import importlib
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI

from resourcemap import __version__

from . import problems
from .deps import AppState
from .settings import Settings

log = logging.getLogger("resourcemap.api")

#: Route modules (``api/routes/<name>.py`` exposing ``router``); missing ones are skipped.
ROUTERS = ["meta", "nodes", "edges", "match", "gaps", "network", "audit", "io", "keys", "pages", "hsds"]


def _open_state(settings: Settings) -> AppState:
    from resourcemap.graph.readmodel import ReadModel
    from resourcemap.graph.stores import open_store

    store = open_store(settings.store_url)
    return AppState(settings=settings, store=store, readmodel=ReadModel(store), extras={})


def create_app(settings: Settings | None = None, *, state: AppState | None = None) -> FastAPI:
    """Build the app. Pass ``state`` to serve an already-open store (tests)."""
    settings = settings or (state.settings if state else Settings.from_env())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "rm", None) is None:
            app.state.rm = _open_state(settings)
        for hook in getattr(app.state, "startup_hooks", []):
            hook(app.state.rm)
        yield
        if state is None:
            app.state.rm.readmodel.close()
            app.state.rm.store.close()

    app = FastAPI(title="resourcemap API", version=__version__, lifespan=lifespan,
                  description="社会資源・支援機関のグラフ地図 — resource graph for 重層的支援体制整備事業. "
                              "All /v1 routes need `Authorization: Bearer <key>`.")
    app.state.rm = state
    app.state.startup_hooks = []
    problems.install(app)
    for name in ROUTERS:
        try:
            mod = importlib.import_module(f".routes.{name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"routes.{name}"):
                continue
            raise
        app.include_router(mod.router)
        setup = getattr(mod, "setup", None)
        if setup is not None:
            setup(app)
    return app
