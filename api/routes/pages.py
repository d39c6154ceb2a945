"""Web pages for people: a start page, and per municipality the gap map, the network view and
the meeting report — the same renderers the CLI writes to files, served live.

Why a cookie here: browsers cannot send ``Authorization`` headers on plain links, so the start
page takes an API key once (POST /login) and keeps it in an HttpOnly, SameSite=Strict cookie;
each page checks it the way the API checks a key (:func:`api.auth.check_key`: the key ring's
cache, and the limiter of failed checks — a wrong key typed into the form counts like a wrong
``Authorization`` header) and requires viewer or higher. The pages
are not part of the JSON API (not in the OpenAPI document) and never embed the key. Every page
is a template of ``resourcemap/templates/pages/`` (autoescaped: :mod:`resourcemap.render`).
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from resourcemap.cities import resolve_city
from resourcemap.errors import ResourcemapError
from resourcemap.keys import role_at_least
from resourcemap.render import render

from ..auth import AuthFailed, check_key
from ..deps import ReadModelDep, StateDep

router = APIRouter(include_in_schema=False)

COOKIE = "rm_key"
_HOME = "resourcemap — 社会資源・支援機関のグラフ地図"


def _page(template: str, title: str, status: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(render(f"pages/{template}", title=title, **context), status_code=status)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _signed_in(request: Request, state: StateDep) -> bool:
    """Whether the cookie holds a live key of viewer or higher (checked by :func:`api.auth.check_key`)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return False
    try:
        info = await check_key(state, _client(request), token)
    except AuthFailed:
        return False
    return role_at_least(info.role, "viewer")


SignedIn = Annotated[bool, Depends(_signed_in)]


@router.get("/", response_class=HTMLResponse)
def index(signed_in: SignedIn, state: StateDep) -> HTMLResponse:
    if not signed_in:
        return _page("login.html", _HOME, message="")
    municipalities = [{"name": m.name, "code": m.city}
                      for m in sorted(state.readmodel.nodes(kind="municipality"), key=lambda n: n.city)]
    return _page("index.html", _HOME, municipalities=municipalities)


@router.post("/login")
async def login(request: Request, state: StateDep, key: str = Form(..., max_length=200)) -> HTMLResponse:
    try:
        await check_key(state, _client(request), key.strip())
    except AuthFailed as exc:
        message = exc.detail if exc.status == 429 else "鍵が正しくないか、失効しています。"
        return _page("login.html", "resourcemap", status=exc.status, message=message)
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(COOKIE, key.strip(), httponly=True, samesite="strict", path="/")
    return resp  # type: ignore[return-value]


@router.post("/logout")
def logout() -> RedirectResponse:
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


def _guard(signed_in: bool, city: str):
    if not signed_in:
        return None, RedirectResponse("/", status_code=303)
    try:
        return resolve_city(city), None
    except ResourcemapError as exc:
        return None, _page("message.html", "見つかりません", status=404, message=exc.detail)


@router.get("/pages/{city}/map", response_class=HTMLResponse)
def gap_map(city: str, signed_in: SignedIn, state: StateDep, rm: ReadModelDep):
    from resourcemap.gaps import analyse
    from resourcemap.gaps.mapview import render_map

    c, refusal = _guard(signed_in, city)
    if refusal is not None:
        return refusal
    return HTMLResponse(render_map(analyse(rm, c.code, aux_path=state.settings.aux_db,
                                           unmet_min_count=state.settings.unmet_min_count)))


@router.get("/pages/{city}/report", response_class=HTMLResponse)
def report(city: str, signed_in: SignedIn, state: StateDep, rm: ReadModelDep):
    from resourcemap.gaps import analyse
    from resourcemap.gaps.report import render_report
    from resourcemap.network.views import gap_report_section

    c, refusal = _guard(signed_in, city)
    if refusal is not None:
        return refusal
    result = analyse(rm, c.code, aux_path=state.settings.aux_db, unmet_min_count=state.settings.unmet_min_count)
    return HTMLResponse(render_report(result, extra_sections=[gap_report_section(rm.graph)]))


@router.get("/pages/{city}/network", response_class=HTMLResponse)
def network(city: str, signed_in: SignedIn, rm: ReadModelDep):
    from resourcemap.network.views import network_data, network_html

    c, refusal = _guard(signed_in, city)
    if refusal is not None:
        return refusal
    return HTMLResponse(network_html(network_data(rm.graph, c.code)))




# -- 参加支援: the coordinator's search form ------------------------------------------------------
_MEMBER_ROWS = 4


def _match_page(code: str, name: str, values: dict[str, str], *, message: str = "", result: dict | None = None,
                status: int = 200) -> HTMLResponse:
    from resourcemap.geo import chome_units

    members = [{"age": values.get(f"age{i}", ""), "needs": values.get(f"needs{i}", "")} for i in range(_MEMBER_ROWS)]
    return _page("match.html", f"{name} — 資源をさがす（参加支援）", status=status, code=code, message=message,
                 values={"address": values.get("address", ""), "max_distance_m": values.get("max_distance_m", "")},
                 towns=[c.town for c in chome_units(code)], members=members, result=result)


def _match_request(code: str, form: dict[str, str]) -> dict:
    members = []
    for i in range(_MEMBER_ROWS):
        needs = [n.strip() for n in form.get(f"needs{i}", "").replace("、", ",").split(",") if n.strip()]
        if not needs:
            continue
        age = form.get(f"age{i}", "").strip()
        members.append({"age": int(age) if age.isdigit() else None, "needs": needs})
    dist = form.get("max_distance_m", "").strip()
    return {"city": code, "location": {"address": form.get("address", "")}, "members": members,
            "max_distance_m": float(dist) if dist.replace(".", "", 1).isdigit() else 2000, "limit": 5}


@router.get("/pages/{city}/match", response_class=HTMLResponse)
def match_form(city: str, signed_in: SignedIn):
    c, refusal = _guard(signed_in, city)
    if refusal is not None:
        return refusal
    return _match_page(c.code, c.name, {})


@router.post("/pages/{city}/match", response_class=HTMLResponse)
async def match_submit(city: str, request: Request, signed_in: SignedIn, state: StateDep, rm: ReadModelDep):
    from pydantic import ValidationError

    from resourcemap.match import MatchRequest, match_household

    c, refusal = _guard(signed_in, city)
    if refusal is not None:
        return refusal
    form = {k: str(v)[:200] for k, v in (await request.form()).items()}
    try:
        req = MatchRequest.model_validate(_match_request(c.code, form))
        data = match_household(rm, req, unmet_log=state.unmet)
    except ValidationError:
        return _match_page(c.code, c.name, form, message="入力を確認してください（世帯員のニーズを一つ以上）。", status=422)
    except ResourcemapError as exc:
        return _match_page(c.code, c.name, form, message=exc.detail, status=422)
    return _match_page(c.code, c.name, form, result=data)
