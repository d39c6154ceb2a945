"""Web pages for people: sign-in and sign-out, the start page, per municipality the gap map, the
network view and the meeting report (the same renderers the CLI writes to files, served live), the
API's documentation, and the administrator's page (accounts, the audit log).

Why sessions and not keys here: a person signs in with a name and password
(:mod:`resourcemap.people`); the cookie holds only a session id, every form carries a CSRF token,
and a change made on a page is recorded under the person's name (:mod:`api.web`). API keys stay
for programs (``Authorization: Bearer``). The search, the resource pages and the print sheet are
:mod:`api.routes.search` and :mod:`api.routes.resource`. Pages are not part of the JSON API (not in
the OpenAPI document); every page is a template of ``resourcemap/templates/pages/`` (autoescaped).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from resourcemap.cities import City, resolve_city
from resourcemap.errors import ResourcemapError
from resourcemap.graph.readmodel import ReadModel
from resourcemap.labels import EDGE_LABELS, KIND_LABELS, PRECISION_LABELS, ROLE_LABELS, jst, jst_date, schedule_text
from resourcemap.opendata import Registry
from resourcemap.opendata.listing import attributions
from resourcemap.opendata.mapping import load_datasets
from resourcemap.people import Session
from resourcemap.queries import readmodel_city

from ..auth import AuthFailed, check_person
from ..deps import ReadModelDep, StateDep
from ..web import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    PageSession,
    check_login_token,
    checked_form,
    client_of,
    has_role,
    login_token,
    page,
    set_cookie,
)

router = APIRouter(include_in_schema=False)

_HOME = "社会資源・支援機関のグラフ地図"


def context(session: Session | None, city: City | None = None) -> dict[str, Any]:
    """What the layout of every page needs: the person, their CSRF token, the city of the navigation."""
    return {"person": session, "csrf": session.csrf if session else "", "city": city}


def gate(session: Session | None, role: str = "viewer") -> Response | None:
    """None when the person may see the page, else the answer: the sign-in page (303 to /) or 403 for a
    role too low."""
    if session is None:
        return RedirectResponse("/", status_code=303)
    if not has_role(session, role):
        return page("message.html", "権限がありません", status=403, error=True, **context(session),
                    message=f"このページには{ROLE_LABELS[role]}以上の権限が必要です。管理者に依頼してください。")
    return None


def city_gate(session: Session | None, rm: ReadModel, city: str,
              role: str = "viewer") -> tuple[City | None, Response | None]:
    """:func:`gate` for a municipality's page: ``(city, None)``, else ``(None, the answer)`` — also 404 for
    a municipality this catalogue does not hold (a name is read against the catalogue's, as the API does)."""
    refusal = gate(session, role)
    if refusal is not None:
        return None, refusal
    try:
        return resolve_city(readmodel_city(rm, city)), None
    except ResourcemapError as exc:
        return None, page("message.html", "見つかりません", status=404, error=True, message=exc.detail, **context(session))


def credits(rm: ReadModel, registry: Registry, ids: list[str], given: Iterable[Any] = ()) -> list[str]:
    """The credit lines of imported open data among the shown resources (:func:`resourcemap.opendata.listing.
    attributions`, dated from the import log), with any a match already *given* — each once; none when
    nothing shown was imported."""
    nodes = [rm.node(i) for i in ids if rm.has(i)]
    lines = attributions(nodes, registry) if any(n.external_ids for n in nodes) else []
    for extra in given:
        for line in [extra] if isinstance(extra, str) else extra or []:
            if isinstance(line, str) and line and line not in lines:
                lines.append(line)
    return lines


def source_text(source: str) -> str:
    """Where an entry comes from, in words: a plan's section, a dataset, or a person's edit ("" when unknown)."""
    if not source:
        return ""
    if source.startswith("api:"):
        return f"{source[4:]} が画面または API で更新"
    if source.startswith("import:"):
        spec = load_datasets().get(source.removeprefix("import:"))
        return f"オープンデータ「{spec.name}」" if spec else "取り込んだ資料・オープンデータ"
    if source == "public":
        return "公表されている情報"
    _, _, section = source.partition("#")
    return f"市区町村の計画書（{section}）" if section else "市区町村の計画書・公表資料"


def reach(d: Mapping[str, Any]) -> dict[str, Any]:
    """How to reach a resource, as a person reads it, from a match entry or a node's fields (HSDS names,
    each may be missing): the phone as a ``tel:`` number (and the ``inquiry`` number's), opening hours in Japanese, capacity,
    accessibility, the verified and updated dates (JST), and where the entry and its ids come from."""
    specs = load_datasets()
    return {
        "tel": re.sub(r"[^0-9+]", "", d.get("phone") or ""),
        # whom to call when the entry has no phone of its own (its 所管課 via the 代表 number, …)
        "inquiry_tel": re.sub(r"[^0-9+]", "", (d.get("inquiry") or {}).get("phone") or ""),
        "hours": [schedule_text(s) for s in d.get("schedules") or []],
        "accessibility": [a for a in d.get("accessibility") or [] if a],
        "capacity": d.get("capacity"),
        "verified": jst_date(d.get("verified_at")) if d.get("verified_at") else "",
        "updated": jst_date(d.get("updated_at")) if d.get("updated_at") else "",
        "precision_label": PRECISION_LABELS.get(d.get("location_precision") or "", ""),
        "source_text": source_text(d.get("source") or ""),
        "datasets": [specs[k].name for k in sorted({*(d.get("external_ids") or {}), *([d["dataset"]] if d.get("dataset")
                                                                                  else [])}) if k in specs],
    }


def _login_page(request: Request, state: StateDep, *, message: str = "", name: str = "", status: int = 200) -> Response:
    token, fresh = login_token(request, state)
    resp = page("login.html", "サインイン", status=status, message=message, name=name, login_csrf=token)
    if fresh:
        set_cookie(resp, request, LOGIN_COOKIE, fresh)
    return resp


@router.get("/", response_class=HTMLResponse)
def index(request: Request, session: PageSession, state: StateDep, rm: ReadModelDep):
    if session is None:
        return _login_page(request, state)
    municipalities = [{"name": m.name, "code": m.city, "pref": resolve_city(m.city).pref}
                      for m in sorted(rm.nodes(kind="municipality"), key=lambda n: n.city)]
    return page("index.html", _HOME, municipalities=municipalities, **context(session))


@router.post("/login")
async def login(request: Request, state: StateDep):
    form = await check_login_token(request, state)
    name, password = form.get("name", "").strip()[:64], form.get("password", "")
    try:
        person = await check_person(state, client_of(request), name, password)
    except AuthFailed as exc:
        return _login_page(request, state, name=name, status=exc.status, message=exc.detail)
    resp = RedirectResponse("/", status_code=303)
    set_cookie(resp, request, SESSION_COOKIE, state.people.open_session(person),
               max_age=int(state.settings.session_hours * 3600))
    resp.delete_cookie(LOGIN_COOKIE, path="/")
    return resp


@router.post("/logout")
async def logout(request: Request, session: PageSession, state: StateDep):
    if session is not None:
        await checked_form(request, session)
        state.people.close_session(request.cookies.get(SESSION_COOKIE))
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """Swagger UI from the vendored ``swagger-ui-dist`` (no CDN: works offline)."""
    return page("docs.html", "API の説明")


@router.get("/pages/{city}/map", response_class=HTMLResponse)
def gap_map(city: str, session: PageSession, state: StateDep, rm: ReadModelDep):
    from resourcemap.basemap import landmarks
    from resourcemap.gaps import analyse
    from resourcemap.gaps.mapview import render_map

    c, refusal = city_gate(session, rm, city)
    if refusal is not None or c is None:
        return refusal
    raw = has_role(session, "admin")
    result = analyse(rm, c.code, aux_path=state.settings.aux_db,
                     unmet_min_count=None if raw else state.settings.unmet_min_count)
    tiles = state.settings.tiles
    return HTMLResponse(render_map(result, tiles=(tiles.url, tiles.attribution) if tiles else None,
                                   landmarks=landmarks(rm, c.code), page=context(session, c)))


@router.get("/pages/{city}/report", response_class=HTMLResponse)
def report(city: str, session: PageSession, state: StateDep, rm: ReadModelDep):
    from resourcemap.gaps import analyse
    from resourcemap.gaps.report import render_report
    from resourcemap.network.views import gap_report_section

    c, refusal = city_gate(session, rm, city)
    if refusal is not None or c is None:
        return refusal
    raw = has_role(session, "admin")
    result = analyse(rm, c.code, aux_path=state.settings.aux_db,
                     unmet_min_count=None if raw else state.settings.unmet_min_count)
    return HTMLResponse(render_report(result, extra_sections=[gap_report_section(rm.graph)],
                                      page=context(session, c)))


@router.get("/pages/{city}/network", response_class=HTMLResponse)
def network(city: str, session: PageSession, rm: ReadModelDep):
    from resourcemap.network.views import network_data, network_html

    c, refusal = city_gate(session, rm, city)
    if refusal is not None or c is None:
        return refusal
    return HTMLResponse(network_html(network_data(rm.graph, c.code), page=context(session, c)))


# -- the administrator's page: accounts and the audit log ----------------------------------------------------
def _admin_page(session: Session, state: StateDep, *, message: str = "", error: bool = False,
                status: int = 200) -> HTMLResponse:
    changes = state.store.changes(since=max(0, state.store.revision() - 50), limit=50)
    audit = [{"at": jst(c.at), "actor": c.actor or "", "op": {"create": "作成", "update": "更新", "delete": "削除",
                                                               "restore": "復元", "purge": "消去"}[c.op],
              "what": KIND_LABELS.get((c.after or c.before or {}).get("kind", ""), "関係" if c.entity == "edge" else ""),
              "name": (c.after or c.before or {}).get("name") or EDGE_LABELS.get((c.after or c.before or {}).get("kind", ""), ""),
              "id": c.entity_id, "entity": c.entity,
              "fields": _changed_fields(c.before, c.after)} for c in reversed(changes)]
    people = [{**p.as_dict(), "role": ROLE_LABELS[p.role], "created_at": jst(p.created_at),
               "disabled_at": jst(p.disabled_at)} for p in state.people.list()]
    return page("admin.html", "管理（利用者・変更の記録）", status=status, message=message, error=error,
                people=people, audit=audit, **context(session))


_FIELD_LABELS = {"name": "名称", "phone": "電話", "address": "住所", "url": "ウェブサイト", "email": "メール",
                 "description": "説明", "status": "状態", "verified_at": "確認日", "schedules": "開いている時間",
                 "source": "出典", "verified_by": "確認者", "lat": "位置", "lng": "位置", "categories": "分類"}


def _changed_fields(before: dict | None, after: dict | None) -> str:
    if not before or not after:
        return ""
    skip = {"version", "updated_at", "created_at", "source", "verified_by"}
    names = [_FIELD_LABELS.get(k, k) for k in sorted(after) if k not in skip and before.get(k) != after.get(k)]
    return "、".join(dict.fromkeys(names))


@router.get("/pages/admin", response_class=HTMLResponse)
def admin(session: PageSession, state: StateDep):
    refusal = gate(session, role="admin")
    if refusal is not None or session is None:
        return refusal
    return _admin_page(session, state)


@router.post("/pages/admin/users", response_class=HTMLResponse)
async def create_person(request: Request, session: PageSession, state: StateDep):
    refusal = gate(session, role="admin")
    if refusal is not None or session is None:
        return refusal
    form = await checked_form(request, session)
    try:
        person = await run_in_threadpool(state.people.create, form.get("name", ""), form.get("role", ""),
                                         form.get("password", ""))
    except ResourcemapError as exc:
        return _admin_page(session, state, message=exc.detail, error=True, status=422)
    return _admin_page(session, state, message=f"利用者「{person.name}」（{ROLE_LABELS[person.role]}）を作成しました。")
