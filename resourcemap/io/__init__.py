"""Bulk import and export of the catalogue: CSV (Japanese headers), GeoJSON, GeoPackage, HSDS 3.0.

Modules, one job each: :mod:`.fields` (the spreadsheet's columns and cell rules),
:mod:`.records` (files → records with row/column), :mod:`.hsds` (the Open Referral mapping
and schema validation), :mod:`.readers` (which reader for which format), :mod:`.plan` (per-row report, then ONE transaction),
:mod:`.export` (writers). :func:`import_file` is what the CLI and the API call.
"""
from __future__ import annotations

from typing import Any, Literal

from ..graph.stores.base import GraphStore
from .export import MEDIA_TYPES, SUFFIXES, Export, export_bytes, export_file, write_export
from .plan import ImportFailed, ImportPlan, Progress, apply_plan, plan_import
from .readers import read_records

__all__ = ["import_file", "ImportFailed", "ImportPlan", "plan_import", "apply_plan", "read_records",
           "Export", "export_file", "export_bytes", "write_export", "MEDIA_TYPES", "SUFFIXES"]


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
