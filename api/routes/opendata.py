"""Open data: the datasets in the catalogue (any key) and the linker's review queue (editors decide).

Handlers stay thin over :mod:`resourcemap.opendata`; importing a publisher's file is
``POST /v1/import?format=gsi-shelters|mhlw-care|std-…`` (:mod:`api.routes.io`), which shares the
same import log and queue.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from resourcemap.opendata import accept, describe, reject, sources
from resourcemap.queries import catalogue_city

from ..deps import Editor, StateDep, StoreDep, Viewer

router = APIRouter(tags=["open data"])
_MAX_ID = 2 ** 63 - 1  # SQLite INTEGER


class SourceOut(BaseModel):
    dataset: str
    name: str
    publisher: str
    date: str | None = Field(description="the data's date (date_basis publisher) or the last import's")
    date_basis: Literal["publisher", "imported"]
    licence: str
    attribution: str = Field(description="the credit to show wherever this data is shown")
    url: str | None = None
    rows: int = Field(description="sites in the catalogue carrying this dataset's ids (not inactive)")
    inactive: int
    cities: list[str]
    imports: int
    last_file: str | None = None
    last_imported_at: str | None = None


class LinkOut(BaseModel):
    id: int
    city: str
    kind: Literal["same_site", "delivers"]
    subject_id: str = Field(description="the plan's node (same_site) or the programme (delivers)")
    subject_name: str | None = None
    site_id: str = Field(description="the imported site")
    site_name: str | None = None
    score: float
    evidence: str
    status: Literal["proposed", "accepted", "rejected"]
    dataset: str | None = None
    created_at: str
    decided_at: str | None = None
    decided_by: str | None = None
    note: str | None = None


class LinkDecision(BaseModel):
    model_config = {"extra": "forbid"}
    note: str | None = Field(None, max_length=500, description="why (kept with a rejection)")


@router.get("/v1/sources", response_model=list[SourceOut],
            summary="The public datasets in the catalogue: publisher, date, licence, attribution, rows")
def list_sources(_: Viewer, store: StoreDep, state: StateDep) -> list[dict[str, Any]]:
    return sources(store, state.opendata)


@router.get("/v1/links", response_model=list[LinkOut], summary="The linker's proposals (any key)")
def list_links(_: Viewer, store: StoreDep, state: StateDep, city: str | None = None,
               status: Literal["proposed", "accepted", "rejected"] | None = None,
               after: int = Query(0, ge=0, le=_MAX_ID, description="last id of the previous page"),
               limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    code = catalogue_city(store, city) if city else None  # a name is read against this catalogue
    return describe(store, state.opendata.links(city=code, status=status, after=after, limit=limit))


@router.post("/v1/links/{link_id}/accept", response_model=LinkOut,
             summary="Apply a proposal: merge the site into the plan's node, or add the implements edge (editor)")
async def accept_link(link_id: Annotated[int, Path(ge=1, le=_MAX_ID)], caller: Editor, store: StoreDep,
                      state: StateDep) -> dict[str, Any]:
    done = await run_in_threadpool(accept, store, state.opendata, link_id, by=caller.name)
    return describe(store, [done])[0]


@router.post("/v1/links/{link_id}/reject", response_model=LinkOut,
             summary="Reject a proposal; the pair is not proposed again (editor)")
def reject_link(link_id: Annotated[int, Path(ge=1, le=_MAX_ID)], caller: Editor, store: StoreDep, state: StateDep,
                body: LinkDecision | None = None) -> dict[str, Any]:
    done = reject(state.opendata, link_id, by=caller.name, note=body.note if body else None)
    return describe(store, [done])[0]
