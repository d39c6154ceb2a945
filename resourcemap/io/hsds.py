"""Open Referral HSDS 3.0: export the catalogue as service objects, and import them back.

Why HSDS: it is the open standard other resource directories (211-style systems, Open
Referral tools) read. Each resource node (agency, hub, place, subsidy_group) becomes one
HSDS ``service`` with, nested, its ``organization`` (the node that operates/runs/
commissions/subsidizes it, or the agency itself), its ``program`` (the 事業 it implements),
its ``service_at_locations`` → ``location`` (point and public address), ``schedules``
(iCal fields), ``service_areas`` (the 福祉エリア) and ``attributes`` linking
``taxonomy_term`` s (resourcemap categories and 対象分野). A site imported from public open data
carries its ids there too (taxonomy ``resourcemap:external_id``: the term is the dataset, the
attribute's ``value`` the publisher's id) and, on its location, the highest-priority one as
``external_identifier``/``external_identifier_type`` and its バリアフリー情報 as ``accessibility``.

The Japanese profile rides along as additional properties, which HSDS allows:
``jp_node_id``, ``jp_kind``, ``jp_city_code``, ``jp_source``, ``jp_program_code``
(法定事業区分), ``jp_area_id``/``jp_area_name`` (福祉エリア), ``jp_status`` (``planned``),
``jp_verified_by``, ``jp_capacity``, ``jp_accepting_new``, ``jp_count``,
``jp_residents_only``, ``jp_org_type``; ``location_precision`` on the location;
``jp_freq`` on a schedule (``DAILY``); ``jp_relation``/``jp_cite`` on the organization.
HSDS ids must be UUIDs: they are UUIDv5 of the node id, so exports are stable.

Every exported service is validated against the official compiled schemas (copied into
``hsds_schema/``); so is every imported one before anything is read from it.
"""
from __future__ import annotations

import gzip
import json
import logging
import uuid
from collections import defaultdict
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

from ..cities import CITIES, resolve_city
from ..errors import InputError, ResourcemapError
from ..graph.stores.base import GraphStore, NodeQuery
from ..model import RESOURCE_KINDS, Edge, Node
from ..taxonomy import load_taxonomy
from .records import Record, RecordSet, load_json

__all__ = ["NAMESPACE", "CATEGORY_TAXONOMY", "BUNYA_TAXONOMY", "EXTERNAL_ID_TAXONOMY", "schema", "validate_services", "export_hsds",
           "service_of", "read_hsds"]

log = logging.getLogger("resourcemap.export")

#: UUIDv5 namespace of resourcemap's HSDS ids (fixed forever: ids must stay stable).
NAMESPACE = uuid.UUID("0d6c1f43-3a8e-5b8e-9f3e-7a2c5e1b9d40")
CATEGORY_TAXONOMY = "resourcemap:category"
BUNYA_TAXONOMY = "resourcemap:bunya"
#: A site's ids in public datasets (``external_ids``): term code = dataset id, attribute value = the publisher's id.
EXTERNAL_ID_TAXONOMY = "resourcemap:external_id"
_ORG_EDGES = ("operates", "runs", "commissions", "subsidizes")
_ORG_KINDS = frozenset({"agency", "department", "municipality", "subsidy_group"})
_STATUS_OUT = {"active": "active", "inactive": "inactive", "defunct": "defunct", "planned": "inactive"}
_STATUS_IN = {"active": "active", "inactive": "inactive", "defunct": "defunct", "temporarily closed": "inactive"}


def _uid(what: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{what}:{key}"))


@lru_cache(maxsize=None)
def schema(name: str = "service") -> dict[str, Any]:
    """An official compiled HSDS 3.0 schema (service, organization, service_at_location)."""
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
def _eligibility(n: Node) -> str | None:
    parts = []
    if n.targets.fields:
        parts.append("対象分野: " + "・".join(n.targets.fields))
    if n.targets.age_min is not None or n.targets.age_max is not None:
        lo = f"{n.targets.age_min}歳" if n.targets.age_min is not None else ""
        hi = f"{n.targets.age_max}歳" if n.targets.age_max is not None else ""
        parts.append(f"年齢: {lo}〜{hi}")
    if n.targets.residents_only:
        parts.append("市内在住・在勤者のみ")
    return " / ".join(parts) or None


def _term(taxonomy: str, code: str, name: str, parent: str | None, sid: str, link_type: str) -> dict[str, Any]:
    term_id = _uid(taxonomy, code)
    term: dict[str, Any] = {"id": term_id, "code": code, "name": name, "description": name, "taxonomy": taxonomy,
                            "language": "jpn"}
    if parent:
        term["parent_id"] = _uid(taxonomy, parent)
    return {"id": _uid(f"attribute:{link_type}", f"{sid}:{code}"), "link_id": sid, "link_type": link_type,
            "link_entity": "service", "taxonomy_term_id": term_id, "taxonomy_term": term}


def _organization(n: Node, by_id: dict[str, Node], incoming: dict[str, list[Edge]]) -> dict[str, Any] | None:
    if n.kind == "agency":
        org, edge = n, None
    else:
        cands = [e for e in incoming.get(n.id, []) if e.kind in _ORG_EDGES and by_id.get(e.source) is not None
                 and by_id[e.source].kind in _ORG_KINDS]
        if not cands:
            return None
        edge = min(cands, key=lambda e: (_ORG_EDGES.index(e.kind), e.source))
        org = by_id[edge.source]
    out: dict[str, Any] = {"id": _uid("organization", org.id), "name": org.name,
                           "description": org.description or org.name, "jp_node_id": org.id, "jp_kind": org.kind,
                           "jp_relation": edge.kind if edge else "self", "jp_source": org.source}
    if edge is not None and edge.cite:
        out["jp_cite"] = edge.cite
    return out


def _program(n: Node, by_id: dict[str, Node], outgoing: dict[str, list[Edge]]) -> dict[str, Any] | None:
    progs = sorted(e.target for e in outgoing.get(n.id, []) if e.kind == "implements" and e.target in by_id)
    if not progs:
        return None
    p = by_id[progs[0]]
    return {"id": _uid("program", p.id), "name": p.name, "description": p.description or p.name,
            "jp_node_id": p.id, "jp_program_code": p.program or "other", "jp_source": p.source}


def _location(n: Node, sid: str) -> list[dict[str, Any]]:
    if not n.located and not n.address and not n.accessibility:
        return []
    lid = _uid("location", n.id)
    loc: dict[str, Any] = {"id": lid, "location_type": "physical", "name": n.name,
                           "location_precision": n.location_precision}
    if n.located:
        loc["latitude"], loc["longitude"] = n.lat, n.lng
    if n.external_ids:
        from ..opendata.merge import controlling

        primary = controlling(set(n.external_ids)) or sorted(n.external_ids)[0]
        loc["external_identifier"], loc["external_identifier_type"] = n.external_ids[primary], primary
    if n.accessibility:
        loc["accessibility"] = [{"id": _uid("accessibility", f"{n.id}:{i}"), "location_id": lid, "description": a}
                                for i, a in enumerate(n.accessibility)]
    if n.address:
        city = CITIES.get(n.city)
        loc["addresses"] = [{"id": _uid("address", n.id), "location_id": lid, "address_1": n.address,
                             "city": city.name if city else n.city, "state_province": city.pref if city else "",
                             "postal_code": "", "country": "JP", "address_type": "physical"}]
    return [{"id": _uid("service_at_location", n.id), "service_id": sid, "location_id": lid, "location": loc}]


def _schedules(n: Node, sid: str) -> list[dict[str, Any]]:
    out = []
    for i, s in enumerate(n.schedules):
        item: dict[str, Any] = {"id": _uid("schedule", f"{n.id}:{i}"), "service_id": sid}
        if s.freq in ("WEEKLY", "MONTHLY"):
            item["freq"] = s.freq
        elif s.freq is not None:
            item["jp_freq"] = s.freq
        for key in ("byday", "opens_at", "closes_at", "description"):
            if getattr(s, key) is not None:
                item[key] = getattr(s, key)
        out.append(item)
    return out


def service_of(n: Node, by_id: dict[str, Node], incoming: dict[str, list[Edge]],
               outgoing: dict[str, list[Edge]]) -> dict[str, Any]:
    """One resource node as an HSDS 3.0 service object (with the Japanese profile fields)."""
    sid = _uid("service", n.id)
    tax = load_taxonomy()
    svc: dict[str, Any] = {"id": sid, "name": n.name, "status": _STATUS_OUT[n.status]}
    for key in ("alternate_name", "description", "url", "email"):
        if getattr(n, key):
            svc[key] = getattr(n, key)
    if n.targets.age_min is not None:
        svc["minimum_age"] = n.targets.age_min
    if n.targets.age_max is not None:
        svc["maximum_age"] = n.targets.age_max
    if (elig := _eligibility(n)) is not None:
        svc["eligibility_description"] = elig
    if n.verified_at is not None:
        svc["assured_date"] = n.verified_at.isoformat()
    if n.updated_at is not None:
        svc["last_modified"] = n.updated_at.isoformat()
    if n.phone:
        svc["phones"] = [{"id": _uid("phone", n.id), "service_id": sid, "number": n.phone}]
    if n.schedules:
        svc["schedules"] = _schedules(n, sid)
    area = by_id.get(n.area_id) if n.area_id else None
    if area is not None:
        svc["service_areas"] = [{"id": _uid("service_area", n.id), "service_id": sid, "name": area.name,
                                 "extent_type": "jp_welfare_area", "description": area.level or ""}]
    if sal := _location(n, sid):
        svc["service_at_locations"] = sal
    attrs = [_term(CATEGORY_TAXONOMY, c, tax.categories[c].label, tax.categories[c].parent, sid, "service_category")
             for c in n.categories if c in tax.categories]
    attrs += [_term(BUNYA_TAXONOMY, f, f, None, sid, "eligibility") for f in n.targets.fields]
    attrs += [{**_term(EXTERNAL_ID_TAXONOMY, d, d, None, sid, "external_identifier"), "value": pid}
              for d, pid in sorted(n.external_ids.items())]
    if attrs:
        svc["attributes"] = attrs
    if org := _organization(n, by_id, incoming):
        svc["organization_id"], svc["organization"] = org["id"], org
    if prog := _program(n, by_id, outgoing):
        svc["program_id"], svc["program"] = prog["id"], prog
    profile = {"jp_node_id": n.id, "jp_kind": n.kind, "jp_city_code": n.city, "jp_source": n.source,
               "jp_program_code": n.program, "jp_area_id": n.area_id, "jp_area_name": area.name if area else None,
               "jp_status": n.status if n.status == "planned" else None, "jp_verified_by": n.verified_by,
               "jp_capacity": n.capacity, "jp_accepting_new": n.accepting_new, "jp_count": n.count,
               "jp_residents_only": True if n.targets.residents_only else None, "jp_org_type": n.org_type}
    svc.update({k: v for k, v in profile.items() if v is not None})
    return svc


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
    by_id = {n.id: n for n in nodes}
    incoming: dict[str, list[Edge]] = defaultdict(list)
    outgoing: dict[str, list[Edge]] = defaultdict(list)
    for e in store.query_edges():
        incoming[e.target].append(e)
        outgoing[e.source].append(e)
    resources = [n for n in nodes if n.kind in RESOURCE_KINDS and (code is None or n.city == code)]
    services = [service_of(n, by_id, incoming, outgoing) for n in resources]
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
    for f in ("name", "alternate_name", "description", "url", "email"):
        _put(values, columns, f, svc.get(f), f)
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


def _stub(obj: dict[str, Any], row: int, node_id: str | None, kind: str, city: str | None, label: str, where: str) -> Record:
    values = {"id": node_id, "kind": kind, "name": obj.get("name"), "description": obj.get("description"),
              "city": city, "source": obj.get("jp_source") or f"import:{label}"}
    columns = {k: f"{where}.{k}" for k in values}
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
