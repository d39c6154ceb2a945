"""Seed catalogues: ``seeds/<slug>.yaml`` read into validated, located nodes and edges.

Why a loader with its own checks: seed files are written by people reading municipal plans;
every problem in a file (unknown category, unreal 町丁目, an edge to a missing node, a wrong
edge kind) is collected and reported at once with its place, so a file is fixed in one
pass. Coordinates are never typed by hand: ``locate`` names a 町丁目, town, area or the city
and the real geography (``resourcemap.geo``) supplies the point and its precision.

Run ``python -m resourcemap.seeds check seeds/fuchu.yaml`` to check a file.
"""
from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import yaml

from .cities import SEED_CITIES, resolve_city
from .errors import InputError, ResourcemapError, ValidationFailed
from .model import EDGE_RULES, Edge, Node, parse_edge, parse_node

__all__ = ["SeedCatalogue", "seeds_dir", "seed_files", "load_seed_file", "load_seeds"]

_NODE_ONLY_KEYS = {"locate", "seed_towns"}


@dataclass
class SeedCatalogue:
    city: str
    document: str | None
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


def seeds_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """*path* > the settings' ``seeds_dir`` (``$RESOURCEMAP_SEEDS``) > the repository's ``seeds/`` > the copy
    inside the installed package."""
    from .config import load

    chosen = path or load().seeds_dir
    if chosen:
        return Path(chosen)
    repo = Path(__file__).resolve().parent.parent / "seeds"
    if repo.is_dir():
        return repo
    return Path(str(resources.files("resourcemap").joinpath("_seeds")))


def seed_files(which: str = "all") -> list[Path]:
    """The seed files for ``all`` or one city (name, code or slug)."""
    base = seeds_dir()
    if which == "all":
        return [base / f"{c.slug}.yaml" for c in SEED_CITIES.values() if (base / f"{c.slug}.yaml").exists()]
    city = resolve_city(which)
    if not city.slug:
        raise InputError(f"{city.full_name}（{city.code}）には計画のシードがありません。"
                         f"地理だけのカタログは `resourcemap init --city {city.code}` で作成できます。")
    path = base / f"{city.slug}.yaml"
    if not path.exists():
        raise InputError(f"{city.name} のシードファイル {path} がありません。")
    return [path]


def _edge_id(e: dict[str, Any]) -> str:
    key = "|".join(str(e.get(k) or "") for k in ("source", "kind", "target", "program"))
    return f"e.{e.get('kind')}.{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


class _Problems:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[dict[str, Any]] = []

    def add(self, where: str, message: str) -> None:
        self.items.append({"field": where, "message": message})

    def raise_if_any(self) -> None:
        if self.items:
            lines = "\n".join(f"  {p['field']}: {p['message']}" for p in self.items)
            raise ValidationFailed(f"{self.path.name}: {len(self.items)} 件の問題があります:\n{lines}",
                                   errors=self.items)


def _locate_areas(city: str, raw_nodes: list[dict[str, Any]], problems: _Problems) -> dict[str, tuple]:
    """Membership, point of every area node → {area_id: (chome list, lat, lng)}."""
    from .geo import area_point, assign_membership, chome_units

    all_chome = [c.town for c in chome_units(city)]
    by_level: dict[str, list[dict[str, Any]]] = {}
    for raw in raw_nodes:
        if raw.get("kind") == "area":
            by_level.setdefault(str(raw.get("level")), []).append(raw)
    out: dict[str, tuple] = {}
    for level, areas in by_level.items():
        fixed: dict[str, list[str]] = {}
        seeds: dict[str, list[str]] = {}
        for a in areas:
            chome = a.get("chome") or []
            if chome == ["*"]:
                fixed[a["id"]] = list(all_chome)
            elif chome:
                fixed[a["id"]] = list(chome)
            else:
                seeds[a["id"]] = list(a.get("seed_towns") or [])
        try:
            membership = assign_membership(city, seeds, fixed) if seeds else fixed
        except ResourcemapError as exc:
            problems.add(f"areas[{level}]", exc.detail)
            continue
        for area_id, members in membership.items():
            if not members:
                problems.add(f"{area_id}.chome", "この区域に属する町丁目がありません（seed_towns を確認してください）")
                continue
            lat, lng = area_point(city, members)
            out[area_id] = (members, lat, lng)
    return out


def _locate(city: str, raw: dict[str, Any], areas: dict[str, tuple], problems: _Problems) -> dict[str, Any]:
    from .geo import city_point, geocode, town_centroid

    loc = raw.get("locate")
    where = f"{raw.get('id')}.locate"
    try:
        if loc is None:
            return {"lat": None, "lng": None, "location_precision": "none"}
        if not isinstance(loc, dict) or len(loc) != 1:
            problems.add(where, "locate は {chome: …} / {town: …} / {area: …} / {city: true} のいずれか一つです")
            return {}
        (how, value), = loc.items()
        if how == "chome":
            hit = geocode(str(value), city=city)
            if hit.precision != "chome":
                problems.add(where, f"「{value}」は町丁目まで特定できません（{hit.precision}）。town: を使ってください")
            return {"lat": hit.lat, "lng": hit.lng, "location_precision": "chome"}
        if how == "town":
            lat, lng = town_centroid(city, str(value))
            return {"lat": lat, "lng": lng, "location_precision": "town"}
        if how == "area":
            if value not in areas:
                problems.add(where, f"区域 {value!r} がこのファイルにありません")
                return {}
            _, lat, lng = areas[value]
            return {"lat": lat, "lng": lng, "location_precision": "area"}
        if how == "city":
            lat, lng = city_point(city)
            return {"lat": lat, "lng": lng, "location_precision": "city"}
        problems.add(where, f"locate の種類 {how!r} は使えません（chome, town, area, city）")
    except ResourcemapError as exc:
        problems.add(where, exc.detail)
    return {}


def load_seed_file(path: str | Path) -> SeedCatalogue:
    """Read, locate and validate one seed file; raise :class:`ValidationFailed` listing every problem."""
    path = Path(path)
    problems = _Problems(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path} を読めません: {exc}") from exc
    if not isinstance(doc, dict) or "city" not in doc or "nodes" not in doc:
        raise InputError(f"{path}: 先頭に city: と nodes: が必要です（docs/seed-format.md）")
    city = resolve_city(str(doc["city"])).code
    raw_nodes: list[dict[str, Any]] = list(doc.get("nodes") or [])
    raw_edges: list[dict[str, Any]] = list(doc.get("edges") or [])
    seen: set[str] = set()
    for i, raw in enumerate(raw_nodes):
        if not isinstance(raw, dict) or not raw.get("id"):
            problems.add(f"nodes[{i}]", "各ノードには id が必要です")
        elif raw["id"] in seen:
            problems.add(f"nodes[{i}]", f"id {raw['id']!r} が重複しています")
        else:
            seen.add(raw["id"])
    problems.raise_if_any()

    areas = _locate_areas(city, raw_nodes, problems)
    cat = SeedCatalogue(city=city, document=doc.get("document"))
    for raw in raw_nodes:
        data = {k: v for k, v in raw.items() if k not in _NODE_ONLY_KEYS}
        data.setdefault("city", city)
        if raw.get("kind") == "area":
            if raw["id"] in areas:
                members, lat, lng = areas[raw["id"]]
                data.update(chome=members, lat=lat, lng=lng, location_precision="area")
            data.setdefault("membership", "provisional" if raw.get("seed_towns") is not None else "document")
        else:
            data.update(_locate(city, raw, areas, problems))
        try:
            cat.nodes.append(parse_node(data))
        except ValidationFailed as exc:
            for p in exc.errors:
                problems.add(f"{raw['id']}.{p['field']}", p["message"])
    for i, raw in enumerate(raw_edges):
        data = dict(raw)
        data.setdefault("id", _edge_id(raw))
        try:
            cat.edges.append(parse_edge(data))
        except ValidationFailed as exc:
            for p in exc.errors:
                problems.add(f"edges[{i}]({raw.get('kind')} {raw.get('source')}→{raw.get('target')}).{p['field']}",
                             p["message"])
    problems.raise_if_any()
    return cat


def check_edges(nodes: Iterable[Node], edges: Iterable[Edge], label: str = "seeds") -> None:
    """Every edge's ends exist and fit EDGE_RULES; edge ids are unique."""
    kinds = {n.id: n.kind for n in nodes}
    problems = _Problems(Path(label))
    seen: set[str] = set()
    for e in edges:
        where = f"{e.kind} {e.source}→{e.target}"
        if e.id in seen:
            problems.add(where, f"同じエッジ（id {e.id}）が重複しています")
        seen.add(e.id)
        for end in (e.source, e.target):
            if end not in kinds:
                problems.add(where, f"ノード {end!r} がありません")
        if e.source in kinds and e.target in kinds:
            src, tgt = EDGE_RULES[e.kind]
            if kinds[e.source] not in src or kinds[e.target] not in tgt:
                problems.add(where, f"{e.kind} は {kinds[e.source]} → {kinds[e.target]} には使えません"
                                    f"（始点 {sorted(src)}、終点 {sorted(tgt)}）")
    problems.raise_if_any()


def load_seeds(which: str = "all") -> SeedCatalogue:
    """All nodes and edges of the chosen seed files, cross-checked together."""
    out = SeedCatalogue(city="*", document=None)
    for path in seed_files(which):
        part = load_seed_file(path)
        out.nodes.extend(part.nodes)
        out.edges.extend(part.edges)
    ids = [n.id for n in out.nodes]
    if len(ids) != len(set(ids)):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValidationFailed(f"シードファイル間でノード id が重複しています: {dup}")
    check_edges(out.nodes, out.edges)
    return out


def _main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "check":
        print("usage: python -m resourcemap.seeds check seeds/<slug>.yaml [...]", file=sys.stderr)
        return 2
    status = 0
    for p in argv[1:]:
        try:
            cat = load_seed_file(p)
            check_edges(cat.nodes, cat.edges, label=p)
            kinds: dict[str, int] = {}
            for n in cat.nodes:
                kinds[n.kind] = kinds.get(n.kind, 0) + 1
            print(f"{p}: ok — {len(cat.nodes)} nodes {kinds}, {len(cat.edges)} edges")
        except ResourcemapError as exc:
            print(exc.detail, file=sys.stderr)
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
