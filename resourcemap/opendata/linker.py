"""Linking the plans to the sites: which imported site is a plan's node, which site delivers which programme.

Why two kinds of link: a plan names *programmes* (地域子育て支援拠点事業) and some sites
(白糸台文化センター, 地区センター), rarely with an address; the open data name *sites* with an
address and a point. The linker proposes

* ``same_site`` — an imported site is a node the plan already has (名称, 表記ゆれ folded:
  :mod:`.names`). Accepting merges the site into the plan's node: the node takes the site's
  address, exact point, contacts and external ids (:mod:`.merge`), the site's edges move to it
  and the site itself is soft-deleted — one node per place, and a later re-import finds the
  publisher's id on the plan's node;
* ``delivers`` — a site delivers a programme (an ``implements`` edge): by definition for types
  that *are* a programme's site (地域包括支援センター → 1-i, 地域子育て支援拠点 → 3-ni, 地域活動支援
  センター → 3-ha: ``delivers`` in mapping.yaml), as a proposal for types that often host one
  (公民館 → 介護予防の通いの場: ``may_host``).

A link is applied without review only when it is unambiguous — one exact name match each way
(and within reach), or the municipality has exactly one programme with the code a site delivers
by definition. Everything else waits in the review queue (``resourcemap links``, ``GET
/v1/links``) for an editor to accept or reject; a rejected pair is never proposed again.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..errors import InputError, IntegrityError, NotFound
from ..graph.stores.base import GraphStore, NodeQuery
from ..model import RESOURCE_KINDS, Edge, Node, parse_node
from ..taxonomy import load_taxonomy
from .mapping import TypeRule, load_mapping
from .merge import SITE_FIELDS, changes_for, owner_of
from .names import AUTO, PROPOSE, Candidate, name_keys, score, within_reach
from .registry import Proposal, Registry

__all__ = ["link_city", "accept", "reject", "merge_into", "describe", "LINKER"]

#: The change-log actor of links the linker applies by itself.
LINKER = "linker"
#: At most this many same_site proposals per imported site (best first).
MAX_PER_SITE = 3


def _is_site(n: Node) -> bool:
    return not n.deleted and n.kind in RESOURCE_KINDS and n.status != "inactive"


def _imported(n: Node) -> bool:
    return owner_of(n) is not None


def _plan_candidates(nodes: list[Node]) -> list[tuple[Node, frozenset[str]]]:
    return [(n, name_keys(n.name, n.city) | (name_keys(n.alternate_name, n.city) if n.alternate_name else frozenset()))
            for n in nodes if _is_site(n) and not _imported(n) and (n.count or 1) == 1]


def _type_rule(site: Node) -> TypeRule | None:
    """What the site is, for programme links: read from the name for the name-typed lists only."""
    if owner_of(site) in ("gsi-evacuation", "gsi-emergency", "std-facilities"):
        rule = load_mapping().facility_names.find(site.name)
        return rule if rule is not None and rule.match else None
    return None


def link_city(store: GraphStore, registry: Registry, city: str) -> dict[str, int]:
    """Propose (and apply the unambiguous) links of one municipality; returns counts by outcome."""
    nodes = store.query_nodes(NodeQuery(city=city))
    known = registry.known_pairs(city)
    sites = [n for n in nodes if _is_site(n) and _imported(n)]
    plans = _plan_candidates(nodes)
    summary = {"merged": 0, "edges": 0, "proposed": 0}
    proposals: list[Proposal] = []
    applied: list[Proposal] = []

    # same_site: an imported site that the plan already has
    site_hits: dict[str, list[Candidate]] = {}
    exact_by_plan: dict[str, list[str]] = defaultdict(list)
    for s in sites:
        keys = name_keys(s.name, city)
        found = []
        for p, pkeys in plans:
            sc, why = score(keys, pkeys)
            if sc >= PROPOSE and within_reach(p, s.lat, s.lng) and ("same_site", p.id, s.id) not in known:
                found.append(Candidate(p, sc, why))
        found.sort(key=lambda c: (-c.score, c.node.id))
        site_hits[s.id] = found
        for c in found:
            if c.score >= AUTO:
                exact_by_plan[c.node.id].append(s.id)
    by_id = {n.id: n for n in nodes}
    for s in sites:
        found = site_hits[s.id]
        exact = [c for c in found if c.score >= AUTO]
        dataset = owner_of(s)
        if len(exact) == 1 and exact_by_plan[exact[0].node.id] == [s.id] \
                and not set(s.external_ids) & set(by_id[exact[0].node.id].external_ids):
            merge_into(store, s.id, exact[0].node.id, actor=LINKER)
            applied.append(Proposal(city, "same_site", exact[0].node.id, s.id, exact[0].score, exact[0].evidence, dataset))
            summary["merged"] += 1
            continue
        for c in found[:MAX_PER_SITE]:
            proposals.append(Proposal(city, "same_site", c.node.id, s.id, c.score, c.evidence, dataset))

    # delivers: a site and the programme(s) it delivers or may host
    merged = {p.site_id for p in applied}
    programmes = [n for n in nodes if n.kind == "program" and not n.deleted]
    implements = {(e.source, e.target) for e in store.query_edges(kind="implements")}
    by_code: dict[str, list[Node]] = defaultdict(list)
    for g in programmes:
        by_code[g.program or ""].append(g)
    for s in sites:
        if s.id in merged:
            continue
        rule = _type_rule(s)
        if rule is None:
            continue
        for code in rule.delivers:
            for g in by_code.get(code, []):
                pair = ("delivers", g.id, s.id)
                if (s.id, g.id) in implements or pair in known:
                    continue
                proposal = Proposal(city, "delivers", g.id, s.id, 1.0 if len(by_code[code]) == 1 else 0.8,
                                    f"{rule.type}は{code}の事業の実施場所", owner_of(s))
                if len(by_code[code]) == 1:
                    _add_implements(store, s.id, g.id, owner_of(s) or LINKER)
                    implements.add((s.id, g.id))
                    applied.append(proposal)
                    summary["edges"] += 1
                else:
                    proposals.append(proposal)
        for g in programmes:
            overlap = set(g.categories) & set(rule.may_host)
            pair = ("delivers", g.id, s.id)
            if overlap and (s.id, g.id) not in implements and pair not in known \
                    and not any(q.subject_id == g.id and q.site_id == s.id for q in proposals):
                tax = load_taxonomy()
                label = "・".join(tax.get(c).label for c in sorted(overlap))
                proposals.append(Proposal(city, "delivers", g.id, s.id, 0.5, f"{rule.type}は{label}の会場になりうる",
                                          owner_of(s)))
    registry.propose(applied, status="accepted", decided_by=LINKER)
    summary["proposed"] = registry.propose(proposals)
    return summary


def _add_implements(store: GraphStore, site_id: str, programme_id: str, dataset: str) -> Edge:
    return store.create_edge(Edge(kind="implements", source=site_id, target=programme_id, cite=f"import:{dataset}",
                                  description="公開データの施設種別から（resourcemap links）"), actor=LINKER)


def merge_into(store: GraphStore, site_id: str, node_id: str, *, actor: str) -> Node:
    """Fold the imported site *site_id* into *node_id* — one transaction; returns the updated node.

    The node takes the site's public fields and every external id (the site's owner decides, by
    :func:`.merge.changes_for`); the site's edges are re-attached to the node (unless the node has
    the same edge already) and the site is soft-deleted with its ids cleared, so a re-import finds
    them on the node.
    """
    with store.batch():
        site, node = store.get_node(site_id), store.get_node(node_id)
        if site.id == node.id or site.city != node.city:
            raise InputError(f"{site_id} と {node_id} は統合できません（同じ市区町村の別のノードを指定してください）。")
        dataset = owner_of(site)
        if dataset is None:
            raise InputError(f"{site_id} は公開データから取り込んだ施設ではありません。")
        clash = sorted(k for k, v in site.external_ids.items() if node.external_ids.get(k) not in (None, v))
        if clash:
            raise IntegrityError(f"{node_id} は {', '.join(clash)} の別の施設と既に結び付いています。別の場所として残してください。")
        fields: dict[str, Any] = {k: getattr(site, k) for k in SITE_FIELDS}
        fields["schedules"] = [s.model_dump(mode="json") for s in site.schedules]
        if site.located:
            fields.update(lat=site.lat, lng=site.lng, location_precision=site.location_precision)
        others = {k: v for k, v in site.external_ids.items() if k != dataset}
        changes = changes_for(node, dataset, site.external_ids.get(dataset, site.id), fields, extra_ids=others)
        if changes:
            node = store.update_node(parse_node({**node.content_dict(), **changes}), expected_version=node.version,
                                     actor=actor)
        existing = {(e.kind, e.source, e.target) for e in store.query_edges(source=node.id)} | \
                   {(e.kind, e.source, e.target) for e in store.query_edges(target=node.id)}
        for e in store.query_edges(source=site.id) + store.query_edges(target=site.id):
            src = node.id if e.source == site.id else e.source
            tgt = node.id if e.target == site.id else e.target
            if (e.kind, src, tgt) not in existing and src != tgt:
                store.create_edge(Edge(kind=e.kind, source=src, target=tgt, program=e.program, method=e.method,
                                       description=e.description, cite=e.cite), actor=actor)
                existing.add((e.kind, src, tgt))
        site = store.update_node(site.model_copy(update={"external_ids": {}}), expected_version=site.version,
                                 actor=actor)
        store.delete_node(site.id, actor=actor)  # its remaining edges go with it
        return node


def _decided(registry: Registry, link_id: int) -> dict[str, Any]:
    link = registry.link(link_id)
    if link["status"] != "proposed":
        raise IntegrityError(f"リンク提案 {link_id} は既に {link['status']} です。")
    return link


def accept(store: GraphStore, registry: Registry, link_id: int, *, by: str) -> dict[str, Any]:
    """Apply a proposal (merge the site into the node, or add the implements edge) and mark it accepted."""
    link = _decided(registry, link_id)
    try:
        if link["kind"] == "same_site":
            merge_into(store, link["site_id"], link["subject_id"], actor=by)
        else:
            store.get_node(link["site_id"])
            store.get_node(link["subject_id"])
            with store.batch():
                if not any(e.target == link["subject_id"] for e in store.query_edges(kind="implements",
                                                                                      source=link["site_id"])):
                    store.create_edge(Edge(kind="implements", source=link["site_id"], target=link["subject_id"],
                                           cite=f"import:{link['dataset'] or LINKER}",
                                           description="公開データの施設と事業の対応（resourcemap links で承認）"), actor=by)
    except NotFound as exc:
        raise NotFound(f"リンク提案 {link_id} のノードがもうありません（{exc.detail}）。reject してください。") from None
    return registry.decide(link_id, "accepted", by=by)


def reject(registry: Registry, link_id: int, *, by: str, note: str | None = None) -> dict[str, Any]:
    _decided(registry, link_id)
    return registry.decide(link_id, "rejected", by=by, note=note)


def describe(store: GraphStore, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Proposals with the names of both ends (``subject_name``, ``site_name``; None when a node is gone)."""
    names: dict[str, str | None] = {}
    for node_id in {i for x in items for i in (x["subject_id"], x["site_id"])}:
        try:
            names[node_id] = store.get_node(node_id, include_deleted=True).name
        except NotFound:
            names[node_id] = None
    return [{**x, "subject_name": names[x["subject_id"]], "site_name": names[x["site_id"]]} for x in items]
