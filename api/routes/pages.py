"""Web pages for people: a start page, and per municipality the gap map, the network view and
the meeting report — the same renderers the CLI writes to files, served live.

Why a cookie here: browsers cannot send ``Authorization`` headers on plain links, so the start
page takes an API key once (POST /login) and keeps it in an HttpOnly, SameSite=Strict cookie;
each page checks it with the same key ring and roles as the API (viewer or higher). The pages
are not part of the JSON API (not in the OpenAPI document) and never embed the key.
"""
from __future__ import annotations

import html

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from resourcemap.cities import resolve_city
from resourcemap.errors import ResourcemapError
from resourcemap.keys import role_at_least

from ..auth import keyring
from ..deps import ReadModelDep, StateDep

router = APIRouter(include_in_schema=False)

COOKIE = "rm_key"
_STYLE = """body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.6}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem}a{color:#0645ad}
.note{color:#555;font-size:.9rem}"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=ja><meta charset=utf-8><title>{html.escape(title)}</title>"
                        f"<style>{_STYLE}</style><body><h1>{html.escape(title)}</h1>{body}</body></html>",
                        status_code=status)


def _signed_in(request: Request, state) -> bool:
    token = request.cookies.get(COOKIE)
    info = keyring(state).verify(token) if token else None
    return info is not None and role_at_least(info.role, "viewer")


def _login_form(message: str = "") -> str:
    msg = f"<p style='color:#b00'>{html.escape(message)}</p>" if message else ""
    return (f"{msg}<form method=post action=/login><label>API キー: <input name=key type=password size=50 "
            "autocomplete=off required></label> <button>表示する</button></form>"
            "<p class=note>鍵は管理者が <code>resourcemap keys create --role viewer</code> で発行します"
            "（<code>make run</code> の初回起動時に管理者キーが一度だけ表示されます）。</p>")


@router.get("/", response_class=HTMLResponse)
def index(request: Request, state: StateDep) -> HTMLResponse:
    if not _signed_in(request, state):
        return _page("resourcemap — 社会資源・支援機関のグラフ地図", _login_form())
    rows = []
    for muni in sorted(state.readmodel.nodes(kind="municipality"), key=lambda n: n.city):
        code = muni.city
        rows.append(f"<tr><td>{html.escape(muni.name)}（{code}）</td>"
                    f"<td><a href='/pages/{code}/map'>空白地図</a></td>"
                    f"<td><a href='/pages/{code}/report'>会議資料</a></td>"
                    f"<td><a href='/pages/{code}/network'>多機関協働ネットワーク</a></td></tr>")
    body = ("<table><tr><th>市区町村</th><th colspan=3>ページ</th></tr>" + "".join(rows) + "</table>"
            "<p>API: <a href='/openapi.json'>/openapi.json</a>（<code>Authorization: Bearer &lt;key&gt;</code>）、"
            "<a href='/health'>/health</a></p>"
            "<form method=post action=/logout><button>鍵を消去</button></form>")
    return _page("resourcemap — 社会資源・支援機関のグラフ地図", body)


@router.post("/login")
def login(request: Request, state: StateDep, key: str = Form(..., max_length=200)) -> HTMLResponse:
    info = keyring(state).verify(key.strip())
    if info is None:
        return _page("resourcemap", _login_form("鍵が正しくないか、失効しています。"), status=401)
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(COOKIE, key.strip(), httponly=True, samesite="strict", path="/")
    return resp  # type: ignore[return-value]


@router.post("/logout")
def logout() -> RedirectResponse:
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


def _guard(request: Request, state, city: str):
    if not _signed_in(request, state):
        return None, RedirectResponse("/", status_code=303)
    try:
        return resolve_city(city), None
    except ResourcemapError as exc:
        return None, _page("見つかりません", f"<p>{html.escape(exc.detail)}</p>", status=404)


@router.get("/pages/{city}/map", response_class=HTMLResponse)
def gap_map(city: str, request: Request, state: StateDep, rm: ReadModelDep):
    from resourcemap.gaps import analyse
    from resourcemap.gaps.mapview import render_map

    c, refusal = _guard(request, state, city)
    if refusal is not None:
        return refusal
    return HTMLResponse(render_map(analyse(rm, c.code, aux_path=state.settings.aux_db)))


@router.get("/pages/{city}/report", response_class=HTMLResponse)
def report(city: str, request: Request, state: StateDep, rm: ReadModelDep):
    from resourcemap.gaps import analyse
    from resourcemap.gaps.report import render_report
    from resourcemap.graph.netview import gap_report_section

    c, refusal = _guard(request, state, city)
    if refusal is not None:
        return refusal
    result = analyse(rm, c.code, aux_path=state.settings.aux_db)
    return HTMLResponse(render_report(result, extra_sections=[gap_report_section(rm.graph)]))


@router.get("/pages/{city}/network", response_class=HTMLResponse)
def network(city: str, request: Request, state: StateDep, rm: ReadModelDep):
    from resourcemap.graph.netview import network_data, network_html

    c, refusal = _guard(request, state, city)
    if refusal is not None:
        return refusal
    return HTMLResponse(network_html(network_data(rm.graph, c.code)))


