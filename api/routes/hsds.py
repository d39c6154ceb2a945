"""The Open Referral HSDS 3.0 API at ``/hsds/``: the public directory any HSDS client can read.

Every endpoint of the specification's API document (``/``, ``/services``, ``/services/{id}``,
``/organizations``, ``/organizations/{id}``, ``/service_at_locations``,
``/service_at_locations/{id}``, ``/taxonomies``, ``/taxonomies/{id}``, ``/taxonomy_terms``,
``/taxonomy_terms/{id}``) with its parameters, plus the document itself and the Japanese profile.
Handlers only read parameters and pick the variant: what is public, the filters and the objects
live in :mod:`resourcemap.hsds`.

Public by default: no key, and any web origin may read the answers (:class:`PublicCORS`). With
``RESOURCEMAP_HSDS_PUBLIC=0`` (``Settings.hsds_public``) every ``/hsds`` path needs a key of any
role — the guard of :mod:`api.auth` answers 401 first.
These routes are described by the HSDS document at ``/hsds/openapi.json``, not by the app's own
``/openapi.json``.
"""
from __future__ import annotations

import json
from typing import Annotated, Any, Callable, Iterable

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resourcemap import __version__
from resourcemap.errors import InputError, NotFound
from resourcemap.hsds.directory import PublicDirectory, ServiceFilter
from resourcemap.hsds.mapping import PROFILE_FIELDS, TAXONOMIES
from resourcemap.hsds.params import paging, parse_format, parse_modified_after, parse_proximity, place_of
from resourcemap.hsds.spec import HSDS_VERSION, served_openapi
from resourcemap.opendata.listing import dataset_dates

from ..auth import authenticate, under
from ..deps import ReadModelDep, StateDep

__all__ = ["router", "install", "PublicCORS"]


def _gate(request: Request, state: StateDep) -> None:
    """Nothing when the directory is public (the default); else the caller needs a key (any role)."""
    if not state.settings.hsds_public:
        authenticate(request, state, "viewer")


PREFIX = "/hsds"
router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(_gate)])


class PublicCORS:
    """ASGI middleware: ``Access-Control-Allow-Origin: *`` on every /hsds answer while the directory is public.

    Why: "a public page or app should be able to show the public services" — a page on another
    origin reads them with ``fetch`` only if the answer says any origin may (GET, no credentials,
    so no preflight). A key-only directory sends no such header.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not under(scope["path"], PREFIX) \
                or not scope["app"].state.services.settings.hsds_public:
            await self.app(scope, receive, send)
            return

        async def send_open(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"access-control-allow-origin", b"*")]}
            await send(message)

        await self.app(scope, receive, send_open)


def install(app: FastAPI) -> None:
    """Add :class:`PublicCORS` (called by :func:`api.app.create_app`)."""
    app.add_middleware(PublicCORS)


def _directory(state: StateDep, rm: ReadModelDep) -> PublicDirectory:
    """The directory of the read model's current revision, built once per revision (``state.hsds_directory``);
    the store's soft-deleted edges count as changes of the services they linked (``modified_after``), and
    the import log dates the open data's credit lines."""
    def build() -> PublicDirectory:
        return PublicDirectory(rm, [e for e in state.store.query_edges(include_deleted=True) if e.deleted],
                               dataset_dates(state.opendata))
    return state.hsds_directory.get(rm.revision, "public", build)


Directory = Annotated[PublicDirectory, Depends(_directory)]
Text = Annotated[str | None, Query()]
Flag = Annotated[bool, Query()]
Number = Annotated[int | None, Query()]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _page(items: list[Any], render: Callable[[Any], dict[str, Any]], page: int | None, per_page: int | None,
          fmt: str | None, *, everything: bool = False) -> Response:
    """One page of *items* (rendered) in the specification's ``Page`` wrapper, or all as NDJSON."""
    if parse_format(fmt) == "ndjson":
        lines: Iterable[str] = (json.dumps(render(i), ensure_ascii=False) + "\n" for i in items)
        return StreamingResponse(lines, media_type="application/x-ndjson")
    chunk, meta = paging(page, per_page, everything=everything).cut(items)
    return JSONResponse({**meta, "contents": [render(i) for i in chunk]})


def _service_filter(search: Text = None, taxonomy_term_id: Text = None, taxonomy_id: Text = None,
                    organization_id: Text = None, modified_after: Text = None, postcode: Text = None,
                    proximity: Text = None) -> ServiceFilter:
    """The filters /services and /service_at_locations share, read once."""
    metres = parse_proximity(proximity)
    if metres is not None and not postcode:
        raise InputError("proximity は postcode（中心にする町丁目、例: 府中市白糸台三丁目）と一緒に指定してください。")
    return ServiceFilter(search=search, taxonomy_term_id=taxonomy_term_id, taxonomy_id=taxonomy_id,
                         organization_id=organization_id, modified_after=parse_modified_after(modified_after),
                         place=place_of(postcode) if postcode else None, proximity_m=metres)


Filter = Annotated[ServiceFilter, Depends(_service_filter)]


def _with_distance(item: dict[str, Any], metres: float | None) -> dict[str, Any]:
    return item if metres is None else {**item, "jp_distance_m": round(metres, 1)}


def _one(obj: dict[str, Any] | None, listing: str, uid: str) -> JSONResponse:
    """The object found by its HSDS id, or a 404 that names the list to pick an id from."""
    if obj is None:
        raise NotFound(f"id {uid!r} は公開ディレクトリにありません（稼働中のものだけを公開しています）。"
                       f"一覧 /hsds/{listing} で id を確認してください。")
    return JSONResponse(obj)


# -- meta ------------------------------------------------------------------------------------------
@router.get("/")
def about(request: Request) -> JSONResponse:
    base = _base(request)
    return JSONResponse({"version": HSDS_VERSION, "profile": f"{base}/hsds/profile",
                         "openapi_url": f"{base}/hsds/openapi.json"})


@router.get("/openapi.json")
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(served_openapi(_base(request), __version__))


@router.get("/profile")
def profile() -> JSONResponse:
    """The Japanese profile: the additional properties and the taxonomies (docs/hsds.md explains them)."""
    return JSONResponse({
        "name": "resourcemap 日本プロファイル（重層的支援体制整備事業）", "hsds_version": HSDS_VERSION,
        "additional_properties": [{"name": k, "on": on, "description": d} for k, (on, d) in PROFILE_FIELDS.items()],
        "taxonomies": [{"key": k, "name": n, "description": d} for k, (n, d) in TAXONOMIES.items()],
    })


# -- services --------------------------------------------------------------------------------------
@router.get("/services")
def services(d: Directory, f: Filter, page: Number = None, per_page: Number = None, format: Text = None,
             minimal: Flag = False, full: Flag = False) -> Response:
    one = d.service_minimal if minimal else d.service if full else d.service_item
    return _page(d.find_services(f), lambda hit: _with_distance(one(hit[0]), hit[1]), page, per_page, format,
                 everything=minimal)


@router.get("/services/{id}")
def service(d: Directory, id: str) -> JSONResponse:
    node = d.service_node(id)
    return _one(d.service(node) if node else None, "services", id)


# -- service_at_locations --------------------------------------------------------------------------
@router.get("/service_at_locations")
def service_at_locations(d: Directory, f: Filter, full: Flag = False, page: Number = None, per_page: Number = None,
                         format: Text = None) -> Response:
    one = d.service_at_location if full else d.service_at_location_item
    return _page(d.find_services(f, located=True), lambda hit: _with_distance(one(hit[0]), hit[1]),
                 page, per_page, format)


@router.get("/service_at_locations/{id}")
def service_at_location(d: Directory, id: str) -> JSONResponse:
    node = d.sal_node(id)
    return _one(d.service_at_location(node) if node else None, "service_at_locations", id)


# -- organizations ---------------------------------------------------------------------------------
@router.get("/organizations")
def organizations(d: Directory, search: Text = None, full_service: Flag = False, full: Flag = False,
                  page: Number = None, per_page: Number = None, format: Text = None) -> Response:
    def full_render(o: str) -> dict[str, Any]:
        return d.organization(o, full_services=full_service)

    render: Callable[[str], dict[str, Any]] = full_render if full or full_service else d.organization_item
    return _page(d.find_organizations(search), render, page, per_page, format)


@router.get("/organizations/{id}")
def organization(d: Directory, id: str, full_service: Flag = False) -> JSONResponse:
    org = d.organization_node(id)
    return _one(d.organization(org, full_services=full_service) if org else None, "organizations", id)


# -- taxonomies ------------------------------------------------------------------------------------
@router.get("/taxonomies")
def taxonomies(d: Directory, search: Text = None, page: Number = None, per_page: Number = None,
               format: Text = None) -> Response:
    return _page(d.taxonomies(search), lambda t: t, page, per_page, format)


@router.get("/taxonomies/{id}")
def taxonomy(d: Directory, id: str) -> JSONResponse:
    return _one(d.taxonomy(id), "taxonomies", id)


@router.get("/taxonomy_terms")
def taxonomy_terms(d: Directory, search: Text = None, page: Number = None, per_page: Number = None,
                   format: Text = None, taxonomy_id: Text = None, top_only: Flag = False,
                   parent_id: Text = None) -> Response:
    return _page(d.terms(search, taxonomy_id, parent_id, top_only), lambda t: t, page, per_page, format)


@router.get("/taxonomy_terms/{id}")
def taxonomy_term(d: Directory, id: str) -> JSONResponse:
    return _one(d.term(id), "taxonomy_terms", id)
