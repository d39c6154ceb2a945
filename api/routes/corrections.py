""""Report a problem" (any key) and the corrections queue editors work through (:class:`resourcemap.corrections.Corrections`)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from ..catalogue_schemas import CorrectionOut, CorrectionResolve, ReportIn
from ..deps import Editor, StateDep, StoreDep, Viewer

router = APIRouter(tags=["corrections"])
_MAX_ID = 2 ** 63 - 1  # SQLite INTEGER


@router.post("/v1/nodes/{node_id}/reports", status_code=201, response_model=CorrectionOut,
             summary="Report a problem with a node (any key); queued for an editor")
def report_problem(node_id: str, body: ReportIn, caller: Viewer, store: StoreDep, state: StateDep) -> dict:
    store.get_node(node_id)  # 404 for an unknown node
    return state.corrections.report(node_id, body.message, field=body.field, reporter=caller.name)


@router.get("/v1/corrections", response_model=list[CorrectionOut], summary="The corrections queue (editor)")
def list_corrections(_: Editor, state: StateDep,
                     status: Literal["open", "resolved", "rejected"] | None = "open",
                     node_id: str | None = None, after: int = Query(0, ge=0, le=_MAX_ID, description="last id of the previous page"),
                     limit: int = Query(100, ge=1, le=1000)) -> list[dict]:
    return state.corrections.list(status=status, node_id=node_id, after=after, limit=limit)


@router.post("/v1/corrections/{correction_id}/resolve", response_model=CorrectionOut,
             summary="Close a report as resolved or rejected (editor)")
def resolve_correction(correction_id: Annotated[int, Path(ge=1, le=_MAX_ID)], body: CorrectionResolve, caller: Editor, state: StateDep) -> dict:
    return state.corrections.resolve(correction_id, body.status, by=caller.name, note=body.note)
