"""Candidate retrieval: resources of some categories near a point, nearest first, no full scan.

Why a stream: the matcher wants candidates in distance order and usually stops after a few
(see :func:`resourcemap.match.scoring.max_points_besides_distance`). Each category has its own
KD-tree in :class:`~resourcemap.graph.spatial.SpatialIndex`; the stream asks every tree for
its *k* nearest within the radius, merges them, yields those that are certainly complete
(closer than the k-th of any tree that may hold more), and asks again with 4·k when the
caller wants more. A need with sub-categories is one stream over all of their trees.

Why a replay: households are located at a 町丁目's public point, so many requests ask the same
stream (same point, categories and radius) of one read-model revision. :class:`Replay` keeps what a
stream has yielded so far and lets any number of readers walk it, each reading on (and asking the
trees again) only past what an earlier reader already read; :class:`ReplayCache` keeps a bounded number
of them for one revision (see :meth:`resourcemap.match.context.MatchContext.nearby`).
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Callable, Generic, Iterable, Iterator, TypeVar

from ..graph.spatial import SpatialIndex

__all__ = ["nearest_stream", "Replay", "ReplayCache", "LRUMemo"]

T = TypeVar("T")

FIRST_K = 16
GROWTH = 4


def nearest_stream(index: SpatialIndex, lat: float, lng: float, categories: Iterable[str],
                   max_m: float, first_k: int = FIRST_K) -> Iterator[tuple[str, float]]:
    """Yield (id, metres) of every point in any of *categories* within *max_m*, nearest first.

    Each id once; ties in distance come out in id order within one round.
    """
    cats = list(dict.fromkeys(categories))
    k = max(1, first_k)
    seen: set[str] = set()
    while True:
        merged: dict[str, float] = {}
        complete_below = math.inf  # everything strictly closer than this has been returned
        saturated = False
        for c in cats:
            found = index.nearest(lat, lng, k, max_m, c)
            for pid, d in found:
                if d < merged.get(pid, math.inf):
                    merged[pid] = d
            if len(found) == k:
                saturated = True
                complete_below = min(complete_below, found[-1][1])
        for pid, d in sorted(merged.items(), key=lambda t: (t[1], t[0])):
            if saturated and d >= complete_below:
                break
            if pid not in seen:
                seen.add(pid)
                yield pid, d
        if not saturated:
            return
        k *= GROWTH


class Replay(Generic[T]):
    """A stream read once and replayed: each iteration yields the same items in the same order, reading the
    underlying stream only past what an earlier iteration has already read (thread-safe)."""

    def __init__(self, stream: Iterator[T]) -> None:
        self._stream: Iterator[T] | None = stream
        self._read: list[T] = []
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[T]:
        i = 0
        while True:
            if i < len(self._read):
                yield self._read[i]
                i += 1
                continue
            with self._lock:
                if i == len(self._read):  # nobody read further meanwhile
                    if self._stream is None:
                        return
                    item = next(self._stream, None)
                    if item is None:
                        self._stream = None
                        return
                    self._read.append(item)

    def __len__(self) -> int:
        """The items read from the stream so far (what this replay holds)."""
        return len(self._read)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRUMemo(Generic[K, V]):
    """At most *size* values by key, built on first use, the least recently used dropped first (thread-safe):
    what the matcher keeps per read-model revision by a public point, bounded whatever the requests ask.

    With *weigh*, also at most *budget* of the values' total weight (rows, candidates: a proxy for their bytes).
    Why: a count alone does not bound memory — on a catalogue of 1,000,000 resources one point's candidates
    are 100 times those of a municipality's catalogue, and 4,096 of them outgrew the server's memory. Values
    may grow after they are built (a stream read further), so the weights are taken again whenever a new
    value is added (a miss: the slow path already), and the least recently used are dropped until the total
    fits; the newest value is always kept.
    """

    def __init__(self, size: int, *, weigh: Callable[[V], int] | None = None, budget: int | None = None) -> None:
        self._size = size
        self._weigh = weigh
        self._budget = budget
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        with self._lock:
            value = self._values.get(key)
            if value is None:
                value = self._values[key] = build()
                self._shrink()
            else:
                self._values.move_to_end(key)
            return value

    def _shrink(self) -> None:
        """Drop the least recently used values beyond *size*, then beyond *budget* (the caller holds the lock)."""
        while len(self._values) > self._size:
            self._values.popitem(last=False)
        if self._weigh is None or self._budget is None:
            return
        weigh = self._weigh
        total = sum(weigh(v) for v in self._values.values())
        while total > self._budget and len(self._values) > 1:
            total -= weigh(self._values.popitem(last=False)[1])

    def kept(self, keep: Callable[[K], bool] | None = None) -> LRUMemo[K, V]:
        """A new memo of the same bounds holding this one's values (the same objects, in the same order) whose
        key *keep* accepts (all without *keep*): what a write left valid, carried to the next revision's context."""
        out: LRUMemo[K, V] = LRUMemo(self._size, weigh=self._weigh, budget=self._budget)
        with self._lock:
            out._values = OrderedDict(self._values) if keep is None else \
                OrderedDict((k, v) for k, v in self._values.items() if keep(k))
        return out

    def keys(self) -> list[K]:
        """The keys held, least recently used first."""
        with self._lock:
            return list(self._values)

    def weight(self) -> int:
        """The total weight of the values held now (0 without *weigh*)."""
        with self._lock:
            return sum(map(self._weigh, self._values.values())) if self._weigh is not None else 0

    @property
    def budget(self) -> int | None:
        return self._budget

    def __len__(self) -> int:
        return len(self._values)


class ReplayCache(Generic[T]):
    """At most *size* :class:`Replay` streams by key holding at most *budget* items read in all (None: no bound
    by items), the least recently used dropped first (see :class:`LRUMemo`)."""

    def __init__(self, size: int, budget: int | None = None) -> None:
        self._replays: LRUMemo[Hashable, Replay[T]] = LRUMemo(size, weigh=len, budget=budget)

    def get(self, key: Hashable, stream: Callable[[], Iterator[T]]) -> Replay[T]:
        return self._replays.get(key, lambda: Replay(stream()))

    def kept(self, keep: Callable[[Hashable], bool] | None = None) -> ReplayCache[T]:
        """A new cache holding this one's streams (the same :class:`Replay` objects, in the same order) whose
        key *keep* accepts (all without *keep*): what a write left valid is carried to the next revision's context."""
        out: ReplayCache[T] = ReplayCache(0)
        out._replays = self._replays.kept(keep)
        return out

    def keys(self) -> list[Hashable]:
        """The keys of the streams kept, least recently used first."""
        return self._replays.keys()

    def __len__(self) -> int:
        return len(self._replays)
