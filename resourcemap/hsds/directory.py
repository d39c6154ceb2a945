"""The public directory: what of the catalogue anyone may read over the HSDS API, and the queries on it.

What "public" means (docs/hsds.md, "What is public"):

* **services** — resource nodes (agency, hub, place, subsidy_group) whose status is ``active``;
  inactive, planned (移行予定) and defunct ones are not served;
* **organizations** — the organization of at least one public service (an agency is its own);
* **service_at_locations** — the site of a public service that has a point or a public address;
* **taxonomies** — our two taxonomies, in full.

Never served: meetings (支援会議), coordinators and other people, areas except as a service's
``service_areas`` name, unmet-need counts, the change log, keys, and in any object the key that
verified a node or wrote it (:data:`~resourcemap.hsds.mapping.PUBLIC`).

Why one view per read-model revision: every list, filter and page of the API reads the same
facts — which services are public, whose organization each is, when each last changed — and
deriving them per request would cost a pass over the catalogue each time. A
:class:`PublicDirectory` is built once per revision (the API keeps it in
``api.state.AppState.hsds_directory``) and the HSDS objects lazily, once each. ``proximity`` and the category side of ``search`` are answered
by the read model's spatial index — the per-category KD-trees the matcher queries.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any

from ..errors import UnknownCategory
from ..graph.readmodel import ReadModel
from ..graph.spatial import ALL
from ..model import RESOURCE_KINDS, Edge, Node
from ..taxonomy import load_taxonomy
from ..textnorm import normalize
from .mapping import (
    BUNYA,
    BUNYA_TAXONOMY,
    CATEGORY_TAXONOMY,
    EXTERNAL_ID_TAXONOMY,
    PUBLIC,
    TAXONOMIES,
    Audience,
    dataset_codes,
    hsds_id,
    one_to_one,
    organization_link,
    organization_of,
    service_at_location_of,
    service_of,
    service_summary,
    taxonomy_of,
    taxonomy_terms,
)
from .params import Place

__all__ = ["is_public_service", "ServiceFilter", "PublicDirectory"]

_WHOLE_AREA = "*"  # an area's chome list that means "the whole municipality"


def is_public_service(n: Node) -> bool:
    """A resource that is running now: the only kind of node the public API describes as a service."""
    return n.kind in RESOURCE_KINDS and n.status == "active"


@dataclass(frozen=True)
class ServiceFilter:
    """The filters ``/services`` and ``/service_at_locations`` share (all given ones must hold)."""

    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None
    place: Place | None = None        # from ``postcode``
    proximity_m: float | None = None  # metres from ``place``


class PublicDirectory:
    """The public services, organizations and taxonomy of one revision of a read model."""

    def __init__(self, rm: ReadModel, removed_edges: Iterable[Edge] = (),
                 dataset_dates: Mapping[str, date] | None = None) -> None:
        """*removed_edges*: the store's soft-deleted edges (removing a service's organization link is a change
        of that service); *dataset_dates*: the date of each open dataset's data, for its credit line."""
        self.rm = rm
        self.audience: Audience = replace(PUBLIC, dataset_dates=dict(dataset_dates or {}))
        self.revision = rm.revision
        tax = load_taxonomy()
        nodes = sorted((n for n in rm.nodes() if is_public_service(n)), key=lambda n: n.id)
        self.services: dict[str, Node] = {n.id: n for n in nodes}
        self._service_uuid = {hsds_id("service", n.id): n.id for n in nodes}
        self._sal_uuid = {hsds_id("service_at_location", n.id): n.id for n in nodes if n.located or n.address}
        self._with_location = frozenset(self._sal_uuid.values())
        self._org_of: dict[str, str] = {}
        self._org_nodes: dict[str, Node] = {}  # kept: a write racing a request cannot pull one away mid-answer
        org_services: dict[str, list[str]] = {}
        links = {n.id: organization_link(rm, n) for n in nodes}
        for node_id, link in links.items():
            if link is not None:
                self._org_of[node_id] = link[0].id
                self._org_nodes[link[0].id] = link[0]
                org_services.setdefault(link[0].id, []).append(node_id)
        self.organizations: dict[str, list[str]] = dict(sorted(org_services.items()))
        self._org_uuid = {hsds_id("organization", o): o for o in self.organizations}
        removed: dict[str, datetime] = {}
        for e in removed_edges:
            for end in (e.source, e.target):
                if e.updated_at is not None and (end not in removed or e.updated_at > removed[end]):
                    removed[end] = e.updated_at
        self.modified: dict[str, datetime | None] = {n.id: self._last_change(n, links[n.id], removed) for n in nodes}
        self._terms = {hsds_id(CATEGORY_TAXONOMY, c.id): (CATEGORY_TAXONOMY, c.id) for c in tax}
        self._terms.update({hsds_id(BUNYA_TAXONOMY, f): (BUNYA_TAXONOMY, f) for f in BUNYA})
        self._terms.update({hsds_id(EXTERNAL_ID_TAXONOMY, d): (EXTERNAL_ID_TAXONOMY, d) for d in dataset_codes()})
        self._taxonomy_uuid = {hsds_id("taxonomy", key): key for key in TAXONOMIES}
        self._term_objects = taxonomy_terms(detail=True)
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._lists: dict[tuple[str, str], list[tuple[str, float | None]]] = {}

    def _last_change(self, n: Node, link: tuple[Node, Edge | None] | None,
                     removed: dict[str, datetime]) -> datetime | None:
        """When anything the service's object is built from last changed (node, organization, program,
        area, the edges between them — and, for an edge since removed, the time it was removed)."""
        times = [n.updated_at, removed.get(n.id)]
        if link is not None:
            times += [link[0].updated_at, link[1].updated_at if link[1] else None]
        for e in self.rm.out_edges(n.id, "implements"):
            times += [e.updated_at, self.rm.node(e.target).updated_at]
        if n.area_id and self.rm.has(n.area_id):
            times.append(self.rm.node(n.area_id).updated_at)
        known = [t for t in times if t is not None]
        return max(known) if known else None

    @cached_property
    def _text(self) -> dict[str, str]:
        """Each service's search key: its name, other name, description, address and organization's name
        (built on the first search of the revision)."""
        return {n.id: normalize(" ".join(filter(None, (
            n.name, n.alternate_name, n.description, n.address,
            self._org_nodes[self._org_of[n.id]].name if n.id in self._org_of else None)))) for n in self.services.values()}

    @cached_property
    def _org_text(self) -> dict[str, str]:
        return {o: normalize(" ".join(filter(None, (org.name, org.alternate_name, org.description))))
                for o, org in self._org_nodes.items()}

    # -- look-ups by HSDS id --------------------------------------------------------------------
    def service_node(self, uid: str) -> str | None:
        return self._service_uuid.get(uid)

    def sal_node(self, uid: str) -> str | None:
        return self._sal_uuid.get(uid)

    def organization_node(self, uid: str) -> str | None:
        return self._org_uuid.get(uid)

    # -- the objects (each built once per revision) ----------------------------------------------
    def _cached(self, kind: str, key: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        obj = self._cache.get((kind, key))
        if obj is None:
            obj = self._cache[(kind, key)] = build()
        return obj

    def service(self, node_id: str, *, nested: bool = True) -> dict[str, Any]:
        """The full service (``service.json``); ``nested=False``: without its one-to-many parts."""
        return self._cached("service" if nested else "service_flat", node_id, lambda: service_of(
            self.rm, self.services[node_id], audience=self.audience, last_modified=self.modified[node_id], nested=nested))

    def service_item(self, node_id: str) -> dict[str, Any]:
        """The service as a list item (``service_list.json``)."""
        return self._cached("service_item", node_id,
                            lambda: service_summary(self._cache.get(("service", node_id))
                                                    or self.service(node_id, nested=False)))

    def service_minimal(self, node_id: str) -> dict[str, Any]:
        """``minimal=true``: id and modified date (name and status too: ``service_list.json`` requires them)."""
        svc = self.service_item(node_id)
        out = {k: svc[k] for k in ("id", "name", "status", "last_modified") if k in svc}
        if "last_modified" in svc:
            out["modified_date"] = svc["last_modified"]
        return out

    def service_at_location(self, node_id: str) -> dict[str, Any]:
        """The full service_at_location: its location and service nested.

        It also carries the service's ``name`` and ``status``: the official API document names
        ``compiled/service.json`` (which requires both) as this endpoint's answer, so the object
        validates against that as well as against ``service_at_location.json``.
        """
        def build() -> dict[str, Any]:
            svc = self.service(node_id)
            sal = service_at_location_of(self.services[node_id])
            assert sal is not None
            nested = {k: v for k, v in svc.items() if k != "service_at_locations"}
            return {**sal, "name": svc["name"], "status": svc["status"], "service": nested}
        return self._cached("sal", node_id, build)

    def service_at_location_item(self, node_id: str) -> dict[str, Any]:
        """The service_at_location as a list item (``service_at_location_list.json``)."""
        def build() -> dict[str, Any]:
            full = self.service_at_location(node_id)
            return {**one_to_one(full), "location": one_to_one(full["location"]),
                    "service": service_summary(full["service"])}
        return self._cached("sal_item", node_id, build)

    def organization(self, org_id: str, *, full_services: bool = False) -> dict[str, Any]:
        """The organization with its public services (as list items, or full with *full_services*)."""
        def build() -> dict[str, Any]:
            one = self.service if full_services else self.service_item
            services = [{k: v for k, v in one(s).items() if k != "organization"} for s in self.organizations[org_id]]
            return {**organization_of(self._org_nodes[org_id], self.audience), "services": services}
        return self._cached("org_full" if full_services else "org", org_id, build)

    def organization_item(self, org_id: str) -> dict[str, Any]:
        """The organization as a list item (``organization_list.json``)."""
        return self._cached("org_item", org_id, lambda: one_to_one(organization_of(self._org_nodes[org_id], self.audience)))

    # -- queries ----------------------------------------------------------------------------------
    def find_services(self, f: ServiceFilter, *, located: bool = False) -> list[tuple[str, float | None]]:
        """Public services (with a location, when *located*) passing *f*: (node id, metres from the
        ``postcode`` point or None), nearest first with ``proximity``, else in id order."""
        keep = self._predicate(f, check_search=f.proximity_m is None)
        found: list[tuple[str, float | None]]
        if f.place is not None and f.proximity_m is not None:
            found = list(self._near(f.place, f.proximity_m, f.search))
        elif keep is None:  # no filter at all: the whole list, made once per revision
            return self._everything(located)
        else:
            found = [(nid, None) for nid in self.services]
        return [(nid, d) for nid, d in found if (not located or nid in self._with_location) and (keep is None
                                                                                                 or keep(nid))]

    def _everything(self, located: bool) -> list[tuple[str, float | None]]:
        key = ("everything", "located" if located else "all")
        got = self._lists.get(key)
        if got is None:
            got = self._lists[key] = [(nid, None) for nid in self.services if not located or nid in self._with_location]
        return got

    def _near(self, place: Place, metres: float, search: str | None) -> list[tuple[str, float]]:
        """Public services within *metres* of *place* from the spatial index, nearest first, id order on ties.

        With ``search``: its category side comes from the trees of those categories, its text side is
        tested on the services the all-categories tree found in range.
        """
        index = self.rm.index
        hits = [(pid, d) for pid, d in index.within(place.lat, place.lng, metres, ALL) if pid in self.services]
        if not search:
            return hits
        key = normalize(search)
        out = {pid: d for pid, d in hits if key and key in self._text[pid]}
        for cat in self._search_categories(search):
            out.update((pid, d) for pid, d in index.within(place.lat, place.lng, metres, cat) if pid in self.services)
        return sorted(out.items(), key=lambda t: (t[1], t[0]))

    @staticmethod
    def _search_categories(search: str) -> set[str]:
        """The categories a search word names (with their sub-categories), as the matcher reads a need."""
        tax = load_taxonomy()
        try:
            return tax.descendants(tax.resolve(search).category.id)
        except UnknownCategory:
            return set()

    def _predicate(self, f: ServiceFilter, *, check_search: bool) -> Callable[[str], bool] | None:
        """Every filter of *f* but the spatial one, as one test of a node id (None: nothing to test)."""
        tests: list[Callable[[Node], bool]] = []
        if check_search and f.search:
            key, cats = normalize(f.search), self._search_categories(f.search)
            tests.append(lambda n: bool((key and key in self._text[n.id]) or cats.intersection(n.categories)))
        if f.taxonomy_term_id is not None:
            tests.append(self._term_test(f.taxonomy_term_id))
        if f.taxonomy_id is not None:
            which = self._taxonomy_uuid.get(f.taxonomy_id)
            tests.append(lambda n: bool(n.categories) if which == CATEGORY_TAXONOMY
                         else bool(n.targets.fields) if which == BUNYA_TAXONOMY
                         else bool(n.external_ids) if which == EXTERNAL_ID_TAXONOMY else False)
        if f.organization_id is not None:
            org = self._org_uuid.get(f.organization_id)
            tests.append(lambda n: org is not None and self._org_of.get(n.id) == org)
        if f.modified_after is not None:
            after = f.modified_after
            tests.append(lambda n: (m := self.modified[n.id]) is not None and m >= after)
        if f.place is not None and f.proximity_m is None:
            tests.append(lambda n: self._serves(n, f.place))  # type: ignore[arg-type]
        if not tests:
            return None
        return lambda nid: all(t(self.services[nid]) for t in tests)

    def _term_test(self, term_uuid: str) -> Callable[[Node], bool]:
        """A category term matches its sub-categories too (as a need does in the matcher)."""
        taxonomy, code = self._terms.get(term_uuid, ("", ""))
        if taxonomy == CATEGORY_TAXONOMY:
            cats = load_taxonomy().descendants(code)
            return lambda n: bool(cats.intersection(n.categories))
        if taxonomy == BUNYA_TAXONOMY:
            return lambda n: code in n.targets.fields
        if taxonomy == EXTERNAL_ID_TAXONOMY:  # the sites a public dataset lists
            return lambda n: code in n.external_ids
        return lambda n: False

    def _serves(self, n: Node, place: Place) -> bool:
        """Whether the service's area holds the 町丁目 (no area: its municipality does)."""
        if n.area_id and self.rm.has(n.area_id):
            area = self.rm.node(n.area_id)
            return area.city == place.city and (_WHOLE_AREA in area.chome or place.chome in area.chome)
        return n.city == place.city

    def find_organizations(self, search: str | None) -> list[str]:
        if not search:
            return list(self.organizations)
        key = normalize(search)
        return [o for o in self.organizations if key and key in self._org_text[o]]

    # -- taxonomies ---------------------------------------------------------------------------------
    @staticmethod
    def taxonomies(search: str | None = None) -> list[dict[str, Any]]:
        key = normalize(search or "")
        out = [taxonomy_of(k) for k in TAXONOMIES]
        return [t for t in out if not key or key in normalize(f"{t['name']} {t['description']} {t['version']}")]

    def taxonomy(self, uid: str) -> dict[str, Any] | None:
        key = self._taxonomy_uuid.get(uid)
        return taxonomy_of(key) if key else None

    def terms(self, search: str | None = None, taxonomy_id: str | None = None, parent_id: str | None = None,
              top_only: bool = False) -> list[dict[str, Any]]:
        """Taxonomy terms; ``search`` matches name, code and synonyms, or the category the word names."""
        out = self._term_objects
        if taxonomy_id is not None:
            out = [t for t in out if t["taxonomy_id"] == taxonomy_id]
        if parent_id is not None:
            out = [t for t in out if t.get("parent_id") == parent_id]
        if top_only:
            out = [t for t in out if "parent_id" not in t]
        if search:
            key = normalize(search)
            named = self._search_categories(search)
            out = [t for t in out if (t["taxonomy"] == CATEGORY_TAXONOMY and t["code"] in named) or (key and key in
                   normalize(" ".join([t["name"], t["code"], *t.get("jp_synonyms", [])])))]
        return out

    def term(self, uid: str) -> dict[str, Any] | None:
        return next((t for t in self._term_objects if t["id"] == uid), None)
