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
                    f"<td><a href='/pages/{code}/network'>多機関協働ネットワーク</a></td>"
                    f"<td><a href='/pages/{code}/match'>資源をさがす（参加支援）</a></td></tr>")
    body = ("<table><tr><th>市区町村</th><th colspan=4>ページ</th></tr>" + "".join(rows) + "</table>"
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




# -- 参加支援: the coordinator's search form ------------------------------------------------------
_MEMBER_ROWS = 4


def _match_form(code: str, name: str, values: dict[str, str], message: str = "") -> str:
    from resourcemap.geo import chome_units

    def v(key: str) -> str:
        return html.escape(values.get(key, ""), quote=True)

    options = "".join(f"<option value='{html.escape(c.town)}'>" for c in chome_units(code))
    rows = "".join(
        f"<tr><td>世帯員{i + 1}</td><td><input name=age{i} type=number min=0 max=130 value='{v(f'age{i}')}' "
        f"size=4></td><td><input name=needs{i} size=40 placeholder='例: ひきこもり, 居場所' value='{v(f'needs{i}')}'>"
        "</td></tr>" for i in range(_MEMBER_ROWS))
    msg = f"<p style='color:#b00'>{html.escape(message)}</p>" if message else ""
    return (f"{msg}<form method=post action='/pages/{code}/match'>"
            f"<p><label>町丁目: <input name=address list=chome required size=24 value='{v('address')}'></label>"
            f"<datalist id=chome>{options}</datalist> "
            f"<label>距離の上限 (m): <input name=max_distance_m type=number min=100 max=20000 "
            f"value='{v('max_distance_m') or 2000}'></label></p>"
            "<table><tr><th></th><th>年齢</th><th>ニーズ（分類・ことば。複数は「,」区切り）</th></tr>"
            f"{rows}</table><p><button>さがす</button></p></form>"
            "<p class=note>入力内容は保存もログ出力もしません。該当する資源がないニーズは、町丁目・分類・"
            "年齢層・月ごとの件数としてだけ数えます（社会資源開発のため）。</p>")


def _match_html(data: dict) -> str:
    e = html.escape
    loc = data["location"]
    areas = "、".join(a["name"] for a in loc["areas"]) or "エリア不明"
    out = [f"<h2>{e(loc['chome'] or loc['town'])}（精度: {e(loc['precision'])}、{e(areas)}）</h2>"]
    for r in data["results"]:
        out.append(f"<h3>世帯員{r['member'] + 1}「{e(r['need'])}」→ {e(r['category_label'])}</h3>")
        if r["matches"]:
            out.append("<table><tr><th>#</th><th>名称</th><th>距離</th><th>点数</th><th>理由</th><th>運営</th></tr>")
            for i, m in enumerate(r["matches"], 1):
                op = e(m["operator"]["name"]) if m["operator"] else ""
                out.append(f"<tr><td>{i}</td><td>{e(m['name'])}</td><td>{m['distance_m']:.0f} m・徒歩"
                           f"{m['walk_min']}分</td><td>{m['score']:.1f}</td><td>{e('、'.join(m['reasons']))}"
                           f"</td><td>{op}</td></tr>")
            out.append("</table>")
        else:
            out.append(f"<p>{data['max_distance_m']:g} m 以内に利用できる資源はありません（未充足として件数のみ集計）。</p>")
        if r.get("unplaced"):
            out.append("<p>所在地未登録の資源: " + "、".join(e(u["name"]) for u in r["unplaced"]) + "</p>")
    out.append("<h3>支援チーム（提案）</h3><ul>")
    out += [f"<li>{e(t['name'])}: {e(t['reason'])}</li>" for t in data["team"]]
    out.append("</ul>")
    return "".join(out)


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
def match_form(city: str, request: Request, state: StateDep):
    c, refusal = _guard(request, state, city)
    if refusal is not None:
        return refusal
    return _page(f"{c.name} — 資源をさがす（参加支援）", _match_form(c.code, c.name, {}))


@router.post("/pages/{city}/match", response_class=HTMLResponse)
async def match_submit(city: str, request: Request, state: StateDep, rm: ReadModelDep):
    from pydantic import ValidationError

    from resourcemap.match import MatchRequest, match_household

    from .match import unmet_log

    c, refusal = _guard(request, state, city)
    if refusal is not None:
        return refusal
    form = {k: str(v)[:200] for k, v in (await request.form()).items()}
    title = f"{c.name} — 資源をさがす（参加支援）"
    try:
        req = MatchRequest.model_validate(_match_request(c.code, form))
        data = match_household(rm, req, unmet_log=unmet_log(state))
    except ValidationError:
        return _page(title, _match_form(c.code, c.name, form, "入力を確認してください（世帯員のニーズを一つ以上）。"),
                     status=422)
    except ResourcemapError as exc:
        return _page(title, _match_form(c.code, c.name, form, exc.detail), status=422)
    return _page(title, _match_form(c.code, c.name, form) + _match_html(data))
