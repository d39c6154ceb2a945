"""Import format → importer: the one table the CLI (``resourcemap import --format``) and the API
(``POST /v1/import?format=``) both dispatch through.

Why a table of whole importers, beside :mod:`.readers` (which reads a catalogue file into records):
the formats differ in more than their reader. The catalogue's own CSV / GeoJSON / HSDS files are
planned row by row against the catalogue (:mod:`.plan`); a municipality's 圏域 table replaces the
areas of the levels it names (:mod:`.areas`); a publisher's open data is diffed site by site and
linked to the plans (:mod:`resourcemap.opendata`). Each entry says which options it reads, so a
``city`` given to a format that ignores it is refused instead of silently dropped, and which may take
several files at once. A new format is one function and one entry.

Every report carries ``added``, ``changed``, ``unchanged``, ``inactivated`` and ``errors``
(``{row, column, message}``), whatever the format (CONTRACT.md).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from ..errors import InputError
from ..graph.stores.base import GraphStore
from .plan import Progress, apply_plan, plan_import
from .readers import read_records

__all__ = ["ImportOptions", "Importer", "IMPORTERS", "OPEN_DATA_FORMATS", "run_import", "check_options",
           "import_file"]

#: What one import is handed: the file's bytes, or ``(name, bytes)`` files imported together.
ImportData = bytes | list[tuple[str, bytes]]


@dataclass(frozen=True)
class ImportOptions:
    """What an import may be told besides the file: where, as of when, how strict, where to log.

    ``city`` names the municipality (areas: required; open data: only its rows) and ``pref`` the
    prefecture (open data); ``as_of`` is the data's date; ``skip_errors`` writes the rows without
    errors; ``registry`` (the import log and link queue, :class:`resourcemap.opendata.Registry`)
    records open-data imports; ``progress`` is told how far a write has got.
    """

    city: str | None = None
    pref: str | None = None
    as_of: date | None = None
    skip_errors: bool = False
    registry: Any = None
    progress: Progress | None = None

    def given(self) -> list[str]:
        """The user-facing options that are set, by their API names (``date`` for ``as_of``)."""
        values = {"city": self.city, "pref": self.pref, "date": self.as_of, "skip_errors": self.skip_errors}
        return [name for name, value in values.items() if value]


@dataclass(frozen=True)
class Importer:
    """One format: ``run(store, data, *, fmt, name, dry_run, actor, options) -> report``, the options
    it reads (API names), whether it imports several files together and whether a real run is
    recorded in the open-data registry (``options.registry``: the import log and link queue)."""

    run: Callable[..., dict[str, Any]]
    options: frozenset[str] = frozenset()
    several_files: bool = False
    uses_registry: bool = False


def import_file(store: GraphStore, data: bytes, *, name: str = "upload",
                fmt: Literal["auto", "csv", "geojson", "hsds"] = "auto", dry_run: bool = True, actor: str = "import",
                progress: Progress | None = None) -> dict[str, Any]:
    """A catalogue file (CSV, GeoJSON, HSDS): plan it and, unless ``dry_run``, apply it in one transaction.

    Raises :class:`~.plan.ImportFailed` (422, with the report) when a real run has errors: then
    nothing was written. A dry run never raises for row errors — they are in the report.
    """
    plan = plan_import(store, read_records(data, fmt, name))
    if dry_run:
        return plan.report(dry_run=True)
    revision = apply_plan(store, plan, actor=actor, progress=progress)
    return {**plan.report(dry_run=False), "revision": revision}


def _catalogue_file(store: GraphStore, data: bytes, *, fmt: str, name: str, dry_run: bool, actor: str,
                    options: ImportOptions) -> dict[str, Any]:
    return import_file(store, data, name=name, fmt=fmt, dry_run=dry_run, actor=actor,  # type: ignore[arg-type]
                       progress=options.progress)


def _area_table(store: GraphStore, data: bytes, *, fmt: str, name: str, dry_run: bool, actor: str,
                options: ImportOptions) -> dict[str, Any]:
    from .areas import import_areas

    return import_areas(store, data, name=name, city=options.city, dry_run=dry_run, actor=actor)


def _open_data(store: GraphStore, data: ImportData, *, fmt: str, name: str, dry_run: bool, actor: str,
               options: ImportOptions) -> dict[str, Any]:
    from ..opendata import import_open_data

    return import_open_data(store, data, fmt, name=name, city=options.city, pref=options.pref, as_of=options.as_of,
                            dry_run=dry_run, skip_errors=options.skip_errors, actor=actor,
                            registry=options.registry)


#: The publishers' formats (:data:`resourcemap.opendata.FORMATS`; a test keeps the two equal).
OPEN_DATA_FORMATS: tuple[str, ...] = ("gsi-shelters", "mhlw-care", "std-facilities", "std-care", "std-childcare",
                                      "std-medical")

_CATALOGUE = Importer(_catalogue_file)
_OPEN_DATA = Importer(_open_data, frozenset({"city", "pref", "date", "skip_errors"}), several_files=True,
                      uses_registry=True)

#: Import format → importer, in the order ``--help`` lists them.
IMPORTERS: dict[str, Importer] = {
    **dict.fromkeys(("auto", "csv", "geojson", "hsds"), _CATALOGUE),
    "areas": Importer(_area_table, frozenset({"city"})),
    **dict.fromkeys(OPEN_DATA_FORMATS, _OPEN_DATA),
}


def _importer(fmt: str) -> Importer:
    importer = IMPORTERS.get(fmt)
    if importer is None:
        raise InputError(f"形式 {fmt!r} には対応していません（{', '.join(IMPORTERS)}）。")
    return importer


def check_options(fmt: str, options: ImportOptions, *, spell: Callable[[str], str] = str) -> None:
    """Refuse options format *fmt* does not read (*spell* writes an option's name as the caller knows it:
    ``--city`` on the command line, ``city`` in the API)."""
    importer = _importer(fmt)
    refused = [name for name in options.given() if name not in importer.options]
    if refused:
        names = " / ".join(spell(n) for n in refused)
        takers = sorted({f for f, i in IMPORTERS.items() if set(refused) <= i.options})
        where = f"（使える形式: {', '.join(takers)}）" if takers else ""
        raise InputError(f"{names} は形式 {fmt} では使えません{where}。")


def run_import(store: GraphStore, data: ImportData, fmt: str, *, name: str, dry_run: bool, actor: str,
               options: ImportOptions = ImportOptions()) -> dict[str, Any]:
    """Import *data* in format *fmt* (a key of :data:`IMPORTERS`) and return its report.

    Raises :class:`InputError` for an unknown format, an option the format does not read, or
    several files for a format that takes one; :class:`~resourcemap.io.plan.ImportFailed` (with the
    report) when a real run has errors — then nothing was written.
    """
    importer = _importer(fmt)
    check_options(fmt, options)
    if not isinstance(data, (bytes, bytearray)):
        if len(data) == 1:
            name, data = data[0]
        elif not importer.several_files:
            raise InputError(f"形式 {fmt} では一度に一つのファイルを取り込みます（複数のファイルを一度に取り込めるのは "
                             f"{', '.join(f for f, i in IMPORTERS.items() if i.several_files)}）。")
    return importer.run(store, data, fmt=fmt, name=name, dry_run=dry_run, actor=actor, options=options)
