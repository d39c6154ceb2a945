"""``GET /v1/network``: the agency network of one municipality — nodes, "works with" edges, analyses.

Thin: calls :func:`resourcemap.network.views.network_data`. The bundle depends on the catalogue
only, so it is cached per read-model revision (``state.network_cache``): a page that
reloads does not redo betweenness and referral searches until something in the catalogue changes.
"""
from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from resourcemap.network.views import network_data

from ..analysis_schemas import NetworkBundle
from ..deps import ReadModelDep, StateDep, Viewer

router = APIRouter(tags=["network"])


@router.get("/v1/network", summary="Agency network: nodes, edges, metrics (silos, separators, coverage, referrals)",
            response_class=JSONResponse, responses={200: {"model": NetworkBundle, "description": "the bundle"}})
def get_network(_: Viewer, state: StateDep, rm: ReadModelDep,
                city: str = Query(..., description="municipality name or code (府中市, 13206)"),
                level: str | None = Query(None, description="area level of the coverage matrix (default: primary)")
                ) -> JSONResponse:
    """``nodes``: organisations, coordinators, meetings and programs with 分野, pillars, served areas,
    betweenness and component; ``edges``: the catalogue edges that count as "works with";
    ``metrics``: components, articulation points, bridges, betweenness, coordinator load,
    uncovered areas, the area×分野 / area×pillar coverage and referral chains (docs/network.md)."""
    # the name as given: network_data reads it against this catalogue's municipalities
    data = state.network_cache.get(rm.revision, (city, level), lambda: network_data(rm.graph, city, level=level))
    return JSONResponse(data)
