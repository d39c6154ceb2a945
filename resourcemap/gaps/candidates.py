"""Development candidates: existing nodes that could grow to fill a gap, found through graph and geography.

What no directory offers: for a unit where a category is out of reach, which *existing* place
or hub within reach of the unit could add it, and who coordinates there. A site is a
candidate when it does not offer the category yet and

* its **operator** (``operates`` / ``runs`` in-edges, ``managed_by`` out-edges) offers the
  category itself or at another of its sites — the know-how exists, one site lacks it; or
* its **program fits**: what it offers (its categories and those of the programs it
  ``implements``) is a natural host of the category (:data:`FIT_HOSTS`, plus sister
  categories of the same family) — a 地域子育て支援拠点 that could open a youth 居場所 evening,
  a 文化センター that could host a 通いの場.

Coordinators who ``cover`` the unit's area (or the whole municipality) are added as the people
who would organise it. Sites count only when placed at area precision or finer and within
the category's threshold of one of the unit's demand points (so adding the category there
would close the gap), ordered operator-first, then by distance.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..geo import to_unit_xyz
from ..graph.readmodel import ReadModel
from ..model import RESOURCE_KINDS, Node
from ..opendata.site import contact_text
from ..taxonomy import load_taxonomy
from . import measures
from .profile import is_placed, offers
from .units import Units

__all__ = ["Candidate", "FIT_HOSTS", "host_categories", "SiteIndex", "Coverage", "find_candidates"]

#: Target category → categories whose sites are natural hosts for it (besides its own family).
FIT_HOSTS: dict[str, tuple[str, ...]] = {
    "ibasho": ("kayoi", "kosodate", "volunteer", "food.kodomo_shokudo", "learning", "health_promotion",
               "life_support.mutual_aid"),
    "ibasho.youth": ("kosodate", "learning", "consult.youth", "employment.prep"),
    "ibasho.child": ("kosodate", "learning", "food.kodomo_shokudo"),
    "ibasho.elderly": ("kayoi", "dementia", "life_support.mutual_aid"),
    "ibasho.multigen": ("kayoi", "kosodate", "food.kodomo_shokudo", "volunteer"),
    "ibasho.disability": ("creative", "employment.disability"),
    "kayoi": ("ibasho", "health_promotion", "dementia", "life_support.mutual_aid"),
    "kosodate": ("ibasho.child", "consult.child"),
    "food": ("ibasho", "kosodate", "life_support", "consult.poverty"),
    "learning": ("ibasho.child", "food.kodomo_shokudo", "kosodate", "consult.school"),
    "hikikomori": ("ibasho.youth", "ibasho.multigen", "consult.youth", "consult.mental_health", "employment.prep"),
    "dementia": ("kayoi", "ibasho.elderly", "consult.elderly"),
    "employment": ("consult.poverty", "creative"),
    "housing": ("consult.poverty", "life_support"),
    "life_support": ("volunteer", "kayoi", "watch"),
    "rights": ("consult.elderly", "consult.disability"),
    "consult.general": ("consult",),
    "consult.elderly": ("consult.general", "kayoi", "dementia"),
    "consult.disability": ("consult.general", "creative", "employment.disability"),
    "consult.child": ("consult.general", "kosodate"),
    "consult.poverty": ("consult.general", "food", "employment.prep"),
    "coordination": ("life_support.mutual_aid", "volunteer"),
}


@dataclass(frozen=True)
class Candidate:
    """A node that could fill a gap, and why (Japanese text a meeting can read)."""

    id: str
    name: str
    kind: str
    basis: str  # operator | program | coordinator
    reason: str
    distance_m: float | None
    lat: float | None
    lng: float | None
    precision: str
    contact: str = ""  # 電話・住所・日時・URL, as known (:func:`resourcemap.opendata.site.contact_text`)


@lru_cache(maxsize=256)
def host_categories(category: str) -> frozenset[str]:
    """Categories (with descendants) whose sites could host *category*: :data:`FIT_HOSTS` of it and
    its ancestors, plus its own family (the categories under its root)."""
    tax = load_taxonomy()
    chain = [category, *tax.ancestors(category)]
    hosts: set[str] = set()
    for c in chain:
        for h in FIT_HOSTS.get(c, ()):
            hosts |= tax.descendants(h)
    hosts |= tax.descendants(chain[-1])
    return frozenset(hosts - tax.descendants(category))


def _operators(rm: ReadModel, node_id: str) -> list[Node]:
    ids = [e.source for e in rm.in_edges(node_id, "operates")] + [e.source for e in rm.in_edges(node_id, "runs")]
    ids += [e.target for e in rm.out_edges(node_id, "managed_by")]
    return [rm.node(i) for i in dict.fromkeys(ids) if rm.has(i)]


def _offered(rm: ReadModel, node: Node) -> frozenset[str]:
    """What a site offers: its own categories and those of the programs it implements."""
    cats = set(node.categories)
    for e in rm.out_edges(node.id, "implements"):
        if rm.has(e.target):
            cats |= set(rm.node(e.target).categories)
    return frozenset(cats)


class SiteIndex:
    """Placed, active sites of one municipality with what they offer and who runs them."""

    def __init__(self, rm: ReadModel, city: str, min_precision: str = "area") -> None:
        self.rm = rm
        self.sites: list[Node] = sorted(
            (n for n in rm.nodes(city=city) if n.kind in RESOURCE_KINDS and n.status == "active"
             and is_placed(n, min_precision)), key=lambda n: n.id)
        self.offered = [_offered(rm, n) for n in self.sites]
        self.operators = [_operators(rm, n.id) for n in self.sites]
        self.xyz = to_unit_xyz(np.array([n.lat for n in self.sites], dtype=float),
                               np.array([n.lng for n in self.sites], dtype=float)).reshape(-1, 3)
        self.tree = measures.build_tree(self.xyz)

    def reasons(self, i: int, category: str, wanted: frozenset[str], category_label: str) -> list[tuple[str, str]]:
        """(basis, reason) pairs for site *i* as a host of *category* (*wanted* = it and its
        descendants); empty when it is no candidate."""
        site = self.sites[i]
        if wanted & self.offered[i]:
            return []
        out: list[tuple[str, str]] = []
        for op in self.operators[i]:
            if offers(op, wanted):
                out.append(("operator", f"運営主体の{op.name}が「{category_label}」を提供している"))
                continue
            for e in self.rm.out_edges(op.id):
                if e.kind in ("operates", "runs") and e.target != site.id and self.rm.has(e.target):
                    other = self.rm.node(e.target)
                    if offers(other, wanted) or wanted & _offered(self.rm, other):
                        out.append(("operator", f"運営主体の{op.name}が{other.name}で「{category_label}」を提供している"))
                        break
        fit = sorted(self.offered[i] & host_categories(category))
        if fit:
            tax = load_taxonomy()
            labels = "・".join(tax.get(c).label for c in fit[:3])
            out.append(("program", f"「{labels}」の場として「{category_label}」を始められる可能性"))
        return out


class Coverage:
    """Which 町丁目 each coordinator-like node covers (``covers`` edges, or its ``area_id``)."""

    def __init__(self, rm: ReadModel, city: str, all_towns: Sequence[str]) -> None:
        self.entries: list[tuple[Node, frozenset[str]]] = []
        everyone = frozenset(all_towns)
        for n in rm.nodes():
            if n.status != "active" or n.kind not in RESOURCE_KINDS | {"coordinator"}:
                continue
            towns: set[str] = set()
            targets = [e.target for e in rm.out_edges(n.id, "covers")]
            if n.area_id and n.city == city:
                targets.append(n.area_id)
            for t in targets:
                if not rm.has(t):
                    continue
                tgt = rm.node(t)
                if tgt.city != city:
                    continue
                if tgt.kind == "municipality" or (tgt.kind == "area" and tgt.level == "市全域"):
                    towns |= everyone
                elif tgt.kind == "area":
                    towns |= set(tgt.chome)
            if towns:
                self.entries.append((n, frozenset(towns)))
        self._towns = {n.id: cov for n, cov in self.entries}

    def towns_of(self, node_id: str) -> frozenset[str]:
        """The 町丁目 *node_id* covers (empty when it covers nothing here)."""
        return self._towns.get(node_id, frozenset())

    def covering(self, towns: Sequence[str], *, wanted: frozenset[str] | None = None,
                 kind: str | None = None) -> list[Node]:
        """Nodes covering any of *towns* (optionally only those offering *wanted* or of *kind*),
        the most local first (smallest coverage), then by id."""
        ts = set(towns)
        hits = [(len(cov), n.id, n) for n, cov in self.entries
                if ts & cov and (wanted is None or offers(n, wanted)) and (kind is None or n.kind == kind)]
        return [n for _, _, n in sorted(hits, key=lambda t: (t[0], t[1]))]


def find_candidates(sites: SiteIndex, coverage: Coverage, units: Units, unit_rows: Sequence[int],
                    category: str, threshold_m: float, unit_towns: Mapping[int, Sequence[str]],
                    limit: int = 5, coordinators: int = 2) -> dict[int, list[Candidate]]:
    """Candidates for each unit row in *unit_rows* (the gap units of *category*): at most *limit*
    sites, then at most *coordinators* coordinators covering the unit."""
    tax = load_taxonomy()
    wanted = frozenset(tax.descendants(category))
    category_label = tax.get(category).label
    out: dict[int, list[Candidate]] = {r: [] for r in unit_rows}
    if not unit_rows:
        return out
    rows = set(unit_rows)
    pick = np.flatnonzero(np.isin(units.owner, list(rows)))
    best: dict[tuple[int, int], float] = {}  # (unit row, site) → closest distance
    if sites.tree is not None and len(pick):
        pi, sj, d = measures.pairs_within(sites.tree, units.xyz[pick], threshold_m)
        for p, s, dist in zip(units.owner[pick][pi].tolist(), sj.tolist(), d.tolist()):
            if dist < best.get((p, s), np.inf):
                best[(p, s)] = dist
    reasons_cache: dict[int, list[tuple[str, str]]] = {}
    for (row, s), dist in sorted(best.items(), key=lambda kv: (kv[0][0], kv[1], sites.sites[kv[0][1]].id)):
        if s not in reasons_cache:
            reasons_cache[s] = sites.reasons(s, category, wanted, category_label)
        rs = reasons_cache[s]
        if not rs:
            continue
        n = sites.sites[s]
        basis = "operator" if any(b == "operator" for b, _ in rs) else "program"
        out[row].append(Candidate(n.id, n.name, n.kind, basis, "／".join(r for _, r in rs), dist,
                                  n.lat, n.lng, n.location_precision, contact_text(n)))
    for row in unit_rows:
        ranked = sorted(out[row], key=lambda c: (c.basis != "operator", c.distance_m or 0.0, c.id))[:limit]
        for coord in coverage.covering(unit_towns.get(row, ()), kind="coordinator")[:coordinators]:
            ranked.append(Candidate(coord.id, coord.name, coord.kind, "coordinator",
                                    f"この地域を担当する{coord.role or 'コーディネーター'}", None,
                                    coord.lat, coord.lng, coord.location_precision, contact_text(coord)))
        out[row] = ranked
    return out
