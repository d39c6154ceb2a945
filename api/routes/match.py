"""``POST /v1/match`` (参加支援 matching) and ``GET /v1/unmet`` (the aggregated unmet-need counts).

Thin on purpose: the request model, the matching and the counters are :mod:`resourcemap.match`.
Nothing from a match request is logged or kept except the unmet counters.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from resourcemap.keys import role_at_least
from resourcemap.match import MatchRequest, match_household, request_city_code
from resourcemap.match.disclosure import below_label, publish_rows, published_total

from ..analysis_schemas import MatchResult
from ..deps import ReadModelDep, StateDep, Viewer
from ..responses import JSONResponse

router = APIRouter(tags=["match"])

_EXAMPLE = {"city": "府中市", "location": {"address": "白糸台三丁目"},
            "members": [{"age": 52, "needs": ["ひきこもり", "居場所"]}, {"age": 83, "needs": ["介護予防"]}],
            "max_distance_m": 2000, "limit": 5}


@router.post("/v1/match", summary="A household's needs → eligible resources nearby, a team, unmet needs",
             response_class=JSONResponse,
             responses={200: {"model": MatchResult, "description": "matches per member × need (ordered by score), "
                                                                   "unmet needs, 支援チーム and coordinators (CONTRACT.md)"}},
             openapi_extra={"requestBody": {"content": {"application/json": {"example": _EXAMPLE}}}})
async def post_match(body: MatchRequest, _: Viewer, state: StateDep, rm: ReadModelDep) -> JSONResponse:
    data = match_household(rm, body, unmet_log=state.unmet)
    return JSONResponse(data)


@router.get("/v1/unmet", summary="Aggregated unmet-need counts (municipality, 町丁目/area, category, age band, month)",
            description="Below admin, a count under the threshold (default 3, `RESOURCEMAP_UNMET_MIN_COUNT`) is "
                        "published as `count: null, suppressed: true, label: \"3未満\"`, and the total is then "
                        "`null` with `total_range` (the range it must lie in) — never an exact number that would "
                        "give a suppressed count back. Admin keys see raw counts (`suppression: null`). "
                        "See docs/matching.md.")
def get_unmet(caller: Viewer, state: StateDep, city: str = Query(..., description="name or code"),
              month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$")) -> dict[str, Any]:
    code = request_city_code(city)
    rows = state.unmet.counts(code, month)
    if role_at_least(caller.role, "admin"):
        total = sum(r["count"] for r in rows)
        return {"city": code, "items": rows, "total": total, "total_range": [total, total], "total_label": str(total),
                "suppressed_cells": 0, "suppression": None}
    threshold = state.settings.unmet_min_count
    items = publish_rows(rows, threshold)
    return {"city": code, "items": items, **published_total(items, threshold),
            "suppression": {"threshold": threshold, "label": below_label(threshold)}}
