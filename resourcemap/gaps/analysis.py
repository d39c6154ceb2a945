"""The gap analysis of one municipality: units × categories → measures, gap flags, candidates.

Why one orchestrating function: the CLI, ``GET /v1/gaps``, the report and the benchmark all
need the same table, so :func:`analyse` builds it once from a :class:`ReadModel` and the
output modules (:mod:`.export`, :mod:`.mapview`, :mod:`.png`, :mod:`.report`) only render it.
Steps: checks (city, categories, unit) → units and their demand points → per category, the
eligible resources and the measures (:mod:`.measures`) → candidates for the gap units
(:mod:`.candidates`) → unmet counts, an area × category summary, data freshness.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..cities import CITIES, City
from ..config import DEFAULT_UNMET_MIN_COUNT
from ..errors import InputError
from ..geo import to_unit_xyz
from ..geo._common import as_code
from ..graph.readmodel import ReadModel
from ..match.disclosure import Tally
from ..model import RESOURCE_KINDS, Node
from ..queries import readmodel_city
from ..taxonomy import load_taxonomy
from . import measures
from .candidates import Candidate, Coverage, SiteIndex, find_candidates
from .profile import (
    PRECISION_RANK,
    SEARCH_CAP_M,
    is_placed,
    measure_of,
    resolve_categories,
    resource_eligible,
    threshold_for,
)
from .siting import greedy_mclp
from .units import UNIT_KINDS, Units, build_units
from .unmet import UnmetCount, read_unmet

__all__ = ["GapOptions", "AreaSet", "CategoryInfo", "GapResult", "analyse", "area_set", "unmet_tally"]


@dataclass(frozen=True)
class GapOptions:
    """What to measure. Empty *categories* means :data:`~.profile.DEFAULT_CATEGORIES`."""

    categories: tuple[str, ...] = ()
    unit: str = "chome"
    threshold_m: float | None = None
    weights: Mapping[str, float] | None = field(default=None, hash=False, compare=False)
    min_precision: str = "area"
    low_band_quantile: float = 0.2
    candidates: int = 5
    site_p: int = 0
    search_cap_m: float = SEARCH_CAP_M


@dataclass(frozen=True)
class AreaSet:
    """The municipality's areas at its primary level: id → 町丁目 names, id → name."""

    level: str | None
    membership: dict[str, list[str]]
    names: dict[str, str]


@dataclass
class CategoryInfo:
    """One measured category: its reach, the resources that count and those that cannot be placed."""

    id: str
    label: str
    measure: str
    threshold_m: float
    resources: list[Node]
    unlocated: list[Node]
    access_computed: bool = False
    siting: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class GapResult:
    """Everything the outputs render. ``table`` has one row per unit × category (same order as
    ``units.frame`` within each category); ``chome_table`` the same at 町丁目 level (for the
    area summary)."""

    city: City
    options: GapOptions
    units: Units
    table: pd.DataFrame
    chome_units: Units
    chome_table: pd.DataFrame
    categories: list[CategoryInfo]
    candidates: dict[tuple[str, str], list[Candidate]]
    areas: AreaSet
    unmet: list[UnmetCount]
    freshness: dict[str, Any]
    generated_at: datetime
    revision: int
    #: Counts below this were suppressed (None: raw counts, for an admin).
    unmet_threshold: int | None = None

    def unmet_label(self, tally: Tally) -> str:
        """An unmet figure as shown: exact, 「3未満」 or a range (:mod:`resourcemap.match.disclosure`)."""
        return tally.label(self.unmet_threshold) if self.unmet_threshold else str(tally.exact)

    def category(self, cid: str) -> CategoryInfo:
        return next(c for c in self.categories if c.id == cid)

    def geodataframe(self) -> gpd.GeoDataFrame:
        """The table with each unit's polygon (EPSG:4326); ``candidates`` as a list of node ids."""
        geo = self.units.frame[["unit_id", "geometry"]]
        gdf = self.table.merge(geo, on="unit_id", how="left", sort=False)
        return gpd.GeoDataFrame(gdf, geometry="geometry", crs="EPSG:4326")


def unmet_tally(row: Mapping[str, Any]) -> Tally:
    """The unmet figure of one table row: ``unmet`` is the least it can be, ``unmet_hidden`` the
    number of suppressed counters in it (0: ``unmet`` is exact)."""
    hidden = int(row["unmet_hidden"])
    return Tally(exact=int(row["unmet"]) - hidden, hidden=hidden)


# ------------------------------------------------------------------------------------------ checks
def _check(city: str, options: GapOptions) -> tuple[str, tuple[str, ...]]:
    code = as_code(city)
    if options.unit not in UNIT_KINDS:
        raise InputError(f"unit {options.unit!r} はありません。{' / '.join(UNIT_KINDS)} のいずれかを指定してください。")
    if options.min_precision not in PRECISION_RANK or options.min_precision == "none":
        raise InputError(f"min_precision {options.min_precision!r} は使えません: "
                         f"{', '.join(k for k in PRECISION_RANK if k != 'none')}")
    cats = resolve_categories(options.categories)
    for c in cats:
        threshold_for(c, options.threshold_m)  # validates the override once
    return code, cats


def area_set(rm: ReadModel, city: str) -> AreaSet:
    """Areas of *city* at its primary level (the municipality's ``primary_area_level``, else the
    level with most areas). A city without areas gets none (units still have no ``area_id``)."""
    code = as_code(city)
    areas = [a for a in rm.nodes(kind="area", city=code) if a.status == "active"]
    muni = next(iter(rm.nodes(kind="municipality", city=code)), None)
    levels: dict[str, int] = {}
    for a in areas:
        levels[a.level or ""] = levels.get(a.level or "", 0) + 1
    level = muni.primary_area_level if muni is not None and muni.primary_area_level in levels else (
        max(sorted(levels), key=lambda k: levels[k]) if levels else None)
    chosen = sorted((a for a in areas if (a.level or "") == (level or "")), key=lambda a: a.id)
    return AreaSet(level, {a.id: list(a.chome) for a in chosen}, {a.id: a.name for a in chosen})


# ------------------------------------------------------------------------------------------ measures
@dataclass
class _Measured:
    nearest_m: np.ndarray
    nearest_id: list[str | None]
    count: np.ndarray
    share: np.ndarray
    access: np.ndarray
    gap: np.ndarray
    reason: list[str | None]


def _distance_measure(units: Units, placed: list[Node], threshold: float, cap: float,
                      weighted: bool, low_q: float) -> tuple[_Measured, bool]:
    xyz = units.xyz
    n = len(units)
    tree = measures.build_tree(to_unit_xyz(np.array([r.lat for r in placed], dtype=float),
                                           np.array([r.lng for r in placed], dtype=float))) if placed else None
    caps = [r.capacity for r in placed]
    computed = bool(placed) and all(c is not None for c in caps)
    single = len(units.owner) == n and bool(np.all(units.owner == np.arange(n)))
    if single and not computed:  # one point per unit, no E2SFCA: the vectorised sweep is enough
        sw = measures.sweep(tree, xyz, threshold, cap)
        p_near, p_row, count = sw.nearest_m, sw.nearest_row, sw.count
    else:
        p_near, p_row = measures.nearest(tree, xyz, cap)
        pi, rj, d = measures.pairs_within(tree, xyz, threshold)
        count = measures.unit_count_within(pi, rj, units.owner, n)
    near = measures.unit_nearest(p_near, units.owner, n)
    share = measures.share_covered(p_near, units.weight, units.owner, n, threshold)
    access = np.full(n, np.nan)
    if computed:
        a = measures.e2sfca(units.weight, np.array(caps, dtype=float), pi, rj, d, threshold)
        access = measures.unit_mean(a, units.weight, units.owner, n)
    low = measures.low_band(access, low_q) if (weighted and computed) else None
    gap = measures.gap_flags(count, low)
    reason = [("none_within" if c == 0 else "low_access") if g else None for g, c in zip(gap, count)]
    return _Measured(near, _nearest_ids(p_near, p_row, units.owner, n, placed), count, share, access, gap,
                     reason), computed


def _nearest_ids(p_near: np.ndarray, p_row: np.ndarray, owner: np.ndarray, n: int,
                 nodes: list[Node]) -> list[str | None]:
    """Per unit, the id of the resource nearest to any of its points (None when none is in range)."""
    ids: list[str | None] = [None] * n
    order = np.lexsort((p_near, owner))  # by unit, then distance: the first point of each unit is its closest
    first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]] if len(order) else order
    for p in first:
        if np.isfinite(p_near[p]):
            ids[int(owner[p])] = nodes[int(p_row[p])].id
    return ids


def _coverage_measure(units: Units, coverers: list[Node], coverage: Coverage, cap: float) -> _Measured:
    n = len(units)
    by_town: dict[str, list[int]] = {}
    for k, node in enumerate(coverers):
        for t in coverage.towns_of(node.id):
            by_town.setdefault(t, []).append(k)
    hit = np.array([1.0 if by_town.get(t) else 0.0 for t in units.town])
    seen: list[set[int]] = [set() for _ in range(n)]
    for p, t in enumerate(units.town):
        seen[units.owner[p]].update(by_town.get(t, ()))
    count = np.array([len(s) for s in seen], dtype=np.int64)
    share = measures.unit_mean(hit, units.weight, units.owner, n)
    placed = [c for c in coverers if is_placed(c)]
    tree = measures.build_tree(to_unit_xyz(np.array([c.lat for c in placed], dtype=float),
                                           np.array([c.lng for c in placed], dtype=float))) if placed else None
    p_near, p_row = measures.nearest(tree, units.xyz, cap)
    near = measures.unit_nearest(p_near, units.owner, n)
    gap = count == 0
    return _Measured(near, _nearest_ids(p_near, p_row, units.owner, n, placed), count, share, np.full(n, np.nan), gap,
                     ["no_coordinator" if g else None for g in gap])


def _measure(units: Units, info: CategoryInfo, coverage: Coverage, options: GapOptions,
             weighted: bool) -> _Measured:
    """The measure of *info*'s kind over *units* (sets ``info.access_computed`` for distances)."""
    if info.measure == "coverage":
        return _coverage_measure(units, info.resources, coverage, options.search_cap_m)
    m, info.access_computed = _distance_measure(units, info.resources, info.threshold_m, options.search_cap_m,
                                                weighted, options.low_band_quantile)
    return m


# ------------------------------------------------------------------------------------------ assembly
def _nearby_resources(rm: ReadModel, code: str, cap: float) -> list[Node]:
    """Located resources near *code* (within its bbox + the search cap) and this city's unlocated ones."""
    from ..geo import boundary

    minx, miny, maxx, maxy = boundary(code).bounds
    pad_lat = cap / 111_000.0
    pad_lng = cap / (111_000.0 * math.cos(math.radians((miny + maxy) / 2)))
    ids = rm.index.in_bbox(miny - pad_lat, minx - pad_lng, maxy + pad_lat, maxx + pad_lng)
    found = {i: rm.node(i) for i in ids if rm.has(i)}
    for n in rm.nodes(city=code):
        found.setdefault(n.id, n)
    return [found[k] for k in sorted(found) if found[k].kind in RESOURCE_KINDS]


def _freshness(rm: ReadModel, code: str, unmet: list[UnmetCount]) -> dict[str, Any]:
    nodes = list(rm.nodes(city=code))
    updated = [n.updated_at for n in nodes if n.updated_at is not None]
    verified = [n.verified_at for n in nodes if n.verified_at is not None]
    docs = sorted({n.source.split("#")[0] for n in nodes if n.source and n.source != "public"})
    months = sorted({u.month for u in unmet if u.month})
    return {
        "revision": rm.revision,
        "nodes": len(nodes),
        "updated_min": min(updated).isoformat() if updated else None,
        "updated_max": max(updated).isoformat() if updated else None,
        "verified": len(verified),
        "verified_oldest": min(verified).isoformat() if verified else None,
        "documents": docs,
        "unmet_months": [months[0], months[-1]] if months else None,
    }


def _unmet_by_unit(unmet: list[UnmetCount], units: Units, wanted: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: the sum of the exact counts, and how many suppressed counters fall in it."""
    town_unit: dict[str, int] = {}
    for u, members in enumerate(units.members):
        for t in members:
            town_unit.setdefault(t, u)
    area_unit = {aid: u for u, aid in enumerate(units.frame["unit_id"])} if units.kind == "area" else {}
    exact = np.zeros(len(units), dtype=np.int64)
    hidden = np.zeros(len(units), dtype=np.int64)
    for c in unmet:
        if c.category not in wanted:
            continue
        if c.chome and c.chome in town_unit:
            u = town_unit[c.chome]
        elif c.area_id and c.area_id in area_unit:
            u = area_unit[c.area_id]
        else:
            continue
        if c.count is None:
            hidden[u] += 1
        else:
            exact[u] += c.count
    return exact, hidden


def _rows(units: Units, info: CategoryInfo, m: _Measured, unmet: tuple[np.ndarray, np.ndarray], unlocated: int,
          cands: dict[int, list[Candidate]], area_names: Mapping[str, str]) -> pd.DataFrame:
    f = units.frame
    return pd.DataFrame({
        "unit_id": f["unit_id"].to_numpy(), "unit_kind": units.kind, "unit_name": f["name"].to_numpy(),
        "area_id": f["area_id"].to_numpy(), "area_name": [area_names.get(a) if a else None for a in f["area_id"]],
        "category": info.id, "category_label": info.label, "measure": info.measure,
        "threshold_m": info.threshold_m,
        "nearest_m": np.where(np.isfinite(m.nearest_m), np.round(m.nearest_m, 1), np.nan),
        "nearest_id": m.nearest_id, "count_within": m.count, "share_covered": np.round(m.share, 4),
        "demand": f["demand"].to_numpy(), "access": m.access, "gap": m.gap.astype(bool), "gap_reason": m.reason,
        "unlocated": unlocated, "unmet": unmet[0] + unmet[1], "unmet_hidden": unmet[1],
        "candidates": [[c.id for c in cands.get(i, [])] for i in range(len(f))],
        "lat": f["lat"].to_numpy(), "lng": f["lng"].to_numpy(),
    })


def _siting(info: CategoryInfo, chome: Units, sites: SiteIndex, p: int,
            point_near: np.ndarray) -> list[dict[str, Any]]:
    """Greedy MCLP over 町丁目 points and placed sites, for the demand no resource reaches."""
    uncovered = np.where(point_near > info.threshold_m, np.maximum(chome.weight, 0.0), 0.0)
    names = [f"{t}（町丁目の代表点）" for t in chome.town] + [s.name for s in sites.sites]
    lat = np.concatenate([chome.lat, [s.lat for s in sites.sites]])
    lng = np.concatenate([chome.lng, [s.lng for s in sites.sites]])
    picks = greedy_mclp(to_unit_xyz(lat, lng).reshape(-1, 3), chome.xyz, uncovered, info.threshold_m, p)
    return [{"rank": k + 1, "name": names[pk.candidate], "lat": float(lat[pk.candidate]),
             "lng": float(lng[pk.candidate]), "covered_demand": round(pk.gained, 2),
             "covered_chome": [chome.town[j] for j in pk.points]} for k, pk in enumerate(picks)]


def analyse(rm: ReadModel, city: str, options: GapOptions = GapOptions(), *,
            aux_path: str | None = None, unmet_min_count: int | None = DEFAULT_UNMET_MIN_COUNT) -> GapResult:
    """Measure every (unit, category) of *city* and find candidates for its gaps.

    Unmet-need counts below *unmet_min_count* (``Settings.unmet_min_count``) are suppressed;
    ``None`` shows raw counts (an admin's view): ``table["unmet"]`` is then the least the figure can be and
    ``table["unmet_hidden"]`` the number of suppressed counters in it (see
    :meth:`GapResult.unmet_label`).

    Raises :class:`InputError` for an unknown unit/category/threshold and
    :class:`~resourcemap.errors.NotFound` for a municipality that is not packaged.
    """
    code, cats = _check(readmodel_city(rm, city), options)
    tax = load_taxonomy()
    areas = area_set(rm, code)
    units = build_units(code, options.unit, areas.membership, areas.names, options.weights)
    chome = units if options.unit == "chome" else build_units(code, "chome", areas.membership, areas.names,
                                                              options.weights)
    unmet = read_unmet(aux_path, code, min_count=unmet_min_count)
    nearby = _nearby_resources(rm, code, options.search_cap_m)
    sites = SiteIndex(rm, code, options.min_precision)
    coverage = Coverage(rm, code, chome.town)
    weighted = options.weights is not None
    infos: list[CategoryInfo] = []
    tables, chome_tables = [], []
    all_cands: dict[tuple[str, str], list[Candidate]] = {}
    for cid in cats:
        wanted = tax.descendants(cid)
        thr = threshold_for(cid, options.threshold_m)
        eligible = [n for n in nearby if resource_eligible(n, wanted, code)]
        placed = [n for n in eligible if is_placed(n, options.min_precision)]
        unlocated = [n for n in eligible if n.city == code and not is_placed(n, options.min_precision)]
        info = CategoryInfo(cid, tax.get(cid).label, measure_of(cid), thr, placed, unlocated)
        if info.measure == "coverage":
            info.resources = coverage.covering(chome.town, wanted=frozenset(wanted))
            info.unlocated = []
        per_kind = {"unit": _measure(units, info, coverage, options, weighted)}
        per_kind["chome"] = per_kind["unit"] if chome is units else _measure(chome, info, coverage, options, weighted)
        gap_rows = [int(i) for i in np.flatnonzero(per_kind["unit"].gap)]
        cands = find_candidates(sites, coverage, units, gap_rows, cid, thr,
                                {i: units.members[i] for i in gap_rows}, limit=options.candidates)
        for i, lst in cands.items():
            all_cands[(str(units.frame["unit_id"].iat[i]), cid)] = lst
        tables.append(_rows(units, info, per_kind["unit"], _unmet_by_unit(unmet, units, wanted),
                            len(info.unlocated), cands, areas.names))
        if chome is not units:
            chome_tables.append(_rows(chome, info, per_kind["chome"], _unmet_by_unit(unmet, chome, wanted),
                                      len(info.unlocated), {}, areas.names))
        if options.site_p > 0 and info.measure == "distance":  # 町丁目 units: one point each, in order
            info.siting = _siting(info, chome, sites, options.site_p, per_kind["chome"].nearest_m)
        infos.append(info)
    table = pd.concat(tables, ignore_index=True)
    chome_table = table if chome is units else pd.concat(chome_tables, ignore_index=True)
    return GapResult(city=CITIES[code], options=options, units=units, table=table, chome_units=chome,
                     chome_table=chome_table, categories=infos, candidates=all_cands, areas=areas, unmet=unmet,
                     freshness=_freshness(rm, code, unmet),
                     generated_at=datetime.now(UTC).replace(microsecond=0), revision=rm.revision,
                     unmet_threshold=unmet_min_count)

