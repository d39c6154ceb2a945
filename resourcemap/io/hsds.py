"""Open Referral HSDS 3.0: export the catalogue as service objects, and import them back.

Why HSDS: it is the open standard other resource directories (211-style systems, Open
Referral tools) read. Each resource node (agency, hub, place, subsidy_group) becomes one
HSDS ``service`` with, nested, its ``organization`` (the node that operates/runs/
commissions/subsidizes it, or the agency itself), its ``program`` (the 事業 it implements),
its ``service_at_locations`` → ``location`` (point and public address), ``schedules``
(iCal fields), ``service_areas`` (the 福祉エリア) and ``attributes`` linking
``taxonomy_term`` s (resourcemap categories, 対象分野 and, for a site imported from public open
data, the datasets that list it: taxonomy ``resourcemap:external_id``, the attribute's ``value``
the publisher's id; its location carries the highest-priority id as
``external_identifier``/``external_identifier_type`` and its バリアフリー情報 as ``accessibility``).
The import reads all of these back, so export → import → export is identical.

The objects are built by :mod:`resourcemap.hsds.mapping` — the same builders the HSDS API
(``/hsds/``) serves from — with the Japanese profile (``jp_*`` additional properties, listed
in :data:`~resourcemap.hsds.mapping.PROFILE_FIELDS`). HSDS ids are UUIDv5 of our ids
(:func:`~resourcemap.hsds.mapping.hsds_id`), so exports are stable.

Every exported service is validated against the official compiled schemas (copied into
``hsds_schema/``); so is every imported one before anything is read from it.
"""
from __future__ import annotations

import gzip
import json
import logging
from collections import defaultdict
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

from ..cities import resolve_city
from ..errors import InputError, ResourcemapError
from ..graph.readmodel import ReadModel
from ..graph.stores.base import GraphStore, NodeQuery
from ..hsds.mapping import BUNYA_TAXONOMY, CATEGORY_TAXONOMY, EXTERNAL_ID_TAXONOMY, NAMESPACE, service_of
from ..model import RESOURCE_KINDS
from ..taxonomy import load_taxonomy
from .records import Record, RecordSet, load_json

__all__ = ["NAMESPACE", "CATEGORY_TAXONOMY", "BUNYA_TAXONOMY", "EXTERNAL_ID_TAXONOMY", "schema", "validate_services",
           "export_hsds", "service_of", "read_hsds"]

log = logging.getLogger("resourcemap.export")

_STATUS_IN = {"active": "active", "inactive": "inactive", "defunct": "defunct", "temporarily closed": "inactive"}


@lru_cache(maxsize=None)
def schema(name: str = "service") -> dict[str, Any]:
    """An official HSDS 3.0 file shipped in ``hsds_schema/`` by name (service, organization, …, openapi)."""
    raw = resources.files("resourcemap.io").joinpath("hsds_schema", f"{name}.json.gz").read_bytes()
    return json.loads(gzip.decompress(raw))


@lru_cache(maxsize=None)
def _validator(name: str):
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(schema(name), format_checker=FormatChecker())


def _path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(service)"


def validate_services(services: list[Any]) -> list[dict[str, Any]]:
    """Every schema violation as ``{row, column, message}`` (row = position from 1, column = JSON path).

    Each service is checked against ``service.json``; its organization and each
    service_at_location also against ``organization.json`` / ``service_at_location.json``.
    """
    problems = []
    for i, svc in enumerate(services, start=1):
        checks: list[tuple[str, Any, tuple[str | int, ...]]] = [("service", svc, ())]
        if isinstance(svc, dict):
            if isinstance(svc.get("organization"), dict):
                checks.append(("organization", svc["organization"], ("organization",)))
            for j, sal in enumerate(svc.get("service_at_locations") or []):
                if isinstance(sal, dict):
                    checks.append(("service_at_location", sal, ("service_at_locations", j)))
        for name, obj, prefix in checks:
            for err in _validator(name).iter_errors(obj):
                problems.append({"row": i, "column": _path([*prefix, *err.absolute_path]),
                                 "message": f"HSDS {name}.json: {err.message[:300]}"})
    return problems


# -- export ---------------------------------------------------------------------------------
def export_hsds(store: GraphStore, *, city: str | None = None, validate: bool = True,
                skipped: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The catalogue's resources as a JSON list of HSDS 3.0 service objects, ordered by node id.

    Stored data never makes the export fail: a service that does not validate against the
    official schema (a value stored before :mod:`resourcemap.fieldrules` existed, such as an
    email without ``@``) is left out, logged, and described in *skipped* as
    ``{id, name, field, message}`` — ``resourcemap check`` lists such records for fixing.
    """
    code = resolve_city(city).code if city else None
    nodes = store.query_nodes(NodeQuery())
    graph = ReadModel.from_objects(nodes, store.query_edges())
    resources = [n for n in nodes if n.kind in RESOURCE_KINDS and (code is None or n.city == code)]
    services = [service_of(graph, n) for n in resources]
    if not validate:
        return services
    bad: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for p in validate_services(services):
        bad[p["row"]].append(p)
    for row, problems in bad.items():
        node = resources[row - 1]
        for p in problems:
            log.warning("HSDS export: skipped node %s (%s: %s)", node.id, p["column"], p["message"][:200])
            if skipped is not None:
                skipped.append({"id": node.id, "name": node.name, "field": p["column"], "message": p["message"]})
    return [svc for i, svc in enumerate(services, start=1) if i not in bad]


# -- import ---------------------------------------------------------------------------------
def _services(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and isinstance(doc.get("contents"), list):  # an HSDS API page
        return doc["contents"]
    if isinstance(doc, dict):
        return [doc]
    raise InputError("HSDS は service オブジェクトの配列（または contents を持つページ）にしてください。")


def _city_of(svc: dict[str, Any], loc: dict[str, Any]) -> str | None:
    if svc.get("jp_city_code"):
        return str(svc["jp_city_code"])
    lat, lng = loc.get("latitude"), loc.get("longitude")
    if isinstance(lat, (int, float)) and isinstance(lng, (int, float)):
        from ..geo.boundaries import municipalities_at

        found = municipalities_at(lat, lng)
        return found[0] if found else None
    return None


def _put(values: dict[str, Any], columns: dict[str, str], field: str, value: Any, path: str) -> None:
    if value is not None:
        values[field], columns[field] = value, path


def _service_record(svc: dict[str, Any], row: int, label: str) -> list[Record]:
    """A service → its node's record, plus stub records for its organization and program."""
    values: dict[str, Any] = {}
    columns: dict[str, str] = {}
    warnings: list[str] = []
    sals = svc.get("service_at_locations") or []
    loc = (sals[0].get("location") or {}) if sals else {}
    node_id = svc.get("jp_node_id") or svc.get("id")
    city = _city_of(svc, loc)
    _put(values, columns, "id", node_id, "jp_node_id" if svc.get("jp_node_id") else "id")
    _put(values, columns, "kind", svc.get("jp_kind") or "hub", "jp_kind")
    _put(values, columns, "city", city, "jp_city_code")
    for f in ("name", "alternate_name", "description"):
        _put(values, columns, f, svc.get(f), f)
    _put_text(values, columns, svc, "url", "url")
    _put_text(values, columns, svc, "email", "email")
    _put(values, columns, "status", svc.get("jp_status") or _STATUS_IN.get(svc.get("status", ""), svc.get("status")),
         "status")
    _put(values, columns, "targets.age_min", svc.get("minimum_age"), "minimum_age")
    _put(values, columns, "targets.age_max", svc.get("maximum_age"), "maximum_age")
    _put(values, columns, "targets.residents_only", svc.get("jp_residents_only"), "jp_residents_only")
    _put(values, columns, "verified_at", svc.get("assured_date"), "assured_date")
    for f in ("source", "program_code", "area_id", "verified_by", "capacity", "accepting_new", "count", "org_type"):
        target = {"program_code": "program"}.get(f, f)
        _put(values, columns, target, svc.get(f"jp_{f}"), f"jp_{f}")
    if svc.get("phones"):
        _put(values, columns, "phone", svc["phones"][0].get("number"), "phones[0].number")
    if loc:
        lat, lng = loc.get("latitude"), loc.get("longitude")
        _put(values, columns, "lat", lat, "service_at_locations[0].location.latitude")
        _put(values, columns, "lng", lng, "service_at_locations[0].location.longitude")
        precision = loc.get("location_precision") or ("exact" if lat is not None else None)
        _put(values, columns, "location_precision", precision, "service_at_locations[0].location.location_precision")
        addresses = loc.get("addresses") or []
        if addresses:
            _put(values, columns, "address", addresses[0].get("address_1"),
                 "service_at_locations[0].location.addresses[0].address_1")
        access = [a.get("description") for a in loc.get("accessibility") or [] if a.get("description")]
        _put(values, columns, "accessibility", access or None, "service_at_locations[0].location.accessibility")
    schedules = []
    for s in svc.get("schedules") or []:
        item = {k: s[k] for k in ("byday", "opens_at", "closes_at", "description") if s.get(k) is not None}
        item["freq"] = s.get("jp_freq") or s.get("freq")
        schedules.append(item)
    _put(values, columns, "schedules", schedules or None, "schedules")
    cats, fields, ids = [], [], {}
    tax = load_taxonomy()
    for j, attr in enumerate(svc.get("attributes") or []):
        term = attr.get("taxonomy_term") or {}
        if term.get("taxonomy") == EXTERNAL_ID_TAXONOMY:
            if term.get("code") and attr.get("value"):
                ids[str(term["code"])] = str(attr["value"])
        elif term.get("taxonomy") == CATEGORY_TAXONOMY:
            cats.append(term.get("code"))
        elif term.get("taxonomy") == BUNYA_TAXONOMY:
            fields.append(term.get("code"))
        elif term.get("name"):
            try:
                cats.append(tax.resolve(term["name"]).category.id)
            except ResourcemapError:
                warnings.append(f"attributes[{j}] の分類「{term['name']}」は resourcemap の分類に当たらないため取り込みません")
    _put(values, columns, "categories", cats or None, "attributes")
    _put(values, columns, "targets.fields", fields or None, "attributes")
    _put(values, columns, "external_ids", ids or None, "attributes")
    if node_id:
        values.setdefault("source", f"import:{label}")
        columns.setdefault("source", "jp_source")
    out = [Record(row=row, values=values, columns=columns, warnings=warnings)]
    org = svc.get("organization")
    if isinstance(org, dict) and org.get("jp_relation") != "self" and node_id:
        org_id = org.get("jp_node_id") or org.get("id")
        out.append(_stub(org, row, org_id, org.get("jp_kind") or "agency", city, label, "organization"))
        edge = {"kind": org.get("jp_relation") or "operates", "source": org_id, "target": node_id}
        if org.get("jp_cite"):
            edge["cite"] = org["jp_cite"]
        out[0].edges.append(edge)
    prog = svc.get("program")
    if isinstance(prog, dict) and node_id:
        prog_id = prog.get("jp_node_id") or prog.get("id")
        stub = _stub(prog, row, prog_id, "program", city, label, "program")
        stub.values["program"], stub.columns["program"] = prog.get("jp_program_code") or "other", "program.jp_program_code"
        out.append(stub)
        out[0].edges.append({"kind": "implements", "source": node_id, "target": prog_id})
    return out


def _put_text(values: dict[str, Any], columns: dict[str, str], obj: dict[str, Any], field: str, key: str,
              where: str = "") -> None:
    """A url/email: the original text of the Japanese profile (``jp_url_text``) when present, else the HSDS field."""
    raw = f"jp_{'url' if field == 'url' else field}_text"
    if obj.get(raw):
        _put(values, columns, field, obj[raw], where + raw)
    else:
        _put(values, columns, field, obj.get(key), where + key)


def _stub(obj: dict[str, Any], row: int, node_id: str | None, kind: str, city: str | None, label: str, where: str) -> Record:
    values = {"id": node_id, "kind": kind, "name": obj.get("name"), "description": obj.get("description"),
              "city": obj.get("jp_city_code") or city, "source": obj.get("jp_source") or f"import:{label}"}
    columns = {k: f"{where}.{k}" for k in values}
    if where == "organization":  # what organization_of publishes besides name and description
        _put(values, columns, "alternate_name", obj.get("alternate_name"), "organization.alternate_name")
        _put(values, columns, "org_type", obj.get("jp_org_type"), "organization.jp_org_type")
        _put_text(values, columns, obj, "url", "website", "organization.")
        _put_text(values, columns, obj, "email", "email", "organization.")
        phones = obj.get("phones") or []
        if phones and isinstance(phones[0], dict):
            _put(values, columns, "phone", phones[0].get("number"), "organization.phones[0].number")
    return Record(row=row, values=values, columns=columns, stub=True)


def read_hsds(data: bytes, name: str = "upload.json") -> RecordSet:
    """HSDS service objects → records (each validated against the official schemas first)."""
    doc = load_json(data, "HSDS")
    services = _services(doc)
    errors = validate_services(services)
    bad_rows = {e["row"] for e in errors}
    records: list[Record] = []
    for i, svc in enumerate(services, start=1):
        if i in bad_rows or not isinstance(svc, dict):
            continue
        records.extend(_service_record(svc, i, name))
    return RecordSet(label=name, format="hsds", records=records, errors=errors)
