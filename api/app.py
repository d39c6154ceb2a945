"""The FastAPI application factory.

Why a factory: tests and ``resourcemap serve`` build apps over different stores; nothing
opens a database or reads settings at import time. The services are opened when the app
starts (:class:`api.state.AppState`), and every router is listed here, in order — no router
or hook is found by name at run time.
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import APIRouter, FastAPI

from resourcemap import __version__
from resourcemap.config import Settings, load
from resourcemap.taxonomy import load_taxonomy

from . import auth, openapi, problems, web
from .responses import JSONResponse
from .routes import (
    audit,
    corrections,
    edges,
    gaps,
    hsds,
    io,
    keys,
    match,
    meta,
    network,
    nodes,
    opendata,
    pages,
    resource,
    search,
)
from .state import AppState

log = logging.getLogger("resourcemap.api")

#: Every router of the app, in the order their routes are matched and documented.
ROUTERS: tuple[APIRouter, ...] = (meta.router, nodes.router, corrections.router, edges.router, match.router,
                                  gaps.router, network.router, audit.router, io.router, opendata.router, keys.router,
                                  pages.router, search.router, resource.router, hsds.router)


def create_app(settings: Settings | None = None, *, state: AppState | None = None) -> FastAPI:
    """Build the app over *settings* (default: :func:`resourcemap.config.load`), or over an open *state*."""
    settings = settings or (state.settings if state else load())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = None
        if app.state.services is None:  # a lifespan inside another (a test's ASGI client) finds them open
            app.state.services = opened = AppState.open(settings)
        load_taxonomy()  # parsed once per process: at start-up, not in the first request that resolves a need
        yield
        if opened is not None:  # close only what this lifespan opened
            opened.close()
            app.state.services = None

    app = FastAPI(title="resourcemap API", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  default_response_class=JSONResponse,
                  description="社会資源・支援機関のグラフ地図 — resource graph for 重層的支援体制整備事業. "
                              "All /v1 routes need `Authorization: Bearer <key>`.")
    app.state.services = state
    problems.install(app)
    openapi.install(app)
    for router in ROUTERS:
        app.include_router(router)
    hsds.install(app)  # CORS for the public HSDS directory
    auth.install(app)  # the guard (401/413 before any route runs) and the error responses in OpenAPI
    web.install(app)   # security headers on every response, CSRF refusals, the pages' static files (/docs too)
    return app
