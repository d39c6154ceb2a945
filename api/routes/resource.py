"""A resource's page: what it is and how to reach it, its graph neighbourhood, 「情報の誤りを報告」, and for
editors the fix form and the open reports.

Why on the page and not only in the API: a coordinator who finds a closed 居場所 or a changed phone
number reports it in one step (the corrections queue, :mod:`resourcemap.corrections`); an editor
fixes the entry there — through the one write path (:func:`resourcemap.editing.update_node`) with
the version the form was made from, so a fix based on an outdated page is refused (412), never
silently overwrites another's — and the audit log names the person.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from resourcemap import editing
from resourcemap.cities import resolve_city
from resourcemap.errors import NotFound, ResourcemapError, ValidationFailed, VersionConflict
from resourcemap.graph.readmodel import ReadModel
from resourcemap.labels import JST, KIND_LABELS, STATUS_LABELS, jst
from resourcemap.match.context import context_for
from resourcemap.model import Node
from resourcemap.people import Session
from resourcemap.queries import contact_fields, neighbourhood
from resourcemap.taxonomy import load_taxonomy

from ..deps import ReadModelDep, StateDep
from ..state import AppState
from ..web import PageSession, checked_form, has_role, page
from .pages import context, credits, gate, reach

router = APIRouter(include_in_schema=False)

#: What the fix form edits (field → label); everything else stays as it is.
EDITABLE: dict[str, str] = {"name": "名称", "phone": "電話", "address": "住所", "url": "ウェブサイト", "email": "メール",
                            "description": "説明"}
#: What a report may be about (field → label).
REPORTABLE: dict[str, str] = {**EDITABLE, "schedules": "開いている時間", "status": "休止・廃止", "location": "場所", "other": "その他"}
_MAX_ID = 2 ** 63 - 1


def _view(state: AppState, rm: ReadModel, node: Node) -> dict[str, Any]:
    tax = load_taxonomy()
    # whom to call when the entry has no phone of its own (its 所管課 via the 代表 number, …): as a match shows it
    d = {**node.public_dict(), **contact_fields(node), "inquiry": context_for(rm).inquiry(node)}
    return {
        **d, **reach(d), "kind_label": KIND_LABELS.get(node.kind, ""), "status_label": STATUS_LABELS.get(node.status, ""),
        "categories": [tax.get(c).label for c in node.categories if c in tax],
        "fields_label": "・".join(node.targets.fields),
        "ages": (f"{node.targets.age_min or 0}〜{node.targets.age_max}歳" if node.targets.age_max is not None
                 else f"{node.targets.age_min}歳以上" if node.targets.age_min else ""),
        "updated": jst(node.updated_at),
        "neighbours": [{"group": g, "items": [{**x, "kind_label": KIND_LABELS.get(x["kind"], "")} for x in items]}
                       for g, items in neighbourhood(rm, node.id).items()],
        "attributions": credits(rm, state.opendata, [node.id]),
    }


def _detail(session: Session, state: AppState, rm: ReadModel, node_id: str, *, message: str = "", error: bool = False,
            status: int = 200, form: dict[str, str] | None = None) -> HTMLResponse:
    if not rm.has(node_id):
        return page("message.html", "見つかりません", status=404, error=True, **context(session),
                    message="この資源は登録されていないか、削除されました。")
    node = rm.node(node_id)
    try:
        city = resolve_city(node.city)
    except ResourcemapError:
        city = None
    editor = has_role(session, "editor")
    reports = state.corrections.list(status="open", node_id=node_id) if editor else []
    for r in reports:
        r["created"] = jst(r["created_at"])
        r["field_label"] = REPORTABLE.get(r["field"] or "", "")
    stored = node.public_dict()
    values = {k: (form or {}).get(k, stored.get(k) or "") for k in EDITABLE}
    return page("resource.html", node.name, status=status, n=_view(state, rm, node), editor=editor, reports=reports,
                editable=EDITABLE, reportable=REPORTABLE, values=values, version=node.version, message=message,
                error=error, current="", **context(session, city))


@router.get("/pages/resource/{node_id}", response_class=HTMLResponse)
def resource(node_id: str, session: PageSession, state: StateDep, rm: ReadModelDep, done: str = ""):
    refusal = gate(session)
    if refusal is not None or session is None:
        return refusal
    message = {"reported": "報告を受け付けました。編集担当者が確認して直します。ありがとうございました。",
               "fixed": "修正しました（変更の記録にあなたの名前で残ります）。",
               "resolved": "報告を解決済みにしました。"}.get(done, "")
    return _detail(session, state, rm, node_id, message=message)


@router.post("/pages/resource/{node_id}/report")
async def report(node_id: str, request: Request, session: PageSession, state: StateDep, rm: ReadModelDep):
    refusal = gate(session)
    if refusal is not None or session is None:
        return refusal
    form = await checked_form(request, session)
    if not rm.has(node_id):
        return _detail(session, state, rm, node_id)
    field = form.get("field") if form.get("field") in REPORTABLE else None
    try:
        state.corrections.report(node_id, form.get("message", ""), field=field, reporter=session.name)
    except ResourcemapError as exc:
        return _detail(session, state, rm, node_id, message=exc.detail, error=True, status=422)
    return RedirectResponse(f"/pages/resource/{node_id}?done=reported#report", status_code=303)


@router.post("/pages/resource/{node_id}/edit")
async def edit(node_id: str, request: Request, session: PageSession, state: StateDep, rm: ReadModelDep):
    refusal = gate(session, role="editor")
    if refusal is not None or session is None:
        return refusal
    form = await checked_form(request, session)
    try:
        current = state.store.get_node(node_id)
    except NotFound:
        return _detail(session, state, rm, node_id)
    now = current.public_dict()
    changes: dict[str, Any] = {}
    for key in EDITABLE:
        if key not in form:
            continue
        new = form[key].strip() or None
        if new != (now.get(key) or None):
            changes[key] = new
    if form.get("verified"):
        changes["verified_at"] = datetime.now(JST).date().isoformat()  # the day in Japan, not the server's
    version = form.get("version", "")
    if not changes:
        return _detail(session, state, rm, node_id, message="変更された項目がありません。", error=True, status=422,
                       form=form)
    try:
        editing.update_node(state.store, node_id, changes, expected_version=int(version) if version.isdigit() else -1,
                            actor=session.name)
    except VersionConflict:
        rm.refresh()
        return _detail(session, state, rm, node_id, status=412, error=True, form=form,
                       message="このページを開いた後に、ほかの人がこの資源を更新しました。下の内容は最新のものではありません。"
                               "ページを開き直して、最新の内容に修正を加えてください。")
    except ValidationFailed as exc:
        return _detail(session, state, rm, node_id, message=exc.detail, error=True, status=422, form=form)
    rm.refresh()
    return RedirectResponse(f"/pages/resource/{node_id}?done=fixed", status_code=303)


@router.post("/pages/corrections/{correction_id}/resolve")
async def resolve(request: Request, session: PageSession, state: StateDep,
                  correction_id: int = Path(ge=1, le=_MAX_ID)):
    refusal = gate(session, role="editor")
    if refusal is not None or session is None:
        return refusal
    form = await checked_form(request, session)
    status = "rejected" if form.get("status") == "rejected" else "resolved"
    try:
        done = state.corrections.resolve(correction_id, status, by=session.name, note=form.get("note") or None)
    except NotFound as exc:
        return page("message.html", "見つかりません", status=404, error=True, message=exc.detail, **context(session))
    return RedirectResponse(f"/pages/resource/{done['node_id']}?done=resolved", status_code=303)
