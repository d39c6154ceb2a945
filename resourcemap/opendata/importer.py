"""Importing an open-data file: read, check against the municipality, diff against the catalogue, apply once.

Why a diff and not a reload: the publisher's id (``external_ids[<dataset>]``) is stable, so the
same file imported again changes nothing, and a newer file yields exactly what the publisher
changed — sites added, sites changed (which fields), sites gone (marked ``inactive``, never
deleted). A new row whose name the plan already gives (府中市's 白糸台文化センター) is *bound* to
that node instead of becoming a second node for the same place (:mod:`.names`, unique matches
only; the rest go to the review queue, :mod:`.linker`). Which fields a dataset may set on a node
is :mod:`.merge`'s one rule.

Steps, each reporting by row and column: the reader (:data:`READERS`) → municipality and point
checks (every point must lie in its municipality's boundary; one vectorised test per city) →
per city, the plan (added; changed; linked — bound to a plan's node; matched — bound to a site another
dataset created; unchanged; inactivated) → in ONE store
transaction, every city's writes, recorded in the change log as ``import:<dataset>@<date>``.
A dry run makes the same plan and writes nothing. Any error and nothing is written, unless
``skip_errors``: then the rows with errors are left out — except a row whose only fault is its
point, which is imported without one (the facility exists; only the point is unusable) — and the
errors stay in the report.

Memory stays bounded on national files: rows are planned and written one municipality at a time,
and the report keeps counts plus the first :data:`DIFF_LIMIT` entries of each list.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache, partial
from typing import Any, Callable, Protocol

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ..cities import CITIES
from ..errors import InputError, NotFound, ValidationFailed
from ..graph.stores.base import GraphStore, NodeQuery
from ..io.plan import ImportFailed
from ..model import RESOURCE_KINDS, Node, Targets, now_utc, parse_node
from .gsi import read_gsi
from .merge import changes_for, owner_of, source_of
from .mhlw import read_mhlw_care
from .names import name_keys, within_reach
from .rows import Problem, ReadResult, Scope, SiteRow
from .standard import SPECS, read_standard

__all__ = ["READERS", "FORMATS", "Geography", "PackagedGeography", "ImportResult", "import_open_data",
           "DIFF_LIMIT", "parse_scope", "date_from_name"]

#: format → reader (what ``resourcemap import --format`` and ``POST /v1/import?format=`` accept).
READERS: dict[str, Callable[[bytes, str, Scope], ReadResult]] = {
    "gsi-shelters": read_gsi,
    "mhlw-care": read_mhlw_care,
    **{fmt: partial(read_standard, fmt) for fmt in SPECS},
}
FORMATS = tuple(READERS)
#: How many entries of each diff list a report carries (the counts are always complete).
DIFF_LIMIT = 500


class Geography(Protocol):
    """Where a municipality is: its boundary (WGS84, x = lng), or None when it is not known here."""

    def boundary(self, code: str) -> BaseGeometry | None: ...


class PackagedGeography:
    """The municipalities and boundaries the package ships (:mod:`resourcemap.cities`, :mod:`resourcemap.geo`)."""

    def boundary(self, code: str) -> BaseGeometry | None:
        if code not in CITIES:
            return None
        from ..geo.boundaries import boundary

        try:
            return boundary(code)
        except NotFound:
            return None


def parse_scope(city: str | None = None, pref: str | None = None) -> Scope:
    """``--city`` (a code or name) and ``--pref`` (東京都, 13) as a :class:`Scope`."""
    from .codes import pref_code

    if city:
        text = city.strip()
        if text.isdigit() and len(text) in (5, 6):
            from .codes import city_code

            try:
                return Scope(city=city_code(text))
            except ValueError as exc:
                raise InputError(str(exc)) from None
        from ..cities import resolve_city

        return Scope(city=resolve_city(text).code)
    if pref:
        code = pref_code(pref)
        if code is None:
            raise InputError(f"都道府県 {pref!r} が分かりません（例: 東京都, 13）。")
        return Scope(pref=code)
    return Scope()


_DATE_IN_NAME = re.compile(r"(20\d{2})[-_]?(0[1-9]|1[0-2])[-_]?(0[1-9]|[12]\d|3[01])")


def date_from_name(name: str) -> date | None:
    """The data's date when the file name carries it (``…_20250601.csv``, ``mhlw_2025-06-01``)."""
    m = _DATE_IN_NAME.search(name or "")
    try:
        return date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------ report
@dataclass
class ImportResult:
    """Counts, problems and the (bounded) diff of one import; :meth:`as_dict` is the CLI/API shape."""

    format: str
    dataset: str
    file: str
    scope: str
    as_of: str | None
    date_basis: str
    dry_run: bool
    rows_read: int = 0
    outside: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("added", "changed", "linked", "matched", "unchanged", "inactivated", "unlinked", "skipped"), 0))
    diff: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    cities: set[str] = field(default_factory=set)
    error_rows: set[int] = field(default_factory=set)
    revision: int | None = None
    links: dict[str, Any] = field(default_factory=dict)

    def note(self, what: str, entry: dict[str, Any]) -> None:
        self.counts[what] += 1
        if len(self.diff[what]) < DIFF_LIMIT:
            self.diff[what].append(entry)

    def row_error(self, row: int, column: str | None, message: str) -> None:
        self.errors.append({"row": row, "column": column, "message": message})
        self.error_rows.add(row)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        c = self.counts
        return {"format": self.format, "dataset": self.dataset, "file": self.file, "scope": self.scope,
                "date": self.as_of, "date_basis": self.date_basis, "dry_run": self.dry_run, "ok": self.ok,
                "added": c["added"], "changed": c["changed"], "unchanged": c["unchanged"],
                "inactivated": c["inactivated"], "linked": c["linked"], "matched": c["matched"],
                "unlinked": c["unlinked"],
                "skipped": c["skipped"], "rows_read": self.rows_read, "outside": self.outside,
                "cities": sorted(self.cities), "errors": self.errors, "warnings": self.warnings[:DIFF_LIMIT],
                "warnings_total": len(self.warnings), "diff": {k: v for k, v in self.diff.items() if v},
                "revision": self.revision, "links": self.links}


# ------------------------------------------------------------------------------------------ checks
def _check_places(rows: list[SiteRow], city: str, geography: Geography, result: ImportResult) -> list[SiteRow]:
    """Drop rows of unknown municipalities; rows whose point is outside the city lose the point (an error)."""
    geom = geography.boundary(city)
    if geom is None:
        for r in rows:
            result.row_error(r.row, r.columns.get("city", "市区町村コード"),
                             f"市区町村コード {city} の市区町村はこのカタログにありません（境界データがありません）")
        return []
    placed = [r for r in rows if r.fields.get("lat") is not None]
    if placed:
        lat = np.fromiter((r.fields["lat"] for r in placed), float, len(placed))
        lng = np.fromiter((r.fields["lng"] for r in placed), float, len(placed))
        inside = shapely.intersects_xy(geom, lng, lat)  # points: intersects = covers (border counts as inside)
        name = CITIES[city].name if city in CITIES else city
        for r, ok in zip(placed, inside):
            if not ok:
                result.row_error(r.row, r.columns.get("lat"), f"緯度・経度 ({r.fields['lat']}, {r.fields['lng']}) は"
                                                              f"{name}の区域外です。位置は取り込みません")
                for key in ("lat", "lng", "location_precision"):
                    r.fields.pop(key, None)
                r.point_error = True
    return rows


# ------------------------------------------------------------------------------------------ planning
@dataclass
class _CityIndex:
    """The catalogue of one municipality as an import sees it."""

    nodes: list[Node]
    dataset: str

    def __post_init__(self) -> None:
        self.by_pid: dict[str, Node] = {}
        for n in self.nodes:
            pid = n.external_ids.get(self.dataset)
            if pid:
                for part in pid.split("+"):
                    # a live node wins over a deleted one carrying the same id
                    if part not in self.by_pid or self.by_pid[part].deleted:
                        self.by_pid[part] = n
        self.ids = {n.id for n in self.nodes}
        self._candidates: list[tuple[Node, frozenset[str]]] | None = None

    def bound(self, pid: str) -> Node | None:
        for part in pid.split("+"):
            if part in self.by_pid:
                return self.by_pid[part]
        return None

    def candidates(self) -> list[tuple[Node, frozenset[str]]]:
        """Live nodes a new row may be the same place as: resources not yet bound to this dataset, one site each."""
        if self._candidates is None:
            self._candidates = [(n, name_keys(n.name, n.city) | (name_keys(n.alternate_name, n.city)
                                                                  if n.alternate_name else frozenset()))
                                for n in self.nodes
                                if not n.deleted and n.kind in RESOURCE_KINDS and (n.count or 1) == 1
                                and self.dataset not in n.external_ids and n.status != "inactive"]
        return self._candidates


def _node_id(dataset: str, city: str, pid: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._:-]", "_", f"{dataset}.{city}.{pid.split('+')[0]}")[:120]
    node_id, n = base, 1
    while node_id in taken:
        n += 1
        node_id = f"{base}-{n}"
    taken.add(node_id)
    return node_id


@lru_cache(maxsize=64)
def _targets(fields: tuple[str, ...]) -> dict[str, Any]:
    return Targets(fields=list(fields)).model_dump(mode="json")


def _owned(row: SiteRow) -> dict[str, Any]:
    """The owner-only fields as the row states them, in the node's JSON form."""
    return {"name": row.name, "alternate_name": row.fields.get("alternate_name"),
            "description": row.fields.get("description"), "categories": list(row.categories),
            "targets": dict(_targets(row.rule.fields))}


def _site_fields(row: SiteRow) -> dict[str, Any]:
    return {k: v for k, v in row.fields.items() if k not in ("alternate_name", "description")}


@dataclass
class _CityState:
    """One municipality while it is planned: its nodes as they will be, the creates and the merged updates."""

    nodes: dict[str, Node]                                   # existing nodes (deleted too), updates applied
    creates: dict[str, Node] = field(default_factory=dict)   # new nodes, in order
    updates: dict[str, int] = field(default_factory=dict)   # id of a changed node → the version it was read at

    def all_nodes(self) -> list[Node]:
        return [*self.nodes.values(), *self.creates.values()]

    def change(self, node: Node, merged: Node) -> None:
        """Record that *node* becomes *merged* (a create is rewritten; an existing node's updates accumulate,
        written at the end as the node's last state, based on the version it was first read at)."""
        if node.id in self.creates:
            self.creates[node.id] = merged
            return
        self.updates.setdefault(node.id, node.version)
        self.nodes[node.id] = merged.model_copy(update={"version": node.version, "deleted": node.deleted})


class _Planner:
    """Plans one dataset (one file), municipality after municipality, into the shared :class:`_CityState`."""

    def __init__(self, dataset: str, result: ImportResult, *, scope_key_of: Callable[[str], str | None] | None,
                 scope_keys: frozenset[str] | None, present: set[str]) -> None:
        self.dataset, self.result = dataset, result
        self.scope_key_of, self.scope_keys, self.present = scope_key_of, scope_keys, present

    def _model_errors(self, row: SiteRow, exc: ValidationFailed) -> None:
        for p in exc.errors:
            key = p["field"].split(".")[0]
            self.result.row_error(row.row, row.columns.get(key, key), p["message"])

    def plan_city(self, city: str, rows: list[SiteRow], state: _CityState) -> None:
        """Decide each row of *city* against *state*; the report is filled as it goes."""
        dataset, result = self.dataset, self.result
        index = _CityIndex(state.all_nodes(), dataset)
        claimed: dict[str, int] = {}
        matches = self._bindings(rows, index)
        for row in rows:
            node = index.bound(row.pid) or matches.get(row.row)
            entry = {"row": row.row, "name": row.name}
            if node is not None and node.deleted:
                result.warnings.append({"row": row.row, "column": None,
                                        "message": f"{node.id} はカタログで削除済みのため取り込みません"})
                result.note("unchanged", {**entry, "id": node.id})
                continue
            if node is not None and node.id in claimed:
                result.row_error(row.row, row.columns.get("name", "名称"),
                                 f"{claimed[node.id]} 行目と同じ施設（{node.id}）です。1 施設 1 行にしてください")
                continue
            if node is None:
                data = {"id": _node_id(dataset, city, row.pid, index.ids), "kind": row.rule.kind, "city": city,
                        "source": source_of(dataset), "external_ids": {dataset: row.pid},
                        **{k: v for k, v in _owned(row).items() if v is not None}, **_site_fields(row)}
                try:
                    created = parse_node(data)
                except ValidationFailed as exc:
                    self._model_errors(row, exc)
                    continue
                state.creates[created.id] = created
                result.note("added", {**entry, "id": created.id})
                continue
            claimed[node.id] = row.row
            first = dataset not in node.external_ids
            try:
                changes = changes_for(node, dataset, row.pid, _site_fields(row), owned=_owned(row))
                merged = parse_node({**node.content_dict(), **changes}) if changes else node
            except ValidationFailed as exc:
                self._model_errors(row, exc)
                continue
            if owner_of(node) == dataset and row.rule.kind != node.kind:
                result.warnings.append({"row": row.row, "column": None, "message":
                                        f"{node.id} の種別が {node.kind} から {row.rule.kind} に変わりましたが、"
                                        "種別は変えられないためそのままです"})
            if changes:
                before = node.content_dict()
                state.change(node, merged)
                what = ("linked" if owner_of(node) is None else "matched") if first else "changed"
                result.note(what, {**entry, "id": node.id, "fields": {k: {"before": before.get(k), "after": v}
                                                                     for k, v in changes.items()}})
            else:
                result.note("unchanged", {**entry, "id": node.id})
        self._gone(state, claimed)

    def _bindings(self, rows: list[SiteRow], index: _CityIndex) -> dict[int, Node]:
        """New rows that name an existing node unambiguously (one exact match, each way) → that node.

        Only equal name keys bind (:data:`~.names.AUTO`): a dictionary look-up per row, so a national
        file stays linear; closer reading of near-misses is the linker's (:mod:`.linker`).
        """
        cands = index.candidates()
        if not cands:
            return {}
        by_key: dict[str, list[Node]] = defaultdict(list)
        for n, keys in cands:
            for k in keys:
                by_key[k].append(n)
        hits: dict[int, list[Node]] = {}
        for row in rows:
            if index.bound(row.pid) is not None:
                continue
            found = {n.id: n for k in name_keys(row.name, row.city) for n in by_key.get(k, ())}
            hits[row.row] = [n for n in found.values()
                             if within_reach(n, row.fields.get("lat"), row.fields.get("lng"))]
        rows_per_node: dict[str, int] = defaultdict(int)
        for found_nodes in hits.values():
            for n in found_nodes:
                rows_per_node[n.id] += 1
        return {r: f[0] for r, f in hits.items() if len(f) == 1 and rows_per_node[f[0].id] == 1}

    def _gone(self, state: _CityState, claimed: dict[str, int]) -> None:
        """Nodes bound to this dataset whose ids the file no longer lists: owned → inactive, others → unbound."""
        dataset = self.dataset
        for node in list(state.nodes.values()):
            pid = node.external_ids.get(dataset)
            if not pid or node.deleted or node.id in claimed:
                continue
            parts = pid.split("+")
            if any(p in self.present for p in parts):
                continue  # listed, but its row had errors: leave it as it is
            if self.scope_keys is not None and self.scope_key_of is not None \
                    and self.scope_key_of(parts[0]) not in self.scope_keys:
                continue  # a service type this file does not cover
            if owner_of(node) == dataset:
                if node.status != "inactive":
                    state.change(node, node.model_copy(update={"status": "inactive"}))
                    self.result.note("inactivated", {"id": node.id, "name": node.name})
            else:
                ids = {k: v for k, v in node.external_ids.items() if k != dataset}
                state.change(node, node.model_copy(update={"external_ids": ids}))
                self.result.note("unlinked", {"id": node.id, "name": node.name})


def _mhlw_scope_key(pid: str) -> str | None:
    return pid.rsplit(":", 1)[1] if ":" in pid else None


def _apply(store: GraphStore, state: _CityState, actor: str) -> None:
    if state.creates:
        store.bulk_load(state.creates.values(), [], actor=actor)
    for node_id, version in state.updates.items():  # each node as planned: validated once, in the plan
        store.update_node(state.nodes[node_id], expected_version=version, actor=actor)


def _combined(results: list[ImportResult]) -> dict[str, Any]:
    """One report for several files: the counts summed, the problems with their file, each file's own report."""
    if len(results) == 1:
        return results[0].as_dict()
    parts = [r.as_dict() for r in results]
    out = {**parts[0], "file": " + ".join(r.file for r in results), "dataset": "+".join(r.dataset for r in results),
           "files": parts}
    for key in ("added", "changed", "unchanged", "inactivated", "linked", "matched", "unlinked", "skipped",
                "rows_read", "outside", "warnings_total"):
        out[key] = sum(p[key] for p in parts)
    out["errors"] = [{**e, "file": p["file"]} for p in parts for e in p["errors"]]
    out["warnings"] = [{**w, "file": p["file"]} for p in parts for w in p["warnings"]][:DIFF_LIMIT]
    out["ok"] = all(p["ok"] for p in parts)
    out["cities"] = sorted({c for p in parts for c in p["cities"]})
    out["diff"] = {}
    out["links"] = results[-1].links
    return out


def import_open_data(store: GraphStore, data: bytes | list[tuple[str, bytes]], fmt: str, *, name: str = "upload",
                     city: str | None = None, pref: str | None = None, as_of: date | None = None,
                     dry_run: bool = True, skip_errors: bool = False, actor: str | None = None,
                     geography: Geography | None = None, registry: Any = None, link: bool = True) -> dict[str, Any]:
    """Import a publisher's file of format *fmt* (:data:`FORMATS`); returns the report (:meth:`ImportResult.as_dict`).

    *data* is the file's bytes (named *name*), or a list of ``(name, bytes)`` files of the same format
    imported together in ONE transaction — 国土地理院's 指定避難所 and 指定緊急避難場所 lists, whose shared
    sites are then created once with both ids. *city*/*pref* restrict the import (a code or a name;
    default: every municipality in the file); *as_of* is the data's date (default: from the file
    name, else unknown — the import date is then recorded instead). The change log records the
    writes as ``import:<dataset>@<date>``, followed by `` (<actor>)`` when *actor* (who ran the
    import) is given. Raises :class:`~resourcemap.io.plan.ImportFailed` (with the report) when a
    real run has errors and *skip_errors* is off: then nothing was written. *registry*
    (:class:`~.registry.Registry`) records the import and receives the linker's proposals.
    """
    if fmt not in READERS:
        raise InputError(f"形式 {fmt!r} には対応していません（{', '.join(FORMATS)}）。")
    files = [(name, bytes(data))] if isinstance(data, (bytes, bytearray)) else list(data)
    scope = parse_scope(city, pref)
    geography = geography or PackagedGeography()
    reads = [READERS[fmt](d, n, scope) for n, d in files]
    datasets = [r.dataset for r in reads]
    if len(set(datasets)) != len(datasets):
        raise InputError(f"同じデータセット（{', '.join(datasets)}）のファイルを一度に取り込むことはできません。")
    results: list[ImportResult] = []
    planners: list[_Planner] = []
    by_city: dict[str, list[list[SiteRow]]] = defaultdict(lambda: [[] for _ in reads])
    for k, ((fname, _), read) in enumerate(zip(files, reads)):
        when_date = as_of or read.date_hint or date_from_name(fname)
        result = ImportResult(format=fmt, dataset=read.dataset, file=fname, scope=scope.describe(),
                              as_of=when_date.isoformat() if when_date else None,
                              date_basis="publisher" if when_date else "imported", dry_run=dry_run,
                              rows_read=read.rows_read, outside=read.outside, errors=list(read.errors),
                              warnings=list(read.warnings), error_rows=set(read.error_rows))
        rows_of: dict[str, list[SiteRow]] = defaultdict(list)
        for r in read.rows:
            rows_of[r.city].append(r)
        if scope.city is not None and not rows_of and read.rows_read and not read.errors:
            # nothing of the city here (a national list without it, or the wrong file): nothing changes
            result.warnings.append({"row": None, "column": None, "message":
                                    f"このファイルには市区町村 {scope.city} の行がありません（何も変更しません）。"
                                    "ファイルと --city を確認してください"})
        for code, rows in rows_of.items():
            by_city[code][k] = _check_places(rows, code, geography, result)
        results.append(result)
        planners.append(_Planner(read.dataset, result, scope_key_of=_mhlw_scope_key if fmt == "mhlw-care" else None,
                                 scope_keys=read.scope_keys, present=set(read.present)))
    when = results[0].as_of or now_utc().date().isoformat()
    actor = f"import:{'+'.join(datasets)}@{when}" + (f" ({actor})" if actor else "")
    failed = lambda: any(r.errors for r in results)  # noqa: E731
    writing = not dry_run and (skip_errors or not failed())
    linkable: set[str] = set()
    with store.batch() if writing else nullcontext():
        for code in sorted(by_city):
            state = _CityState({n.id: n for n in store.query_nodes(NodeQuery(city=code, include_deleted=True))})
            if any(owner_of(n) is None and not n.deleted for n in state.nodes.values()):
                linkable.add(code)
            for planner, rows in zip(planners, by_city[code]):
                if rows:
                    planner.result.cities.add(code)
                    planner.plan_city(code, rows, state)
            if writing and (skip_errors or not failed()):
                _apply(store, state, actor)
        for result, rows_per_city in zip(results, zip(*by_city.values()) if by_city else [[] for _ in reads]):
            placed_badly = {r.row for rows in rows_per_city for r in rows if r.point_error}
            result.counts["skipped"] = len(result.error_rows - placed_badly)
        if not dry_run and failed() and not skip_errors:
            report = _combined(results)
            raise ImportFailed(f"{report['file']}: {len(report['errors'])} 件のエラーがあるため取り込みませんでした。"
                               "直して取り込み直すか、--skip-errors でエラーの行だけを除いて取り込んでください。", report)
    if writing:
        revision = store.revision()
        for (fname, d), read, result in zip(files, reads, results):
            result.revision = revision
            if registry is not None:
                registry.record_import(dataset=read.dataset, scope=scope.describe(), cities=result.cities,
                                       as_of=result.as_of, date_basis=result.date_basis, file=fname,
                                       sha256=hashlib.sha256(d).hexdigest(), rows_read=read.rows_read,
                                       rows_in_scope=read.rows_read - read.outside, counts=dict(result.counts),
                                       actor=actor, revision=revision)
        if registry is not None and link:
            from .linker import link_city

            cities = set().union(*(r.cities for r in results))
            for code in sorted(cities & linkable):
                for what, n in link_city(store, registry, code).items():
                    results[-1].links[what] = results[-1].links.get(what, 0) + n
    return _combined(results)
