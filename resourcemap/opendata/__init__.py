"""Public open data as sites of the directory: importers, the mapping table, the linker, the shipped extracts.

Why a package of its own: the plans give *programmes*; the publishers (国土地理院, 厚生労働省, the
municipalities' 自治体標準オープンデータセット) give *sites* with addresses, points and contacts.
This package turns their files into site nodes — each reader keeps the publisher's own column
names (:mod:`.gsi`, :mod:`.mhlw`, :mod:`.standard`), the reviewed ``mapping.yaml`` says what each
type is in the taxonomy, :mod:`.importer` diffs a file against the catalogue and applies it in one
transaction, :mod:`.linker` ties sites to the plans' nodes and programmes, :mod:`.registry` keeps
the import log and the review queue, and :mod:`.shipped` loads the data that ships with the
package. See docs/opendata.md.

Modules, arrows pointing down: importer → readers (gsi, mhlw, standard) → rows, files, clean,
codes, mapping; importer → merge, names; linker → merge, names, registry; shipped → importer.
"""
from __future__ import annotations

from ..graph.stores.base import GraphStore
from .importer import FORMATS, READERS, Geography, PackagedGeography, import_open_data, parse_scope
from .linker import accept, describe, link_city, merge_into, reject
from .listing import attributions, sources
from .mapping import Dataset, load_datasets, load_mapping
from .registry import LINK_KINDS, LINK_STATUSES, Registry
from .shipped import import_open_data_for, load_seed_open_data, national_files, seed_extracts

__all__ = ["FORMATS", "READERS", "describe", "Geography", "PackagedGeography", "import_open_data", "parse_scope", "accept",
           "link_city", "merge_into", "reject", "Dataset", "load_datasets", "load_mapping", "LINK_KINDS",
           "LINK_STATUSES", "Registry", "import_open_data_for", "load_seed_open_data", "national_files",
           "seed_extracts", "sources", "attributions", "figures"]


def figures(store: GraphStore, registry: Registry, cities: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Per municipality: sites imported, plan nodes linked to a site, links waiting for review (for reports)."""
    from .listing import city_figures

    return city_figures(store, registry, cities)
