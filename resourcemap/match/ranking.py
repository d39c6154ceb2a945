"""The top sites of one need: the candidate stream scored a chunk at a time.

Why chunks over a table: a need reads ~30 candidates to keep 5 (everything but distance may be worth 60
points), and scoring them one by one in a loop of function calls was half a warm match. Here the
candidates of a stream are kept as a table of their catalogue-side facts (node, distance, areas, points of
their own capacity and freshness, whether they offer the need's own category), and a request scores a
chunk of rows with a few list comprehensions: its eligibility (:func:`~.eligibility.fits_targets`, per
member), distance points (per walking speed), area and schedule points. Reading stops once the list is full
and nothing past the chunk could enter it; else the next chunk (:data:`NEXT_CHUNK` rows) is read.

From a 町丁目's or town's public point the table is kept for the read model's revision (at most
:data:`TABLES` of them, least recently used dropped) beside the stream it reads
(:meth:`~.context.MatchContext.nearby`); it holds nothing of a household, and a write makes a new context,
so nothing kept outlives the revision. The ranking is exact — the same list, in the same order, as scoring
every candidate within the distance: every part but distance is a whole number of points
(:data:`~.scoring.WHOLE_POINT_PARTS`), so ``their sum + distance points`` is the same float as the
``math.fsum`` of the six parts, and a row past the chunk scores at most the bound at the chunk's last
distance.
"""
from __future__ import annotations

import heapq
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Iterator

import numpy as np

from ..model import Node
from ..taxonomy import Resolution, load_taxonomy
from .context import SHARED_POINT_PRECISIONS, WHOLE_CITY_LEVEL, AreaInfo, MatchContext
from .eligibility import MemberProfile, fits_targets
from .locate import Place
from .request import TimeSlot
from .retrieve import LRUMemo
from .scoring import (
    AREA_POINTS,
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
TABLE_ROWS = 100_000


@dataclass
class _Table:
    """The candidates of one stream, nearest first, with their catalogue-side facts (grown as read)."""

    stream: Iterator[tuple[Node, float]]
    nodes: list[Node] = field(default_factory=list)
    dists: list[float] = field(default_factory=list)
    areas: list[frozenset[str]] = field(default_factory=list)
    targeting: list[int] = field(default_factory=list)   # per row, its targeting (see ``alike``)
    alike: list[Node] = field(default_factory=list)      # per targeting, a node of it
    ended: bool = False
    _targetings: dict[tuple, int] = field(default_factory=dict)
    _site_points: dict[date, list[float]] = field(default_factory=dict)   # by day (freshness ages)
    _offered: dict[str, list[str]] = field(default_factory=dict)          # by need category: what each row offers
    _in_area: dict[frozenset[str], list[bool]] = field(default_factory=dict)  # by areas: whether each row is in one
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

    def site_points(self, today: date, n: int) -> list[float]:
        got = self._site_points.get(today, [])
        if len(got) < n:
            got = self._site_points[today] = got + [site_points(node, today) for node in self.nodes[len(got):n]]
        return got

    def in_area(self, areas: frozenset[str], n: int) -> list[bool]:
        got = self._in_area.get(areas, [])
        if len(got) < n:
            got = self._in_area[areas] = got + [not areas.isdisjoint(a) for a in self.areas[len(got):n]]
        return got

    def offered(self, need: str, cats: set[str], n: int) -> list[str]:
        """Per row, the category it is matched by: the need's own when it offers it, else its first of *cats*
        (the table's categories: the need's and its sub-categories)."""
        got = self._offered.get(need, [])
        if len(got) < n:
            got = self._offered[need] = got + [
                need if need in node.categories else next((c for c in node.categories if c in cats), need)
                for node in self.nodes[len(got):n]]
        return got


def _table(ctx: MatchContext, place: Place, cats: set[str], max_m: float) -> _Table:
    """The candidate table of a need at *place*: kept for the revision from a public point, else new."""
    if place.precision not in SHARED_POINT_PRECISIONS:
        return _Table(iter(ctx.nearby(place, cats, max_m)))
    tables = ctx.derived(("candidate_tables",), lambda: LRUMemo[tuple, _Table](TABLES, weigh=len, budget=TABLE_ROWS))
    return tables.get((place.lat, place.lng, frozenset(cats), max_m),
                      lambda: _Table(iter(ctx.nearby(place, cats, max_m))))


@dataclass(frozen=True)
class Ranked:
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

    table = _table(ctx, place, cats, max_m)
    ranks: list[tuple[float, float, str, int]] = []  # (-score, distance, id, row): the best eligible rows read
    done = 0
    chunk = FIRST_CHUNK
    while True:
        n = table.read(ctx, done + chunk)
        targeting = np.array(table.targeting[done:n], dtype=np.intp)  # (read before ``alike``, which grows first)
        # eligibility depends on a node's targeting alone (and its city for residents only): once per targeting
        eligible = np.array([fits_targets(node, who) for node in table.alike], dtype=bool)
        rows = np.flatnonzero(eligible[targeting])
        near = [distance_points(d, speed) for d in table.dists[done:n]]
        # every part but distance is a whole number of points: their sum plus the distance's is the parts' fsum
        offered = table.offered(need.id, cats, n)[done:n]
        points = {o: fit_of(o)[1] for o in set(offered)}
        whole = np.array([points[o] for o in offered]) + np.array(table.site_points(today, n)[done:n])
        if sub_ids:
            whole += np.where(np.array(table.in_area(sub_ids, n)[done:n], dtype=bool), AREA_POINTS, 0.0)
        if times:
            whole += np.array([schedule_points(node, times) for node in table.nodes[done:n]])
        total = whole + np.array(near)
        if len(rows) > limit:  # only the rows that may round to the limit-th best score of the chunk or above
            rows = rows[total[rows] >= np.partition(total[rows], -limit)[-limit] - 0.1]
        ranks.extend((-round_score(x), table.dists[done + r], table.nodes[done + r].id, done + r)
                     for x, r in zip(total[rows].tolist(), rows.tolist()))
        ranks = top = heapq.nsmallest(limit, ranks)
        if n == done or (table.ended and n == len(table.nodes)):
            break
        done = n
        if len(top) >= limit and round_score(bound + near[-1]) < -top[-1][0]:
            break  # no row past this one can reach the list
        chunk = NEXT_CHUNK
    out = []
    for *_, row in top:
        site_areas = table.areas[row]
        out.append(Ranked(table.nodes[row], table.dists[row], fit_of(table.offered(need.id, cats, row + 1)[row])[0],
                          next((a for a in sub_areas if a.id in site_areas), None), site_areas))
    return out
