"""The top sites of one need: the candidate stream read a chunk at a time, its rows scored one by one.

Why a table: a need reads ~30 candidates to keep 5 (everything but distance may be worth 60 points), and
scoring each with all its parts was half a warm match. Here the candidates of a stream are kept as a table
of their catalogue-side facts (node, distance, areas, targeting, the category each offers), and per need,
day and household areas the points of every part but distance and schedule (:meth:`_Table.whole_points`)
with, per row, the most of them among it and the rows after it. A request then only decides eligibility
(:func:`~.eligibility.fits_targets`, once per distinct targeting) and adds the distance points, in plain
Python: a chunk holds a few dozen rows, too few for numpy's per-call cost to pay. It stops at the first
row past which no row can enter the list — by the most the rows after it have besides distance, or, for the
rows not read yet, by :func:`~.scoring.max_points_besides_distance` — and reads the next chunk
(:data:`NEXT_CHUNK` rows) only when the bound at the chunk's last distance still lets one in.

From a 町丁目's or town's public point the table is kept for the read model's revision (at most
:data:`TABLES` of them, least recently used dropped) beside the stream it reads
(:meth:`~.context.MatchContext.nearby`); it holds nothing of a household (its keys: the need's category, a
synonym or not, the day, the areas of the point), and a write makes a new context, so nothing kept
outlives the revision. The ranking is exact — the same list, in the same order, as scoring every candidate
within the distance: every part but distance is a whole number of points
(:data:`~.scoring.WHOLE_POINT_PARTS`), so ``their sum + distance points`` is the same float as the
``math.fsum`` of the six parts, and a row further away scores at most its bound at this row's distance.
"""
from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import Iterator, NamedTuple

from ..model import Node
from ..taxonomy import Resolution, load_taxonomy
from .context import SHARED_POINT_PRECISIONS, WHOLE_CITY_LEVEL, AreaInfo, MatchContext
from .eligibility import MemberProfile, fits_targets
from .locate import Place
from .request import TimeSlot
from .retrieve import LRUMemo
from .scoring import (
    AREA_POINTS,
    SCHEDULE_POINTS,
    Fit,
    category_points,
    distance_points,
    max_points_besides_distance,
    round_score,
    schedule_points,
    site_points,
)

__all__ = ["Ranked", "rank_sites", "TABLES", "TABLE_ROWS", "FIRST_CHUNK", "NEXT_CHUNK"]

#: How many candidate tables (one per public point, categories and radius) a revision keeps.
TABLES = 4096
#: Rows scored first, then in each further chunk (~30 rows make a need's list of 5 on the benchmark catalogue;
#: a row read past the break costs a stream read — more k-nearest queries — when the point is new).
FIRST_CHUNK = 32
NEXT_CHUNK = 16
#: ... and at most this many rows in all (≈ 100 bytes each, see :class:`~.retrieve.LRUMemo`).
TABLE_ROWS = 50_000
#: A score more than this below a list's last (rounded to 0.1) rounds below it: such a row cannot enter the list.
ROUNDS_BELOW = 0.06


@dataclass
class _Table:
    """The candidates of one stream, nearest first, with their catalogue-side facts (grown as read)."""

    stream: Iterator[tuple[Node, float]]
    cats: frozenset[str]                                 # the need's category and its sub-categories
    nodes: list[Node] = field(default_factory=list)
    dists: list[float] = field(default_factory=list)
    areas: list[frozenset[str]] = field(default_factory=list)
    targeting: list[int] = field(default_factory=list)   # per row, its targeting (see ``alike``)
    alike: list[Node] = field(default_factory=list)      # per targeting, a node of it
    ended: bool = False
    _targetings: dict[tuple, int] = field(default_factory=dict)
    _offered: dict[str, list[str]] = field(default_factory=dict)   # by need category: what each row offers
    _whole: dict[tuple, tuple[list[float], list[float]]] = field(default_factory=dict)  # see ``whole_points``
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __len__(self) -> int:
        """The rows read so far (what the table holds)."""
        return len(self.nodes)

    def read(self, ctx: MatchContext, n: int) -> int:
        """Read the stream up to *n* rows (fewer when it ends); the number of rows."""
        with self._lock:
            while len(self.nodes) < n and not self.ended:
                item = next(self.stream, None)
                if item is None:
                    self.ended = True
                    break
                node, d = item
                self.nodes.append(node)
                self.dists.append(d)
                self.areas.append(ctx.resource_areas(node))
                t = node.targets
                key = (t.age_min, t.age_max, tuple(t.fields), t.residents_only and node.city)
                if key not in self._targetings:
                    self._targetings[key] = len(self.alike)
                    self.alike.append(node)
                self.targeting.append(self._targetings[key])
            return len(self.nodes)

    def whole_points(self, key: tuple, n: int, points: Callable[[Node, str, bool], float]
                     ) -> tuple[list[float], list[float]]:
        """Per row, its points of every part but distance and schedule under *key* (need, synonym, day, the
        household's areas below 市全域 — catalogue-side inputs), and the most of them among the row and the rows
        after it (of those computed: at least *n*). *points* (node, offered category, in one of the areas) →
        its category, capacity, freshness and area points, whole numbers (an exact sum)."""
        got = self._whole.get(key)
        if got is None or len(got[0]) < n:
            whole = got[0] if got else []
            offered, areas = self.offered(key[0], n), key[-1]
            whole = whole + [points(self.nodes[r], offered[r], not areas.isdisjoint(self.areas[r]))
                             for r in range(len(whole), n)]
            got = self._whole[key] = (whole, list(accumulate(reversed(whole), max))[::-1])
        return got

    def offered(self, need: str, n: int) -> list[str]:
        """Per row, the category it is matched by: the need's own when it offers it, else its first of the
        table's categories (the need's and its sub-categories)."""
        got = self._offered.get(need, [])
        if len(got) < n:
            got = self._offered[need] = got + [
                need if need in node.categories else next((c for c in node.categories if c in self.cats), need)
                for node in self.nodes[len(got):n]]
        return got


def _table(ctx: MatchContext, place: Place, cats: set[str], max_m: float) -> _Table:
    """The candidate table of a need at *place*: kept for the revision from a public point, else new."""
    def new() -> _Table:
        return _Table(iter(ctx.nearby(place, cats, max_m)), frozenset(cats))
    if place.precision not in SHARED_POINT_PRECISIONS:
        return new()
    tables = ctx.derived(("candidate_tables",), lambda: LRUMemo[tuple, _Table](TABLES, weigh=len, budget=TABLE_ROWS))
    return tables.get((place.lat, place.lng, frozenset(cats), max_m), new)


class Ranked(NamedTuple):
    """A site that made a need's list, with what its entry and reasons are built from."""
    node: Node
    distance_m: float
    fit: Fit
    same_area: AreaInfo | None   # the household's area (below 市全域) the site is in
    areas: frozenset[str]        # the site's areas


def rank_sites(ctx: MatchContext, place: Place, areas: tuple[AreaInfo, ...], res: Resolution, cats: set[str],
               who: MemberProfile, times: list[TimeSlot], speed: float, limit: int, max_m: float,
               today: date) -> list[Ranked]:
    """The top *limit* eligible sites within *max_m* of *place* for one need, by score, then distance, then id."""
    need = res.category
    synonym = res.fit == "synonym"
    sub_areas = tuple(a for a in areas if a.level != WHOLE_CITY_LEVEL)  # the areas that score AREA_POINTS
    sub_ids = frozenset(a.id for a in sub_areas)
    bound = max_points_besides_distance(bool(times), via_synonym=synonym, area_possible=bool(sub_areas)) + 1e-9
    tax = load_taxonomy()
    fits: dict[str, tuple[Fit, float]] = {}  # by the category a site offers: the same for every site offering it

    def fit_of(offered: str) -> tuple[Fit, float]:
        got = fits.get(offered)
        if got is None:
            fit = Fit("exact" if offered == need.id else "descendant", synonym, need.label, tax.get(offered).label,
                      res.term)
            got = fits[offered] = (fit, category_points(fit))
        return got

    def points(node: Node, offered: str, in_area: bool) -> float:
        return fit_of(offered)[1] + site_points(node, today) + (AREA_POINTS if in_area else 0.0)

    table = _table(ctx, place, cats, max_m)
    key = (need.id, synonym, today, sub_ids)
    at_times = SCHEDULE_POINTS if times else 0.0  # the most a row's sessions add to its whole points
    nodes, dists, targeting, alike = table.nodes, table.dists, table.targeting, table.alike  # grown by ``read``
    fits_of_targeting: dict[int, bool] = {}  # eligibility depends on a row's targeting alone: once per targeting
    top: list[tuple[float, float, str, int]] = []  # (-score, distance, id, row): the best eligible rows, sorted
    done = 0
    chunk = FIRST_CHUNK
    while True:
        n = table.read(ctx, done + chunk)
        whole, most = table.whole_points(key, n, points)
        for r in range(done, n):
            ok = fits_of_targeting.get(targeting[r])
            if ok is None:
                ok = fits_of_targeting[targeting[r]] = fits_targets(alike[targeting[r]], who)
            if not ok:
                continue
            near = distance_points(dists[r], speed)
            if len(top) == limit:
                last = -top[-1][0] - ROUNDS_BELOW  # a score under this rounds below the list's last one
                if most[r] + at_times + near < last:  # nor can any row of the table's after this one (nearer none)
                    if bound + near < last or (table.ended and len(most) == len(nodes)):
                        return _ranked(table, top, need.id, sub_areas, fit_of)  # nor any row not read yet
                    break
            # every part but distance is a whole number of points: their sum plus the distance's is the parts' fsum
            x = (whole[r] + schedule_points(nodes[r], times) if times else whole[r]) + near
            if len(top) == limit:
                if x < last:
                    continue
                row = (-round_score(x), dists[r], nodes[r].id, r)
                if row < top[-1]:
                    top.pop()
                    bisect.insort(top, row)
            else:
                bisect.insort(top, (-round_score(x), dists[r], nodes[r].id, r))
        if n == done or (table.ended and n == len(nodes)):
            break
        done = n
        if len(top) == limit and round_score(bound + distance_points(dists[n - 1], speed)) < -top[-1][0]:
            break  # no row past this one can reach the list
        chunk = NEXT_CHUNK
    return _ranked(table, top, need.id, sub_areas, fit_of)


def _ranked(table: _Table, top: list[tuple[float, float, str, int]], need: str, sub_areas: tuple[AreaInfo, ...],
            fit_of: Callable[[str], tuple[Fit, float]]) -> list[Ranked]:
    out = []
    offered = table.offered(need, len(table.nodes))
    for *_, row in top:
        site_areas = table.areas[row]
        out.append(Ranked(table.nodes[row], table.dists[row], fit_of(offered[row])[0],
                          next((a for a in sub_areas if a.id in site_areas), None), site_areas))
    return out
