"""Bulk import and export of the catalogue: CSV (Japanese headers), GeoJSON, GeoPackage, HSDS 3.0,
municipalities' area tables and (through :mod:`resourcemap.opendata`) publishers' open data.

Modules, one job each: :mod:`.fields` (the spreadsheet's columns and cell rules),
:mod:`.records` (files → records with row/column), :mod:`.hsds` (the Open Referral mapping
and schema validation), :mod:`.readers` (which reader for which catalogue file format), :mod:`.plan`
(per-row report, then ONE transaction), :mod:`.areas` (圏域 tables), :mod:`.importers` (format →
importer: the one table the CLI and the API dispatch through, :func:`run_import`), :mod:`.export`
(writers).
"""
from __future__ import annotations

from .export import MEDIA_TYPES, SUFFIXES, Export, export_bytes, export_file, write_export
from .importers import IMPORTERS, ImportOptions, import_file, run_import
from .plan import ImportFailed, ImportPlan, Progress, apply_plan, plan_import
from .readers import read_records

__all__ = ["import_file", "run_import", "IMPORTERS", "ImportOptions", "ImportFailed", "ImportPlan", "Progress",
           "plan_import", "apply_plan", "read_records", "Export", "export_file", "export_bytes", "write_export",
           "MEDIA_TYPES", "SUFFIXES"]
