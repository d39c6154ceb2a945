"""Service health, the municipalities and the taxonomy."""
from __future__ import annotations

from fastapi import APIRouter

from resourcemap import __version__
from resourcemap.cities import CITIES
from resourcemap.taxonomy import load_taxonomy

from ..deps import ReadModelDep, StateDep, Viewer

router = APIRouter()


@router.get("/health", tags=["meta"], summary="Liveness (no auth)")
def health(state: StateDep) -> dict:
    return {"status": "ok", "version": __version__, "revision": state.readmodel.revision}


@router.get("/v1/categories", tags=["meta"], summary="The service/need taxonomy")
def categories(_: Viewer) -> list[dict]:
    return [c.as_dict() for c in load_taxonomy()]


@router.get("/v1/cities", tags=["meta"], summary="Municipalities in the catalogue with their areas")
def cities(_: Viewer, rm: ReadModelDep) -> list[dict]:
    out = []
    for muni in sorted(rm.nodes(kind="municipality"), key=lambda n: n.city):
        city = CITIES.get(muni.city)
        areas = sorted(rm.nodes(kind="area", city=muni.city), key=lambda a: a.id)
        levels: dict[str, int] = {}
        for a in areas:
            levels[a.level or ""] = levels.get(a.level or "", 0) + 1
        primary = muni.primary_area_level or (max(levels, key=lambda lv: levels[lv]) if levels else None)
        shown = [a for a in areas if a.level == primary]
        out.append({
            "code": muni.city, "name": muni.name, "pref": muni.pref or (city.pref if city else None),
            "id": muni.id, "primary_area_level": primary, "area_levels": levels,
            "areas": [{"id": a.id, "name": a.name, "level": a.level, "membership": a.membership,
                       "chome_count": len(a.chome), "lat": a.lat, "lng": a.lng} for a in shown],
        })
    return out
