"""The app's services, opened once at start-up and held in one typed object.

Why typed and eager: a route asks for ``state.keyring`` or ``state.unmet`` and an editor's "go to
definition" lands here; nothing is looked up by name at run time, and a bad auxiliary file fails
the start, not the first request that happens to need it. The services:

=====================  ====================================================================
``settings``           :class:`resourcemap.config.Settings` (read once)
``store``              the system of record (:func:`resourcemap.graph.stores.open_store`)
``readmodel``          the in-memory graph following the store
``aux``                the one handle on the auxiliary tables (keys, corrections, unmet counts)
``keyring``            API keys (:class:`resourcemap.keys.KeyRing`)
``people``             staff accounts and page sessions (:class:`resourcemap.people.People`)
``corrections``        the "report a problem" queue
``unmet``              the unmet-need counters the matcher adds to
``auth_limiter``       failed key checks and sign-ins per client (:class:`api.ratelimit.FailureLimiter`)
``opendata``           the open-data import log and link review queue (:class:`resourcemap.opendata.Registry`)
``gaps_cache``,        results derived from the read model, kept for its current revision only
``network_cache``,     (:class:`RevisionCache`); ``basemap_cache`` holds the maps' offline
``basemap_cache``,     background per municipality; ``hsds_directory`` is the public HSDS
``hsds_directory``     directory (:class:`resourcemap.hsds.directory.PublicDirectory`) of that revision
``node_pages``         encoded ``GET /v1/nodes`` pages, kept for the *store's* current revision (the route
                       reads the store, not the read model) and the day (freshness counts days)
``node_json``          each listed node's JSON, kept per (id, version, day) across revisions
                       (:class:`NodeEncodings`): a page built after a write re-encodes only what changed
=====================  ====================================================================

Opening the services also bounds glibc's malloc arenas (:func:`limit_malloc_arenas`): every request
thread would otherwise get its own, each keeping the high-water mark of what its requests allocated.
"""
from __future__ import annotations

import ctypes
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from resourcemap.auxdb import AuxDB
from resourcemap.config import Settings
from resourcemap.corrections import Corrections
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.base import GraphStore
from resourcemap.hsds.directory import PublicDirectory
from resourcemap.keys import KeyRing
from resourcemap.match import UnmetLog
from resourcemap.opendata import Registry
from resourcemap.people import People

from .ratelimit import FailureLimiter

__all__ = ["AppState", "Caller", "NodeEncodings", "RevisionCache", "limit_malloc_arenas"]

V = TypeVar("V")
#: How many encoded ``GET /v1/nodes`` pages are kept (≈ 0.2 MiB each at the default limit of 100).
NODE_PAGES_KEPT = 64
#: How many nodes' encoded JSON ``GET /v1/nodes`` keeps (≈ 1 KiB each: ≈ 10 MiB; every node of a 10,000-node
#: catalogue, the most-listed ones of a larger one).
NODE_ENCODINGS_KEPT = 10_000
#: glibc malloc arenas a server process may use (glibc's own default: 8 per core).
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Let glibc's malloc use at most *arenas* arenas in this process (what ``MALLOC_ARENA_MAX`` does);
    False where the C library is not glibc.

    Why: the server answers requests on a pool of threads, and glibc gives a thread that meets a busy
    arena one of its own, up to 8 per core. Each arena keeps the high-water mark of what its requests
    allocated (SQLite pages, response bodies), so RSS crept up minute after minute under a steady load
    while Python's own heap stayed flat: ``bench/soak.py`` side by side, +2.0 % in 3 minutes with the
    default, flat with two arenas, at the same CPU per request (docs/benchmarks.md "Soak"). Python
    serialises its threads anyway; the few that run C code at once share two arenas without harm.
    """
    try:
        return bool(ctypes.CDLL(None).mallopt(_M_ARENA_MAX, int(arenas)))
    except (OSError, AttributeError):  # not glibc
        return False


class RevisionCache(Generic[V]):
    """A few results computed from the read model, valid while its revision stands (LRU within it).

    Why keyed by revision: a page that polls must not redo an analysis, and a write must be seen at
    once — a new revision empties the cache.

    >>> cache: RevisionCache[int] = RevisionCache(size=2)
    >>> cache.get(1, "a", lambda: 10), cache.get(1, "a", lambda: 99), cache.get(2, "a", lambda: 20)
    (10, 10, 20)
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._revision: int | None = None
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, revision: int, key: Hashable, compute: Callable[[], V]) -> V:
        """The value for *key* at *revision*, computed (outside the lock) when not held."""
        with self._lock:
            if revision != self._revision:
                self._items.clear()
                self._revision = revision
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            if revision == self._revision:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value


class NodeEncodings:
    """Each listed node's JSON (as ``GET /v1/nodes`` shows it), kept per node for its version and day (LRU).

    Why: the page cache (:class:`RevisionCache` in ``AppState.node_pages``) is emptied by every write,
    and a server taking writes every second rebuilt nearly every page from the stored images (parse,
    freshness, encode: most of a list's CPU). A node's JSON changes only with its version and, through
    its freshness, with the day, so a page built after a write lists the nodes' versions
    (:meth:`GraphStore.query_node_versions`) and encodes only the nodes not held at that version.
    A node's versions never go back (the store's contract), so (id, version) names one JSON. A node listed
    at a version the store no longer has (written between the two reads) is not kept and the page is
    refused (None): the caller builds it the long way, so nothing older than the listing is ever shown.
    Nothing here follows the store's revision: requests read it at slightly different moments, and
    emptying on a revision seen going back would empty it under every burst of writes.

    >>> memo = NodeEncodings(size=2)
    >>> fetch = lambda ids: {i: (2, i.encode()) for i in ids}
    >>> memo.get([("a", 2), ("b", 2)], "d", fetch), memo.get([("a", 1)], "d", fetch)
    ([b'a', b'b'], None)
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[int, Hashable, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, listed: Sequence[tuple[str, int]], day: Hashable,
            fetch: Callable[[list[str]], dict[str, tuple[int, bytes]]]) -> list[bytes] | None:
        """The JSON of each listed ``(id, version)`` in order, on *day*; *fetch* gives ``{id: (version, json)}`` for the ids not held (outside the lock). None when a
        node's version is not the listed one (see the class)."""
        out: list[bytes | None] = []
        missing: list[str] = []
        with self._lock:
            for node_id, version in listed:
                held = self._items.get(node_id)
                if held is not None and held[0] == version and held[1] == day:
                    self._items.move_to_end(node_id)
                    out.append(held[2])
                else:
                    out.append(None)
                    missing.append(node_id)
        if not missing:
            return out  # type: ignore[return-value]  # every entry was held
        fetched = fetch(missing)
        want = dict(listed)
        if any(fetched.get(i, (None,))[0] != want[i] for i in missing):
            return None
        with self._lock:
            for node_id in missing:
                version, body = fetched[node_id]
                self._items[node_id] = (version, day, body)
                self._items.move_to_end(node_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return [body if body is not None else fetched[node_id][1] for (node_id, _), body in zip(listed, out)]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's name and role (never the key itself)."""

    name: str
    role: str


@dataclass
class AppState:
    """Everything a request may use, opened by :meth:`open` when the app starts (see the module docstring)."""

    settings: Settings
    store: GraphStore
    readmodel: ReadModel
    aux: AuxDB
    keyring: KeyRing
    people: People
    corrections: Corrections
    unmet: UnmetLog
    auth_limiter: FailureLimiter
    opendata: Registry
    gaps_cache: RevisionCache[Any] = field(default_factory=lambda: RevisionCache(size=16))
    network_cache: RevisionCache[Any] = field(default_factory=lambda: RevisionCache(size=8))
    basemap_cache: RevisionCache[Any] = field(default_factory=lambda: RevisionCache(size=16))
    hsds_directory: RevisionCache[PublicDirectory] = field(default_factory=lambda: RevisionCache(size=1))
    node_pages: RevisionCache[bytes] = field(default_factory=lambda: RevisionCache(size=NODE_PAGES_KEPT))
    node_json: NodeEncodings = field(default_factory=lambda: NodeEncodings(size=NODE_ENCODINGS_KEPT))

    @classmethod
    def open(cls, settings: Settings, *, store: GraphStore | None = None) -> AppState:
        """Open every service for *settings* (or around an already open *store*)."""
        from resourcemap.graph.stores import open_store

        limit_malloc_arenas()
        given = store
        store = store or open_store(settings=settings)
        aux: AuxDB | None = None
        try:
            aux = AuxDB(settings.aux_db)
            return cls(settings=settings, store=store, readmodel=ReadModel(store), aux=aux, keyring=KeyRing(aux),
                       people=People(aux, session_hours=settings.session_hours),
                       corrections=Corrections(aux), unmet=UnmetLog(aux),
                       auth_limiter=FailureLimiter(settings.auth_limits), opendata=Registry(aux))
        except BaseException:  # a bad auxiliary file fails the start: close what was opened here
            if aux is not None:
                aux.close()
            if given is None:
                store.close()
            raise

    def close(self) -> None:
        self.readmodel.close()
        self.store.close()
        self.aux.close()
