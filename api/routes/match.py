"""``POST /v1/match`` (参加支援 matching), ``POST /v1/unmet`` (record unmet needs, on purpose) and
``GET /v1/unmet`` (the aggregated unmet-need counts).

Thin on purpose: the request model, the matching and the counters are :mod:`resourcemap.match`.
Nothing from a match request is logged or kept. A match counts nothing (since issue 11: a retried
search used to count its unmet needs again); the caller records the needs that stay unmet with
``POST /v1/unmet`` — the same aggregated cells, nothing about the person.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from resourcemap.keys import role_at_least
from resourcemap.match import MatchRequest, UnmetRecord, match_household, request_city_code, unmet_cells
from resourcemap.match.disclosure import below_label, publish_rows, published_total
from resourcemap.opendata.listing import dataset_dates

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
    return JSONResponse(match_household(rm, body, dataset_dates=dataset_dates(state.opendata)))


_UNMET_EXAMPLE = {"city": "府中市", "chome": "白糸台三丁目", "area_id": "fuchu.area.shiraitodai",
                  "items": [{"category": "hikikomori", "age_band": "50-59"}]}


@router.post("/v1/unmet", status_code=201,
             summary="Record unmet needs (one count per item in its aggregated cell); a match counts nothing",
             description="The cell is (municipality, 町丁目, area, category, 10-year age band, month): give `chome` "
                         "and `area_id` as the match's `location` gave them and, per unmet need, its `category` and "
                         "`age_band` (as the match's `unmet` items carry them) — or `age`, turned into its band and "
                         "never kept. Nothing else is stored. Answers the cells counted (their month in JST).",
             openapi_extra={"requestBody": {"content": {"application/json": {"example": _UNMET_EXAMPLE}}}})
def post_unmet(body: UnmetRecord, _: Viewer, state: StateDep, rm: ReadModelDep) -> dict[str, Any]:
    cells = unmet_cells(rm, body)
    state.unmet.add(cells)
    return {"recorded": len(cells), "cells": [{"city": c.city, "chome": c.chome, "area_id": c.area_id,
                                               "category": c.category, "age_band": c.age_band, "month": c.month}
                                              for c in cells]}


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
