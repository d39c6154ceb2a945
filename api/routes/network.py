"""``GET /v1/network``: the agency network of one municipality — nodes, "works with" edges, analyses.

Thin: calls :func:`resourcemap.graph.netview.network_data`. The bundle depends on the catalogue
only, so it is cached per read-model revision (a few entries in ``state.extras``): a page that
reloads does not redo betweenness and referral searches until something in the catalogue changes.
"""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from fastapi import APIRouter, Query

from resourcemap.graph.netview import network_data

from ..deps import ReadModelDep, StateDep, Viewer

router = APIRouter(tags=["network"])

_CACHE_SIZE = 8
_lock = Lock()


@router.get("/v1/network", summary="Agency network: nodes, edges, metrics (silos, separators, coverage, referrals)")
def get_network(_: Viewer, state: StateDep, rm: ReadModelDep,
                city: str = Query(..., description="municipality name or code (府中市, 13206)"),
                level: str | None = Query(None, description="area level of the coverage matrix (default: primary)")
                ) -> dict:
    """``nodes``: organisations, coordinators, meetings and programs with 分野, pillars, served areas,
    betweenness and component; ``edges``: the catalogue edges that count as "works with";
    ``metrics``: components, articulation points, bridges, betweenness, coordinator load,
    uncovered areas, the area×分野 / area×pillar coverage and referral chains (docs/network.md)."""
    key = (rm.revision, city, level)  # the name as given: it is read against this catalogue in network_data
    cache: OrderedDict = state.extras.setdefault("network_cache", OrderedDict())
    with _lock:
        data = cache.get(key)
    if data is None:
        data = network_data(rm.graph, city, level=level)
        with _lock:
            cache[key] = data
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
    return data
