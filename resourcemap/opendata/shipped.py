"""The open data shipped inside the package, and loading it for a municipality.

Why shipped: ``resourcemap init --seed all`` (and ``make run``) must give a directory — plans
*and* sites with addresses and contacts — on a machine with no network. The five seed cities
get their extracts (国土地理院 per-city GeoJSON, the five-city 介護事業所 extract);
``init --with-open-data`` (any municipality) reads the national files, filtered to the city.
Files are listed in ``data/NOTICE.md`` with their licences and credits.

Imports here skip the rows with errors (``skip_errors``): the national files have known defects
(a point at 0,0, a 事業所 geocoded 30 km away) that must not keep the rest of a city out; every
skipped row is in the returned reports.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from ..graph.stores.base import GraphStore
from .codes import six_digit
from .importer import import_open_data
from .registry import Registry

__all__ = ["ShippedFile", "seed_extracts", "national_files", "load_seed_open_data", "import_open_data_for"]

#: The date of the MHLW open data shipped here (its files are named …_20250601).
MHLW_DATE = date(2025, 6, 1)


@dataclass(frozen=True)
class ShippedFile:
    format: str
    path: str          # under resourcemap/opendata/data/
    as_of: date | None

    def _resource(self) -> Traversable:
        node = resources.files("resourcemap.opendata").joinpath("data")
        for part in self.path.split("/"):
            node = node.joinpath(part)
        return node

    def read(self) -> bytes:
        return self._resource().read_bytes()

    def exists(self) -> bool:
        return self._resource().is_file()


def seed_extracts(city: str) -> list[ShippedFile]:
    """The five-city extracts of one of the seed municipalities (empty for any other)."""
    code6 = six_digit(city)
    files = [ShippedFile("gsi-shelters", f"five-cities/gsi/{kind}_{code6}.json.gz", None)
             for kind in ("evacuation", "emergency")]
    files.append(ShippedFile("mhlw-care", "five-cities/mhlw_kaigo/kaigo_jigyosho_5cities.json.gz", MHLW_DATE))
    return [f for f in files if f.exists()] if any(f.exists() for f in files[:2]) else []


def national_files() -> list[ShippedFile]:
    """The national files: 国土地理院 指定避難所 and 指定緊急避難場所, MHLW 介護施設 (5 service types)."""
    mhlw = ("510_tokuyou", "520_rouken", "550_care_medical_institute", "710_night_home_help",
            "760_regular_patrol_nursing")
    return [ShippedFile("gsi-shelters", "national/gsi/evacuation.csv.xz", None),
            ShippedFile("gsi-shelters", "national/gsi/emergency.csv.xz", None),
            *(ShippedFile("mhlw-care", f"national/mhlw_2025-06-01/{m}_20250601.csv.xz", MHLW_DATE) for m in mhlw)]


def _load(store: GraphStore, registry: Registry | None, city: str, files: list[ShippedFile],
          actor: str | None) -> list[dict[str, Any]]:
    """Import *files* for *city*: the GSI lists together (shared sites created once), the others one by one."""
    reports = []
    gsi = [f for f in files if f.format == "gsi-shelters"]
    batches = ([gsi] if gsi else []) + [[f] for f in files if f.format != "gsi-shelters"]
    for batch in batches:
        data = [(f.path.rsplit("/", 1)[-1], f.read()) for f in batch]
        reports.append(import_open_data(store, data if len(data) > 1 else data[0][1], batch[0].format,
                                        name=data[0][0], city=city, as_of=batch[0].as_of, dry_run=False,
                                        skip_errors=True, actor=actor, registry=registry))
    return reports


def load_seed_open_data(store: GraphStore, registry: Registry | None, cities: list[str], *,
                        actor: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Import the shipped five-city extracts for each of *cities* that has them, linked; reports per city."""
    return {c: _load(store, registry, c, files, actor) for c in cities if (files := seed_extracts(c))}


def import_open_data_for(store: GraphStore, city: str, *, registry: Registry | None = None,
                         actor: str | None = None) -> list[dict[str, Any]]:
    """Import the shipped national open data for one municipality (5-digit code), linked; the reports."""
    return _load(store, registry, city, national_files(), actor)
