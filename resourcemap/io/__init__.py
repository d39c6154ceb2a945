"""Bulk import and export of the catalogue: CSV (Japanese headers), GeoJSON, GeoPackage, HSDS 3.0.

Modules, one job each: :mod:`.fields` (the spreadsheet's columns and cell rules),
:mod:`.records` (files → records with row/column), :mod:`.hsds` (the Open Referral mapping
and schema validation), :mod:`.plan` (per-row report, then ONE transaction),
:mod:`.export` (writers). :func:`import_file` is what the CLI and the API call.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Literal

from ..errors import InputError
from ..graph.stores.base import GraphStore
from .export import MEDIA_TYPES, SUFFIXES, export_bytes, write_export
from .plan import ImportFailed, ImportPlan, Progress, apply_plan, plan_import
from .records import read_records

__all__ = ["import_file", "ImportFailed", "ImportPlan", "plan_import", "apply_plan", "read_records",
           "export_bytes", "write_export", "MEDIA_TYPES", "SUFFIXES", "ImportOptions", "IMPORTERS", "run_import"]


def import_file(store: GraphStore, data: bytes, *, name: str = "upload", fmt: Literal["auto", "csv", "geojson", "hsds"] = "auto",
                dry_run: bool = True, actor: str = "import", progress: Progress | None = None) -> dict[str, Any]:
    """Plan an import and, unless ``dry_run``, apply it in one transaction; returns the report.

    Raises :class:`ImportFailed` (422, with the report) when a real run has errors: then
    nothing was written. A dry run never raises for row errors — they are in the report.
    """
    plan = plan_import(store, read_records(data, fmt, name))
    if dry_run:
        return plan.report(dry_run=True)
    revision = apply_plan(store, plan, actor=actor, progress=progress)
    return {**plan.report(dry_run=False), "revision": revision}


@dataclass(frozen=True)
class ImportOptions:
    """What an import may be told besides the file: where, as of when, how strict, where to log.

    ``city``/``pref`` restrict an open-data file to a municipality or prefecture; ``as_of`` is the
    data's date; ``skip_errors`` writes the rows without errors; ``registry`` (the import log and link
    queue, :class:`resourcemap.opendata.Registry`) records open-data imports. Formats that have no use
    for an option ignore it.
    """

    city: str | None = None
    pref: str | None = None
    as_of: date | None = None
    skip_errors: bool = False
    registry: Any = None
    progress: Progress | None = None


#: An importer: ``(store, data, *, fmt, name, dry_run, actor, options) -> report``.
Importer = Callable[..., dict[str, Any]]


def _catalogue_file(store: GraphStore, data: bytes, *, fmt: str, name: str, dry_run: bool, actor: str,
                    options: ImportOptions) -> dict[str, Any]:
    return import_file(store, data, name=name, fmt=fmt, dry_run=dry_run, actor=actor,  # type: ignore[arg-type]
                       progress=options.progress)


def _open_data(store: GraphStore, data: bytes | list[tuple[str, bytes]], *, fmt: str, name: str, dry_run: bool, actor: str,
               options: ImportOptions) -> dict[str, Any]:
    from ..opendata import import_open_data

    return import_open_data(store, data, fmt, name=name, city=options.city, pref=options.pref, as_of=options.as_of,
                            dry_run=dry_run, skip_errors=options.skip_errors, actor=actor,
                            registry=options.registry)


#: Import format → importer. The CLI (``resourcemap import --format``) and ``POST /v1/import?format=``
#: dispatch through this one table; a new format is one entry here.
IMPORTERS: dict[str, Importer] = {
    **dict.fromkeys(("auto", "csv", "geojson", "hsds"), _catalogue_file),
    **dict.fromkeys(("gsi-shelters", "mhlw-care", "std-facilities", "std-care", "std-childcare", "std-medical"),
                    _open_data),
}


def run_import(store: GraphStore, data: bytes | list[tuple[str, bytes]], fmt: str, *, name: str, dry_run: bool,
               actor: str | None, options: ImportOptions = ImportOptions()) -> dict[str, Any]:
    """Import *data* in format *fmt* (a key of :data:`IMPORTERS`); every report carries
    ``added``, ``changed``, ``unchanged``, ``inactivated`` and ``errors`` ({row, column, message}).

    Open-data formats also take a list of ``(name, bytes)`` files imported together."""
    importer = IMPORTERS.get(fmt)
    if importer is None:
        raise InputError(f"形式 {fmt!r} には対応していません（{', '.join(IMPORTERS)}）。")
    return importer(store, data, fmt=fmt, name=name, dry_run=dry_run, actor=actor, options=options)
