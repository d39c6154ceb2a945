"""``GET /v1/gaps``: the gap map of one municipality as a GeoJSON FeatureCollection.

Thin: checks the query, calls :func:`resourcemap.gaps.analyse` and renders with
:func:`resourcemap.gaps.export.feature_collection`. Results are cached per read-model revision
and minute (``state.gaps_cache``): a map that polls does not redo the analysis, and unmet-need
counts, which change without a catalogue revision, are at most a minute old.
"""
from __future__ import annotations

import time

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from resourcemap.gaps import GapOptions, analyse
from resourcemap.gaps.export import feature_collection
from resourcemap.keys import role_at_least
from resourcemap.opendata.listing import dataset_dates

from ..analysis_schemas import GapFeatureCollection
from ..deps import ReadModelDep, StateDep, Viewer

router = APIRouter(tags=["gaps"])


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


_CACHE_SECONDS = 60


@router.get("/v1/gaps", summary="Gap map: units × categories with nearest distance, counts, gap flag, candidates",
            response_class=GeoJSONResponse,
            responses={200: {"model": GapFeatureCollection,
                             "description": "GeoJSON FeatureCollection (one feature per unit × category)"}})
def get_gaps(caller: Viewer, state: StateDep, rm: ReadModelDep,
             city: str = Query(..., description="municipality name or code (府中市, 13206)"),
             category: list[str] | None = Query(None, description="category id/label/synonym; repeat or "
                                                                   "comma-separate (default: the standard set)"),
             unit: str = Query("chome", pattern="^(chome|area|mesh500|mesh1km)$"),
             threshold_m: float | None = Query(None, gt=0, le=50_000, description="walking reach for every category"),
             ) -> JSONResponse:
    options = GapOptions(categories=tuple(category or ()), unit=unit, threshold_m=threshold_m)
    raw = role_at_least(caller.role, "admin")  # below admin, small unmet counts are suppressed
    key = (int(time.monotonic() // _CACHE_SECONDS), city, options, raw)
    body = state.gaps_cache.get(rm.revision, key, lambda: feature_collection(
        analyse(rm, city, options, aux_path=state.settings.aux_db,
                unmet_min_count=None if raw else state.settings.unmet_min_count,
                dataset_dates=dataset_dates(state.opendata))))
    return GeoJSONResponse(body)
