"""How a site is shown to a coordinator: its contact fields and where they came from.

Why one module: the match results (API and CLI), the 支援チーム, the gap map's popups and layers, the
meeting report and the exports all show the same things of a site — address, phone, hours, URL,
定員 — and the dataset (with its date) the contact data came from, whose licence asks for a credit
line. They all read them here, so a field added to the directory shows up everywhere at once, under
the names of CONTRACT.md (HSDS's: ``address``, ``phone``, ``email``, ``url``, ``schedules``,
``capacity``, ``accessibility``, ``external_ids``).

>>> from resourcemap.model import Node
>>> n = Node(kind="place", name="x", city="13206", source="public", phone="042-335-4111",
...          schedules=[{"byday": "MO,TU", "opens_at": "09:00", "closes_at": "17:00"}])
>>> contact_text(n)
'電話 042-335-4111／月・火 09:00〜17:00'
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from ..model import Node, Schedule
from .merge import SITE_FIELDS, controlling, owner_of

__all__ = ["CONTACT_FIELDS", "contact_of", "dataset_of", "provenance_of", "site_view", "schedule_text",
           "hours_text", "contact_text"]

#: The contact fields of a site, in the order a coordinator reads them, plus the publishers' ids.
CONTACT_FIELDS: tuple[str, ...] = (*SITE_FIELDS, "external_ids")

_DAY_JA = {"MO": "月", "TU": "火", "WE": "水", "TH": "木", "FR": "金", "SA": "土", "SU": "日"}
_DAY_CODE = re.compile(r"(MO|TU|WE|TH|FR|SA|SU)")


def contact_of(node: Node) -> dict[str, Any]:
    """The contact fields of *node* as JSON (empty ones as null / [] / {})."""
    return node.model_dump(mode="json", include=set(CONTACT_FIELDS))


def dataset_of(node: Node) -> str | None:
    """The open dataset a node's public site fields come from: the one that created it, else the
    highest-priority dataset bound to it (a plan node linked to sites); None for plan and API nodes."""
    return owner_of(node) or controlling(set(node.external_ids))


def provenance_of(node: Node, dataset_dates: Mapping[str, date] | None = None) -> dict[str, Any]:
    """``source`` (document#section, ``import:<dataset>`` or ``api:<key>``), ``dataset`` and ``dataset_date``
    (the data's date as its import recorded it; null when unknown or not imported)."""
    d = dataset_of(node)
    when = (dataset_dates or {}).get(d) if d else None
    return {"source": node.source, "dataset": d, "dataset_date": when.isoformat() if when else None}


def site_view(node: Node, dataset_dates: Mapping[str, date] | None = None) -> dict[str, Any]:
    """Contact fields, precision and provenance of *node*: what every listing of a site carries."""
    return {**contact_of(node), "location_precision": node.location_precision, **provenance_of(node, dataset_dates)}


def schedule_text(s: Schedule) -> str:
    """「月・水 10:00〜16:00」, 「毎日」, else the schedule's description."""
    days = "・".join(_DAY_JA[d] for d in _DAY_CODE.findall(s.byday or "")) or ("毎日" if s.freq == "DAILY" else "")
    hours = f" {s.opens_at}〜{s.closes_at}" if s.opens_at and s.closes_at else ""
    return (days + hours).strip() or (s.description or "日時未定")


def hours_text(schedules: list[Schedule]) -> str | None:
    """Every schedule of a site in one line (「；」 between them), or None without any."""
    return "；".join(schedule_text(s) for s in schedules) or None


def contact_text(node: Node) -> str:
    """One line for a table cell or a popup: 電話, 住所, hours, URL — those that are known."""
    parts = [f"電話 {node.phone}" if node.phone else None, node.address, hours_text(node.schedules), node.url]
    return "／".join(p for p in parts if p)
