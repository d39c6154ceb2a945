"""Planning and applying an import: a per-row report first, then ONE transaction.

Why plan then apply: ``dry_run`` must say exactly what a real run would do — which rows
create, update or leave a node unchanged, with the before/after of every changed field —
and list every error with its row and column. The real run writes the plan in one store
batch, so it is all or nothing (a crash or a conflicting edit in between leaves the
catalogue as it was). Updates carry the version seen while planning; if someone edits the
same node meanwhile the batch fails with 412 instead of overwriting their change.

How a row finds its node: by ``id`` when given, else by (市区町村, 種別, 名称) among live
nodes, else it is new. Columns present in the file replace the node's values (an empty
cell clears a field); columns absent leave them alone.

Duplicates: a row without an ``id`` that repeats the 名称 and 所在地 (same 市区町村, compared
after :func:`~resourcemap.textnorm.normalize`) of an earlier row of the same file is an error —
the dry run reports it and the real run writes nothing — since two rows would otherwise
create two nodes for one resource. When it would create a node with the 名称 and 所在地 of a
live node of another 種別, the row carries a warning (dry run and real run alike) naming that
node, and is created: the same name at the same address may be a different resource.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable, Literal

from ..editing import edge_problems, node_problems
from ..errors import ResourcemapError, ValidationFailed
from ..graph.stores.base import GraphStore, NodeKey
from ..model import READ_ONLY, Edge, Node, new_id, parse_edge, parse_node
from ..taxonomy import load_taxonomy
from ..textnorm import normalize
from .fields import BY_NAME, header_label, parse_cell
from .records import Record, RecordSet

__all__ = ["RowReport", "ImportPlan", "ImportFailed", "plan_import", "apply_plan"]

Action = Literal["create", "update", "unchanged", "error"]
Progress = Callable[[int, int], None]


class ImportFailed(ValidationFailed):
    """The import has errors; nothing was written. ``report`` is the per-row report."""

    def __init__(self, detail: str, report: dict[str, Any]) -> None:
        super().__init__(detail, errors=report["errors"])
        self.report = report


@dataclass
class RowReport:
    row: int
    id: str | None = None
    name: str | None = None
    action: Action = "error"
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "id": self.id, "name": self.name, "action": self.action, "changes": self.changes,
                "errors": self.errors, "warnings": self.warnings}


@dataclass
class ImportPlan:
    label: str
    format: str
    rows: list[RowReport]
    file_errors: list[dict[str, Any]]
    creates: list[Node] = field(default_factory=list)
    updates: list[tuple[Node, int]] = field(default_factory=list)  # the merged, validated node and the version seen
    edges: list[Edge] = field(default_factory=list)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.file_errors + [e for r in self.rows for e in r.errors]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, int]:
        out = {"rows": len(self.rows), "create": 0, "update": 0, "unchanged": 0, "error": 0, "edges": len(self.edges)}
        for r in self.rows:
            out[r.action] += 1
        return out

    def report(self, *, dry_run: bool) -> dict[str, Any]:
        s = self.summary()
        return {"file": self.label, "format": self.format, "dry_run": dry_run, "ok": self.ok,
                "added": s["create"], "changed": s["update"], "unchanged": s["unchanged"], "inactivated": 0,
                "summary": s, "errors": self.errors, "rows": [r.as_dict() for r in self.rows]}


# -- helpers --------------------------------------------------------------------------------
_ROOT_HINTS = ("location_precision", "lat", "program", "level", "role", "age_min")


def _column(rec: Record, fieldname: str, message: str) -> str | None:
    """The column (as named in the file) an error belongs to; the expected header when absent."""
    if fieldname in ("(body)", ""):
        hit = next((h for h in _ROOT_HINTS if re.search(rf"\b{h}\b", message)), None)
        fieldname = {"age_min": "targets.age_min"}.get(hit or "", hit or "")
    parts = fieldname.split(".")
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in rec.columns:
            return rec.columns[key]
        if key in BY_NAME:
            return header_label(BY_NAME[key])
    return fieldname or None


class _Row:
    """One record on its way to a node."""

    def __init__(self, rec: Record, report: RowReport) -> None:
        self.rec, self.report = rec, report
        self.typed: dict[str, Any] = {}
        self.matched: str | None = None  # the id of the stored node the row names or matches by key
        self.node: Node | None = None
        self.current: Node | None = None

    def error(self, fieldname: str, message: str) -> None:
        self.report.errors.append({"row": self.rec.row, "column": _column(self.rec, fieldname, message),
                                   "field": fieldname, "message": message})


def _typed(row: _Row) -> None:
    for name, raw in row.rec.values.items():
        spec = BY_NAME.get(name)
        if spec is None:
            continue
        try:
            row.typed[name] = parse_cell(spec, raw)
        except ValueError as exc:
            row.error(name, str(exc))


def _resolve_categories(row: _Row) -> None:
    if "categories" not in row.typed:
        return
    tax, ids = load_taxonomy(), []
    for term in row.typed["categories"]:
        try:
            ids.append(tax.resolve(str(term)).category.id)
        except ResourcemapError as exc:
            row.error("categories", exc.detail)
    row.typed["categories"] = list(dict.fromkeys(ids))


def _place(row: _Row, data: dict[str, Any], city: str | None) -> None:
    """Coordinates: given lat/lng, else the 所在町丁目 geocoded, else (new rows) the address geocoded — unless
    the file says the site is not placed (位置精度 ``none``: e.g. an open-data site whose published point
    lay outside its municipality keeps its address but no point, and an export → import must keep that)."""
    t = row.typed
    precision_given = t.get("location_precision") is not None
    if t.get("lat") is not None or t.get("lng") is not None:
        if not precision_given:
            cur = row.current
            same = cur is not None and (cur.lat, cur.lng) == (t.get("lat"), t.get("lng"))
            data["location_precision"] = cur.location_precision if same and cur else "exact"
        return
    unplaced = t.get("location_precision") == "none"
    text = t.get("locate") or (t.get("address") if row.current is None and "lat" not in t and not unplaced else None)
    if text and city:
        from ..geo import geocode

        try:
            hit = geocode(str(text), city=city)
        except ResourcemapError as exc:
            if t.get("locate"):
                row.error("locate", exc.detail)
            else:
                row.report.warnings.append(f"住所から位置を特定できませんでした（{exc.detail}）。"
                                           "緯度・経度か所在町丁目を書いてください")
            return
        data.update(lat=hit.lat, lng=hit.lng, location_precision=hit.precision)
    elif ("lat" in t or "lng" in t) and not precision_given:
        data["location_precision"] = "none"  # coordinates cleared


def _node_data(row: _Row, label: str) -> dict[str, Any]:
    """The node's fields: the current node's (when updating) overlaid with the row's columns."""
    t = row.typed
    data = row.current.content_dict() if row.current is not None else {}
    targets = dict(data.get("targets") or {})
    for name, value in t.items():
        if name in ("locate", "version"):
            continue
        if name.startswith("targets."):
            targets[name.split(".", 1)[1]] = value
        else:
            data[name] = value
    if targets.get("residents_only") is None:
        targets.pop("residents_only", None)  # an empty cell means the default (no residency rule)
    data["targets"] = targets
    for key in ("status", "location_precision"):
        if data.get(key) is None:
            data.pop(key, None)
    if row.current is None and not data.get("source"):
        data["source"] = f"import:{label}"
    _place(row, data, data.get("city"))
    return data


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: {"before": before.get(k), "after": v} for k, v in after.items()
            if k not in READ_ONLY and before.get(k) != v}


# -- planning -------------------------------------------------------------------------------
def _place_key(node: Node | NodeKey) -> tuple[str, str, str]:
    """(市区町村, 名称, 所在地) as compared for duplicates."""
    return node.city, _text_key(node.name), _text_key(node.address or "")


#: :func:`normalize` remembered for the catalogue's names and addresses, which every import keys again
#: (most are the same from one import to the next; bounded, so a server's memory is too).
_text_key = lru_cache(maxsize=1 << 14)(normalize)


class _Current:
    """The catalogue the plan is made against: the natural keys of the live nodes in the file's
    municipalities, and the few nodes the file touches — its rows' own nodes and the ones they refer
    to — fetched by id.

    Why keys, not nodes: a one-row file must not parse every stored image of the catalogue (the
    soak's server spent a third of its time there). Every key a row is matched on — (市区町村, 種別,
    名称), (市区町村, 名称, 所在地), a 福祉エリア's name — holds its municipality, so only the keys of the
    file's municipalities are read; ids are looked up by id.
    """

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._cities: set[str] = set()
        self._nodes: dict[str, Node | None] = {}
        self.by_key: dict[tuple[str | None, str | None, str], str] = {}
        self.by_place: dict[tuple[str, str, str], NodeKey] = {}
        self.areas: dict[tuple[str, str], str] = {}

    def load_cities(self, cities: Iterable[Any]) -> None:
        """Read the keys of the municipalities among *cities* not read yet, in one store call."""
        new = sorted({c for c in cities if isinstance(c, str)} - self._cities)
        if not new:
            return
        self._cities.update(new)
        for k in self._store.node_keys(new):  # in id order: the last of equal keys wins, as it always has
            if k.deleted:
                continue
            place = _place_key(k)
            self.by_key[(k.city, k.kind, place[1])] = k.id
            self.by_place[place] = k
            if k.kind == "area":
                self.areas[(k.city, place[1])] = k.id

    def matched(self, typed: dict[str, Any]) -> str | None:
        """The id a row names, else the live node with its (市区町村, 種別, 名称), else None."""
        return typed.get("id") or self.by_key.get((typed.get("city"), typed.get("kind"),
                                                   normalize(typed.get("name") or "")))

    def fetch(self, node_ids: Iterable[Any]) -> None:
        """Read the stored nodes among *node_ids* not read yet (absent ones too), in one store call."""
        want = [i for i in dict.fromkeys(node_ids) if isinstance(i, str) and i not in self._nodes]
        if want:
            found = self._store.get_nodes(want)
            self._nodes.update((i, found.get(i)) for i in want)

    def node(self, node_id: str) -> Node | None:
        """The stored node with this id, deleted too (None: there is none)."""
        self.fetch([node_id])
        return self._nodes[node_id]

    def exists(self, node_id: str) -> bool:
        """Whether the catalogue has a node with this id (deleted or not)."""
        return self.node(node_id) is not None

    def live(self, node_id: str | None) -> bool:
        node = self.node(node_id) if node_id else None
        return node is not None and not node.deleted


def _typed_row(rec: Record) -> _Row:
    """The record with its cells typed (errors noted on the row)."""
    row = _Row(rec, RowReport(row=rec.row, warnings=list(rec.warnings)))
    _typed(row)
    _resolve_categories(row)
    return row


def _read_row(row: _Row, cur: _Current, seen: dict[str, int], label: str) -> _Row | None:
    """Find the row's node, build and validate the node (None: a stub already present)."""
    rec, t, node_id = row.rec, row.typed, row.matched
    if rec.stub and (node_id in seen or cur.live(node_id)):
        return None  # an organization/program already in the catalogue or in this file
    if node_id and node_id in seen:
        row.error("id", f"{seen[node_id]} 行目と同じ資源（id {node_id}）です。1 資源 1 行にしてください")
        return row
    row.current = cur.node(node_id) if node_id else None
    if row.current is not None:
        if row.current.deleted:
            row.error("id", f"{node_id} は削除済みです。先に復元（POST /v1/nodes/{node_id}/restore）してください")
            return row
        if t.get("kind") not in (None, row.current.kind):
            row.error("kind", f"種別は変更できません（{row.current.kind} → {t['kind']}）。新しい id で作成してください")
        if t.get("version") is not None and t["version"] != row.current.version:
            row.error("version", f"書き出した後に更新されています（版 {t['version']} → 現在 {row.current.version}）。"
                                 "最新を書き出して直してください")
    node_id = node_id or (new_id(t["kind"]) if t.get("kind") else None)
    data = _node_data(row, label)
    if node_id:
        seen[node_id] = rec.row
        data["id"] = node_id
    row.report.id, row.report.name = node_id, data.get("name")
    if not row.report.errors:
        try:
            row.node = parse_node(data)
        except ValidationFailed as exc:
            for p in exc.errors:
                row.error(p["field"], p["message"])
    return row


def _decide(row: _Row, plan: ImportPlan, lookup: Callable[[str], Node | None]) -> None:
    """Check the node against the catalogue (and the rest of the file); create, update or leave it."""
    if row.node is None:
        return
    for p in node_problems(row.node, lookup):
        row.error(p["field"], p["message"])
    if row.report.errors:
        row.report.action = "error"
    elif row.current is None:
        row.report.action = "create"
        row.report.changes = {k: {"before": None, "after": v} for k, v in row.node.content_dict().items()
                              if v not in (None, [], {}, False) and k not in READ_ONLY}
        plan.creates.append(row.node)
    else:
        row.report.changes = _diff(row.current.content_dict(), row.node.content_dict())
        row.report.action = "update" if row.report.changes else "unchanged"
        if row.report.changes:
            plan.updates.append((row.node, row.current.version))


def plan_import(store: GraphStore, records: RecordSet) -> ImportPlan:
    """Read the records against the current catalogue and decide, row by row, what would change."""
    label = records.label
    plan = ImportPlan(label=label, format=records.format, rows=[], file_errors=list(records.errors))
    cur = _Current(store)
    ordered = [r for r in records.records if not r.stub] + [r for r in records.records if r.stub]
    typed = [_typed_row(rec) for rec in ordered]
    cur.load_cities(row.typed.get("city") for row in typed)
    for row in typed:
        row.matched = cur.matched(row.typed)
    cur.fetch(row.matched for row in typed)  # the rows' own nodes, in one read
    seen: dict[str, int] = {}
    rows = [row for row in typed if _read_row(row, cur, seen, label) is not None]
    planned = {r.node.id: r.node for r in rows if r.node is not None}

    def lookup(node_id: str) -> Node | None:
        n = planned.get(node_id) or cur.node(node_id)
        return None if n is None or n.deleted else n

    cur.load_cities(n.city for n in planned.values())  # an updated row may take its municipality from its node
    cur.fetch([n.area_id for n in planned.values()]  # what the rows refer to, in one read
              + [raw.get(end) for r in rows for raw in r.rec.edges for end in ("source", "target")])
    _resolve_area_names(rows, planned, cur)
    cur.fetch(n.area_id for n in planned.values())  # an area named instead of its id
    _flag_duplicates(rows, cur)
    for row in rows:
        _decide(row, plan, lookup)
    live_edges: set[tuple[str, str, str]] = ({(e.kind, e.source, e.target) for e in store.query_edges()}
                                             if any(r.rec.edges for r in rows) else set())
    for row in rows:
        _plan_edges(row, plan, lookup, live_edges)
    plan.rows = [r.report for r in rows]
    plan.creates.sort(key=lambda n: n.kind != "area")  # areas first: nodes naming them in area_id find them
    return plan


def _flag_duplicates(rows: list[_Row], cur: _Current) -> None:
    """Rows without an id that repeat the 名称+所在地 of an earlier row (error) or of a live node of another kind (warning)."""
    first: dict[tuple[str, str, str], int] = {}
    for row in rows:
        if row.node is None or row.rec.stub:
            continue
        key = _place_key(row.node)
        if row.typed.get("id"):
            first.setdefault(key, row.rec.row)
            continue
        if key in first:
            row.error("name", f"{first[key]} 行目と名称・所在地が同じです。同じ資源なら 1 行にまとめ、別の資源なら "
                              "ID 列で区別してください")
            continue
        first[key] = row.rec.row
        twin = cur.by_place.get(key)
        if row.current is None and twin is not None:
            row.report.warnings.append(f"カタログの {twin.id}（{twin.kind}）と名称・所在地が同じです。同じ資源なら "
                                       f"ID 列に {twin.id} と書いて更新にしてください（このままでは別の資源として作成します）")


def _resolve_area_names(rows: list[_Row], planned: dict[str, Node], cur: _Current) -> None:
    """Let a spreadsheet name the 福祉エリア (「白糸台福祉エリア」) instead of its id."""
    areas = dict(cur.areas)
    for n in planned.values():
        if n.kind == "area" and not n.deleted:
            areas[(n.city, normalize(n.name))] = n.id
    for row in rows:
        if row.node is None:
            continue
        n = row.node
        if not n.area_id or n.area_id in planned or cur.exists(n.area_id):
            continue
        hit = areas.get((n.city, normalize(n.area_id)))
        if hit:
            row.node = n.model_copy(update={"area_id": hit})
            planned[n.id] = row.node


def _plan_edges(row: _Row, plan: ImportPlan, lookup: Callable[[str], Node | None],
                live: set[tuple[str, str, str]]) -> None:
    if row.report.action == "error":
        return
    for raw in row.rec.edges:
        key = (raw.get("kind"), raw.get("source"), raw.get("target"))
        if key in live:
            continue
        try:
            edge = parse_edge(raw)
        except ValidationFailed as exc:
            for p in exc.errors:
                row.error(f"edge.{p['field']}", p["message"])
            continue
        problems = edge_problems(edge, lookup)
        for p in problems:
            row.error(f"edge.{p['field']}", p["message"])
        if problems:
            row.report.action = "error"
            continue
        live.add(key)  # type: ignore[arg-type]
        plan.edges.append(edge)


# -- applying -------------------------------------------------------------------------------
def apply_plan(store: GraphStore, plan: ImportPlan, *, actor: str, progress: Progress | None = None) -> int:
    """Write the plan in ONE transaction; returns the catalogue revision after it."""
    if not plan.ok:
        raise ImportFailed(f"{plan.label}: {len(plan.errors)} 件のエラーがあるため取り込みませんでした。",
                           plan.report(dry_run=False))
    total = len(plan.creates) + len(plan.updates) + len(plan.edges)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    with store.batch():
        for node in plan.creates:
            store.create_node(node, actor=actor)
            tick()
        for node, version in plan.updates:
            store.update_node(node, expected_version=version, actor=actor)
            tick()
        for edge in plan.edges:
            store.create_edge(edge, actor=actor)
            tick()
    return store.revision()
