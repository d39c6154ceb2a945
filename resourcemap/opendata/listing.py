"""``resourcemap sources``: each imported dataset with its publisher, date, licence, credit and rows.

Why counted from the graph: the import log (:mod:`.registry`) says which file was read when; how
many sites of a dataset the catalogue *holds* is read from the nodes themselves (their
``external_ids``), so the listing stays true after merges, edits and inactivations.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from ..cities import CITIES
from ..graph.stores.base import GraphStore, NodeQuery
from ..model import Node
from .mapping import load_datasets
from .merge import owner_of
from .registry import Registry

__all__ = ["sources", "attributions", "credit_lines", "dataset_dates", "city_figures"]


def _city_name(codes: Iterable[str]) -> str | None:
    names = [CITIES[c].name for c in sorted(codes) if c in CITIES]
    return "・".join(names) if names else None


def sources(store: GraphStore, registry: Registry) -> list[dict[str, Any]]:
    """One entry per dataset imported into this catalogue, in the registry's order of datasets."""
    registry_defs = load_datasets()
    live: Counter[str] = Counter()
    inactive: Counter[str] = Counter()
    for n in store.query_nodes(NodeQuery()):
        for d in n.external_ids:
            (live if n.status != "inactive" else inactive)[d] += 1
    out = []
    for d, spec in registry_defs.items():
        log = registry.imports(d)
        if not log and not live[d] and not inactive[d]:
            continue
        last = log[-1] if log else {}
        dated = [r for r in log if r["as_of"]]
        as_of = max((r["as_of"] for r in dated), default=None)
        cities = sorted({c for r in log for c in r["cities"]})
        when = date.fromisoformat(as_of) if as_of else None
        city = _city_name(cities) if d.startswith("std-") else None
        out.append({"dataset": d, "name": spec.name, "publisher": spec.render(spec.publisher, city_name=city),
                    "date": as_of or (last.get("imported_at") or "")[:10] or None,
                    "date_basis": "publisher" if as_of else "imported",
                    "licence": spec.render(spec.licence, city_name=city),
                    "attribution": spec.render(spec.attribution, as_of=when, city_name=city),
                    "url": spec.url, "rows": live[d], "inactive": inactive[d], "cities": cities,
                    "imports": len(log), "last_file": last.get("file"), "last_imported_at": last.get("imported_at")})
    return out


def dataset_dates(registry: Registry) -> dict[str, date]:
    """The date of each dataset's data, as its imports recorded it (the latest; datasets without one left out)."""
    latest = registry.latest_as_of()
    return {d: date.fromisoformat(latest[d]) for d in load_datasets() if d in latest}


def credit_lines(datasets: Iterable[str], dates: Mapping[str, date],
                 cities: Mapping[str, Iterable[str]] | None = None) -> list[str]:
    """The credit line of each known dataset among *datasets* (by id; ``{date}`` from *dates*, ``{city}`` —
    the publishing municipality of a 自治体標準 list — from the city codes *cities* gives per dataset), each once."""
    specs = load_datasets()
    out: list[str] = []
    for d in sorted(set(datasets)):
        if d not in specs:
            continue
        codes: list[str | None] = [*sorted(set((cities or {}).get(d, ())))] or [None]
        for city in codes:
            text = specs[d].render(specs[d].attribution, as_of=dates.get(d),
                                   city_name=_city_name([city]) if city else None)
            if text not in out:
                out.append(text)
    return out


def attributions(nodes: Iterable[Node], registry: Registry | None = None, *,
                 dates: Mapping[str, date] | None = None) -> list[str]:
    """The credit lines a page or export must show for *nodes* (one per dataset they carry ids of, and per
    publishing municipality), dated from *dates* or else from the *registry*'s import log."""
    if dates is None:
        dates = dataset_dates(registry) if registry is not None else {}
    cities: dict[str, set[str]] = {}
    for n in nodes:
        for d in n.external_ids:
            cities.setdefault(d, set()).add(n.city)
    return credit_lines(cities, dates, cities)


def city_figures(store: GraphStore, registry: Registry, cities: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Per city: imported sites (live, owned by a dataset), plan nodes carrying a dataset id, links by status."""
    out: dict[str, dict[str, int]] = {}
    for code in cities or sorted(CITIES):
        nodes = store.query_nodes(NodeQuery(city=code))
        imported = [n for n in nodes if owner_of(n) and n.status != "inactive"]
        linked = [n for n in nodes if not owner_of(n) and n.external_ids]
        links = registry.counts(code)
        out[code] = {"sites_imported": len(imported), "plan_nodes_linked": len(linked),
                     "links_proposed": links["proposed"], "links_accepted": links["accepted"],
                     "links_rejected": links["rejected"]}
    return out
