"""参加支援 for a coordinator: search → results (cards, map) → act (record unmet needs, print the sheet).

Why these shapes: a 地域福祉コーディネーター searches during a visit or a meeting, on a phone or a
projector, for one household (a 町丁目 and each member's age and needs). The page shows each match
as a card (distance and walking minutes, why it matched, how to reach it), the household's 町丁目
point and the results on an offline map, and two actions:

* 「未充足として記録」: a search counts nothing; this button counts the needs that stayed unmet, once,
  in the same aggregated cells as ``POST /v1/unmet`` (:func:`resourcemap.match.unmet_cells`).
* 「支援会議シート」: one A4 page for a 支援会議 — the date (JST), the 町丁目 and age bands, the
  resources with their contacts, the suggested team. No name, no free text, no age.

Nothing typed here is stored or logged: the form is re-sent for the sheet, and the page keeps no
request. The cards are driven by the fields a match returns (``address``, ``phone``, ``url``,
``schedules``, ``programs``, ``operator`` …); where the match does not carry a field yet, the page
fills it from the catalogue (:func:`resourcemap.queries.contact_fields`) — a field the match gives wins.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError

from resourcemap.basemap import base_layers
from resourcemap.cities import City
from resourcemap.errors import InputError, ResourcemapError, UnknownCategory
from resourcemap.geo import chome_by_name, chome_units
from resourcemap.graph.readmodel import ReadModel
from resourcemap.labels import JST, KIND_LABELS, age_band_label, jst
from resourcemap.match import MatchRequest, UnmetRecord, age_band, match_household, unmet_cells
from resourcemap.match.request import AGE_BANDS
from resourcemap.opendata import Registry
from resourcemap.queries import contact_fields, neighbourhood
from resourcemap.taxonomy import load_taxonomy

from ..deps import ReadModelDep, StateDep
from ..state import AppState
from ..web import PageSession, checked_form, page
from .pages import city_gate, context, credits, gate, reach

router = APIRouter(include_in_schema=False)

MEMBER_ROWS = 4
DAYS = (("MO", "月"), ("TU", "火"), ("WE", "水"), ("TH", "木"), ("FR", "金"), ("SA", "土"), ("SU", "日"))
BUNYA = ("高齢", "障害", "子ども", "困窮", "全世代")
SPEEDS = (("", "年齢から（80 m/分、75歳以上 60 m/分）"), ("80", "80 m/分（ふつう）"), ("60", "60 m/分（ゆっくり）"),
          ("40", "40 m/分（杖・介助）"))
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


# -- the category picker's JSON ------------------------------------------------------------------------------
@router.get("/pages/categories")
def categories(session: PageSession, q: str = Query("", max_length=60)) -> JSONResponse:
    """Categories for what a person types (id, label, synonym, any spelling): the resolver's hit first, then
    close ones — e.g. ひきこもり, 8050 → ひきこもり支援; ゴミ屋敷 → 家事援助."""
    refusal = gate(session)
    if refusal is not None:
        return JSONResponse({"items": []}, status_code=401)
    tax = load_taxonomy()
    term = q.strip()
    if not term:
        return JSONResponse({"items": []})
    items: list[dict[str, str]] = []
    try:
        res = tax.resolve(term)
        via = "" if res.fit != "synonym" else term
        items.append({"id": res.category.id, "label": res.category.label, "via": via})
    except UnknownCategory:
        pass
    by_label = {c.label: c for c in tax}
    for label in tax.suggest(term, n=6):
        cat = by_label.get(label)
        if cat is not None and all(i["label"] != label for i in items):
            items.append({"id": cat.id, "label": cat.label, "via": ""})
    return JSONResponse({"items": [{"label": i["label"], "via": i["via"]} for i in items[:6]]})


# -- the form ------------------------------------------------------------------------------------------------
def _values(form: dict[str, str]) -> dict[str, str]:
    """The search form's own fields (what the sheet button re-sends), nothing else."""
    keys = ["address", "max_distance_m", "limit", "speed", "open_from", "open_to",
            *(f"day_{d}" for d, _ in DAYS),
            *(f"{k}{i}" for i in range(MEMBER_ROWS) for k in ("age", "needs", "field"))]
    return {k: form[k] for k in keys if form.get(k)}


def _terms(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,、，\n]", text) if t.strip()]


def _apply_replacement(form: dict[str, str]) -> dict[str, str]:
    """A clicked 候補 (``replace`` = "term<TAB>label"): the unknown term becomes the suggested category."""
    old, _, new = form.get("replace", "").partition("\t")
    if not old or not new:
        return form
    out = dict(form)
    for i in range(MEMBER_ROWS):
        terms = _terms(out.get(f"needs{i}", ""))
        if old in terms:
            out[f"needs{i}"] = "、".join(new if t == old else t for t in terms)
    return out


def match_body(code: str, form: dict[str, str]) -> dict[str, Any]:
    """The ``POST /v1/match`` body a search form stands for (validated by :class:`MatchRequest`)."""
    days = [d for d, _ in DAYS if form.get(f"day_{d}")]
    start = form.get("open_from", "") if _HHMM.match(form.get("open_from", "")) else "00:00"
    end = form.get("open_to", "") if _HHMM.match(form.get("open_to", "")) else "23:59"
    times = [{"day": d, "start": start, "end": end} for d in days]
    speed = form.get("speed", "")
    members = []
    for i in range(MEMBER_ROWS):
        needs = _terms(form.get(f"needs{i}", ""))
        if not needs:
            continue
        age = form.get(f"age{i}", "").strip()
        field = form.get(f"field{i}", "")
        members.append({"age": int(age) if age.isdigit() else None, "needs": needs,
                        "fields": [field] if field in BUNYA else [], "times": times,
                        "walk_speed_m_per_min": float(speed) if speed.isdigit() else None})
    dist = form.get("max_distance_m", "").strip()
    limit = form.get("limit", "").strip()
    return {"city": code, "location": {"address": form.get("address", "")}, "members": members,
            "max_distance_m": float(dist) if dist.replace(".", "", 1).isdigit() else 2000,
            "limit": int(limit) if limit.isdigit() else 5}


def _form_page(c: City, session, values: dict[str, str], *, message: str = "", candidates: tuple[str, list[str]] | None = None,
               result: dict | None = None, status: int = 200, extra: dict | None = None) -> HTMLResponse:
    members = [{"age": values.get(f"age{i}", ""), "needs": values.get(f"needs{i}", ""),
                "field": values.get(f"field{i}", "")} for i in range(MEMBER_ROWS)]
    return page("match.html", f"{c.name} 資源をさがす（参加支援）", status=status, current="match", message=message,
                candidates=candidates, values=values, members=members, towns=[u.town for u in chome_units(c.code)],
                days=DAYS, bunya=BUNYA, speeds=SPEEDS, result=result, **(extra or {}), **context(session, c))


def _base(state: AppState, rm: ReadModel, code: str) -> dict[str, Any]:
    """The offline background of the results map (kept for the read model's revision)."""
    return state.basemap_cache.get(rm.revision, code, lambda: base_layers(rm, code, tiles=state.settings.tiles))


# -- results -------------------------------------------------------------------------------------------------
def _programs(rm: ReadModel, node_id: str) -> list[dict[str, str]]:
    return [{"id": p["id"], "name": p["name"]} for p in neighbourhood(rm, node_id).get("事業", [])]


#: What a card may show (a field neither the match nor the catalogue gives is None).
_CARD_FIELDS = ("phone", "address", "url", "email", "schedules", "capacity", "accessibility", "programs", "operator",
                "location_precision", "verified_at", "updated_at", "source", "external_ids", "attribution", "pin", "inquiry")


def _card(rm: ReadModel, m: dict[str, Any]) -> dict[str, Any]:
    """One match as a card: the match's own fields, completed from the catalogue where it says nothing."""
    node = rm.node(m["id"]) if rm.has(m["id"]) else None
    extra: dict[str, Any] = {}
    if node is not None:
        extra = {**contact_fields(node), "programs": _programs(rm, node.id)}
    card: dict[str, Any] = dict.fromkeys(_CARD_FIELDS)
    card.update({**extra, **{k: v for k, v in m.items() if v not in (None, "", [])}})
    card["kind_label"] = KIND_LABELS.get(card.get("kind", ""), "")
    return {**card, **reach(card)}


def present(rm: ReadModel, registry: Registry, c: City, data: dict[str, Any]) -> dict[str, Any]:
    """What the results and the sheet show of a match: cards per need, the household's 町丁目 point, the map."""
    loc = data["location"]
    chome = loc.get("chome")
    point = chome_by_name(c.code, chome) if chome else None  # the 町丁目's point — never anything finer
    needs: list[dict[str, Any]] = []
    pins: list[dict[str, Any]] = []
    shown: list[str] = []
    for r in data["results"]:
        cards = [_card(rm, m) for m in r["matches"]]
        for card in cards:
            if card.get("lat") is not None and card.get("lng") is not None:
                pins.append({"n": len(pins) + 1, "id": card["id"], "name": card["name"], "lat": card["lat"],
                             "lng": card["lng"], "need": r["category_label"], "walk_min": card.get("walk_min"),
                             "phone": card.get("phone"), "tel": card["tel"], "address": card.get("address"),
                             "hours": card["hours"]})
                card["pin"] = len(pins)
            shown.append(card["id"])
        unplaced = [_card(rm, u) for u in r.get("unplaced", [])]
        shown += [u["id"] for u in unplaced]
        needs.append({**r, "cards": cards, "unplaced": unplaced})
    unmet = [{**u, "band_label": age_band_label(u.get("age_band", "不明"))} for u in data["unmet"]]
    house = {"lat": point.lat, "lng": point.lng, "label": point.town} if point else None
    return {
        "place": chome or loc.get("town") or "", "areas": [a["name"] for a in loc.get("areas", [])],
        "area_id": loc.get("area_id") or "", "chome": chome or "", "needs": needs, "unmet": unmet,
        "team": [_card(rm, t) for t in data["team"]], "uncovered": data.get("team_uncovered_fields", []),
        "coordinators": data.get("coordinators", []), "max_distance_m": data["max_distance_m"],
        "attributions": credits(rm, registry, shown, [c.get("attribution") for n in needs for c in n["cards"] + n["unplaced"]]),
        "map": {"household": house, "results": pins},
    }


async def _search(request: Request, session, city: str, state: AppState, rm: ReadModel):
    """(city, values, presented result or None, error page or None) for a posted search form."""
    c, refusal = city_gate(session, rm, city)
    if refusal is not None or c is None:
        return None, {}, None, refusal
    form = _apply_replacement(await checked_form(request, session))
    values = _values(form)
    try:
        req = MatchRequest.model_validate(match_body(c.code, form))
        data = match_household(rm, req)
    except ValidationError:
        return c, values, None, _form_page(c, session, values, status=422,
                                           message="入力を確認してください（町丁目と、世帯員のニーズを一つ以上）。")
    except UnknownCategory as exc:
        term = next((t for i in range(MEMBER_ROWS) for t in _terms(values.get(f"needs{i}", ""))
                     if f"「{t}」" in exc.detail), "")
        return c, values, None, _form_page(c, session, values, status=422, message=exc.detail,
                                           candidates=(term, exc.candidates) if term else None)
    except ResourcemapError as exc:
        return c, values, None, _form_page(c, session, values, status=422, message=exc.detail)
    return c, values, present(rm, state.opendata, c, data), None


@router.get("/pages/{city}/match", response_class=HTMLResponse)
def match_form(city: str, session: PageSession, state: StateDep, rm: ReadModelDep):
    c, refusal = city_gate(session, rm, city)
    if refusal is not None or c is None:
        return refusal
    return _form_page(c, session, {}, extra={"base": _base(state, rm, c.code)})


@router.post("/pages/{city}/match", response_class=HTMLResponse)
async def match_submit(city: str, request: Request, session: PageSession, state: StateDep, rm: ReadModelDep):
    c, values, result, refusal = await _search(request, session, city, state, rm)
    if refusal is not None or c is None:
        return refusal
    return _form_page(c, session, values, result=result, extra={"base": _base(state, rm, c.code)})


@router.post("/pages/{city}/sheet", response_class=HTMLResponse)
async def sheet(city: str, request: Request, session: PageSession, state: StateDep, rm: ReadModelDep):
    """The 支援会議 sheet: one A4 page, no names, no free text, no ages (bands only)."""
    c, values, result, refusal = await _search(request, session, city, state, rm)
    if refusal is not None or c is None or result is None:
        return refusal
    members: list[dict[str, Any]] = []
    for i in range(MEMBER_ROWS):
        if not _terms(values.get(f"needs{i}", "")):
            continue
        age = values.get(f"age{i}", "")
        members.append({"band": age_band_label(age_band(int(age) if age.isdigit() else None)),
                        "needs": [r["category_label"] for r in result["needs"] if r["member"] == len(members)]})
    return page("sheet.html", "支援会議 資料（社会資源）", city=c, person=session, csrf="",
                made=jst(datetime.now(JST)), result=result, members=members)


# -- 「未充足として記録」 --------------------------------------------------------------------------------------
@router.post("/pages/{city}/unmet")
async def record_unmet(city: str, request: Request, session: PageSession, state: StateDep, rm: ReadModelDep):
    c, refusal = city_gate(session, rm, city)
    if refusal is not None or c is None or session is None:
        return refusal
    form = await checked_form(request, session)
    items = []
    for key, value in form.items():
        if key.startswith("cell") and value:
            category, _, band = value.partition("|")
            items.append({"category": category, "age_band": band if band in AGE_BANDS else "不明"})
    try:
        record = UnmetRecord.model_validate({"city": c.code, "chome": form.get("chome") or None,
                                             "area_id": form.get("area_id") or None, "items": items})
        cells = unmet_cells(rm, record)
    except (ValidationError, InputError):
        return page("message.html", "記録できませんでした", status=422, error=True, back=f"/pages/{c.code}/match",
                    back_label="検索に戻る", message="記録する未充足のニーズを一つ以上選んでください。", **context(session, c))
    state.unmet.add(cells)
    return RedirectResponse(f"/pages/{c.code}/unmet/recorded?n={len(cells)}", status_code=303)


@router.get("/pages/{city}/unmet/recorded", response_class=HTMLResponse)
def unmet_recorded(city: str, session: PageSession, rm: ReadModelDep, n: int = Query(0, ge=0, le=60)):
    c, refusal = city_gate(session, rm, city)
    if refusal is not None or c is None:
        return refusal
    return page("message.html", "未充足として記録しました", back=f"/pages/{c.code}/match", back_label="新しい検索へ",
                message=f"{n} 件を、町丁目・分類・年齢層・月ごとの件数に加えました（個人に関することは記録していません）。"
                        "同じ世帯を検索し直しても、件数は増えません。", **context(session, c))
