"""The one mapping from the resource graph to Open Referral HSDS 3.0 objects.

Why one module: the file export (``resourcemap export --format hsds``, ``GET /v1/export``)
and the HSDS API (``/hsds/…``) must publish the *same* objects — same ids, same fields, same
Japanese profile — or a directory that reads both would see two catalogues. Each HSDS entity
has one builder here (:func:`organization_of`, :func:`location_of`,
:func:`service_at_location_of`, :func:`program_of`, :func:`service_of`, :func:`taxonomy_of`,
:func:`taxonomy_term_of`); the list shapes of the API (``*_list.json``) are cut from the full
objects by :func:`one_to_one`, never built a second way.

Ids: HSDS wants UUIDs; :func:`hsds_id` derives them (UUIDv5) from our stable node ids, so they
survive re-imports, migrations and restarts. The namespace is fixed forever.

Audience: the file export is for the catalogue's own users (behind a key); the API is public.
:data:`PUBLIC` drops what names a person or a key — ``jp_verified_by`` (the key that marked a
node verified) and the key name in an ``api:<key>`` source — and nothing else.

The Japanese profile rides along as additional properties, which HSDS allows everywhere
(:data:`PROFILE_FIELDS` lists them; ``docs/hsds.md`` documents them), and as ``attribute`` s
linking terms of our three taxonomies (:data:`TAXONOMIES`): the categories of
``resourcemap/data/taxonomy.yaml``, the five 分野, and the public datasets a site was imported
from (:mod:`resourcemap.opendata`; the attribute's ``value`` is the publisher's id of the site).
A site from open data also carries, on its location, its highest-priority id as
``external_identifier``/``external_identifier_type`` and its バリアフリー情報 as ``accessibility``;
its ``jp_attribution`` names the datasets' credit lines.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Iterable, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

from ..cities import CITIES
from ..model import Edge, Node
from ..taxonomy import load_taxonomy

__all__ = ["NAMESPACE", "CATEGORY_TAXONOMY", "BUNYA_TAXONOMY", "EXTERNAL_ID_TAXONOMY", "BUNYA", "TAXONOMIES", "ORG_EDGES", "ORG_KINDS",
           "STATUS_OUT", "PROFILE_FIELDS", "Audience", "CATALOGUE", "PUBLIC", "GraphView", "hsds_id",
           "organization_link", "organization_of", "program_of", "location_of", "service_at_location_of",
           "service_of", "taxonomy_of", "taxonomy_term_of", "taxonomy_terms", "dataset_codes", "one_to_one",
           "service_summary",
           "as_uri", "as_email", "attribution_of", "public_source"]

#: UUIDv5 namespace of resourcemap's HSDS ids (fixed forever: ids must stay stable).
NAMESPACE = uuid.UUID("0d6c1f43-3a8e-5b8e-9f3e-7a2c5e1b9d40")
_NAMESPACE_BYTES = NAMESPACE.bytes
CATEGORY_TAXONOMY = "resourcemap:category"
BUNYA_TAXONOMY = "resourcemap:bunya"
#: A site's ids in public datasets (``external_ids``): term code = dataset id, attribute ``value`` = the publisher's id.
EXTERNAL_ID_TAXONOMY = "resourcemap:external_id"
#: 分野 in the order the API lists them, each with the description of its taxonomy term.
BUNYA: dict[str, str] = {"高齢": "高齢者", "障害": "障害のある人", "子ども": "子ども・子育て家庭", "困窮": "生活困窮者",
                         "全世代": "全世代・分野を問わない"}
#: Our taxonomies: key → (name, description). All are published with Japanese labels.
TAXONOMIES: dict[str, tuple[str, str]] = {
    CATEGORY_TAXONOMY: ("resourcemap 分類（サービス・ニーズ）",
                        "社会資源・支援機関のサービス分類（相談支援、居場所、就労支援 …）。マッチングと空白地分析が使う階層分類。"),
    BUNYA_TAXONOMY: ("分野", "支援の対象分野（高齢・障害・子ども・困窮・全世代）。重層的支援体制整備事業の分野区分。"),
    EXTERNAL_ID_TAXONOMY: ("公開データの識別子",
                           "施設を公表した公開データセット（国土地理院、厚生労働省、自治体標準オープンデータセット）。"
                           "attribute の value がそのデータセットでの施設の識別子。"),
}
#: The edges that make a node a service's organization, strongest first.
ORG_EDGES = ("operates", "runs", "commissions", "subsidizes")
ORG_KINDS = frozenset({"agency", "department", "municipality", "subsidy_group"})
STATUS_OUT = {"active": "active", "inactive": "inactive", "defunct": "defunct", "planned": "inactive"}

#: The Japanese profile: every additional property the builders may add, with where and what.
PROFILE_FIELDS: dict[str, tuple[str, str]] = {
    "jp_node_id": ("service, organization, program", "resourcemap のノード ID（HSDS の id はこれの UUIDv5）"),
    "jp_kind": ("service, organization", "ノードの種類（agency / hub / place / subsidy_group / department / municipality）"),
    "jp_city_code": ("service, organization", "全国地方公共団体コード（5桁）"),
    "jp_source": ("service, organization, program", "出典: 計画文書のファイル#節、public、import:<ファイル>、api（鍵名は公開しない）"),
    "jp_attribution": ("service, organization, program",
                       "出典の表示文（計画文書の題名と節、公開データの出典表示。複数は「／」区切り）"),
    "jp_program_code": ("service, program", "法定事業区分（社会福祉法第106条の4第2項: 1-i … 6、独自事業は other）"),
    "jp_area_id": ("service", "福祉エリア（圏域）のノード ID"),
    "jp_area_name": ("service", "福祉エリア（圏域）の名前（service_areas にも同じ圏域）"),
    "jp_status": ("service", "planned（移行予定）— HSDS の status は inactive。公開 API には出ない"),
    "jp_verified_by": ("service", "確認した鍵の名前（ファイル出力のみ。公開 API には出ない）"),
    "jp_capacity": ("service", "定員"),
    "jp_accepting_new": ("service", "新規受け入れの可否"),
    "jp_count": ("service", "資料が数だけを示すときの箇所数・人数"),
    "jp_residents_only": ("service", "市内在住・在勤者のみ"),
    "jp_org_type": ("service, organization", "法人等の種別（社会福祉協議会、社会福祉法人、NPO法人、市 …）"),
    "jp_relation": ("service.organization", "サービスとの関係（operates / runs / commissions / subsidizes / self）"),
    "jp_cite": ("service.organization", "その関係の出典（計画文書のファイル#節）"),
    "jp_url_text": ("service, organization", "URI として表せない url の原文（url は URI だけ）"),
    "jp_email_text": ("service, organization", "電子メールアドレスとして表せない email の原文"),
    "location_precision": ("location", "位置の精度（exact / address / chome / town / area / city）"),
    "jp_freq": ("schedule", "HSDS の freq にない繰り返し（DAILY）"),
    "jp_synonyms": ("taxonomy_term", "分類の同義語（検索に使う語）"),
    "jp_fields": ("taxonomy_term", "その分類が主に対象とする分野"),
    "jp_distance_m": ("API の一覧（proximity 指定時）", "postcode の地点からの距離（メートル）"),
}

#: The five plans the seed catalogues are read from (``../shared/sources``): file → title.
PLAN_DOCUMENTS: dict[str, str] = {
    "000_c9a77e2c4b3ca2a2.txt": "武蔵村山市「重層的支援体制整備事業 移行計画」（令和7年度）",
    "001_dd6c62032ee54b81.txt": "甲州市「重層的支援体制整備事業 実施計画」（令和7年4月〜令和12年3月）",
    "002_d961123e1ec6af47.txt": "福生市 資料7「重層的支援体制整備事業の実施について」（令和5〜8年度）",
    "003_8194474ba235d705.txt": "入間市「重層的支援体制整備事業 実施計画」（令和8〜10年度）",
    "004_50451f3a80e1843a.txt": "府中市「重層的支援体制整備事業 実施計画」（令和8〜14年度）",
}
#: What a public object says instead of the key name in an ``api:<key name>`` source.
PUBLIC_API_SOURCE = "api:非公開"


@dataclass(frozen=True)
class Audience:
    """Who reads the objects: the catalogue's own users (the file export) or anyone (the API) — and, for
    the credit lines of open data, the date of each dataset's data as the import log knows it
    (:func:`resourcemap.opendata.listing.dataset_dates`; a dataset without one is credited 「日付不明」)."""

    public: bool
    dataset_dates: Mapping[str, date] = field(default_factory=dict)


CATALOGUE = Audience(public=False)
PUBLIC = Audience(public=True)


class GraphView(Protocol):
    """What the builders read: a node by id and its edges (a :class:`~resourcemap.graph.readmodel.ReadModel`)."""

    def node(self, node_id: str) -> Node: ...
    def has(self, node_id: str) -> bool: ...
    def in_edges(self, node_id: str, kind: str | None = None) -> list[Edge]: ...
    def out_edges(self, node_id: str, kind: str | None = None) -> list[Edge]: ...


@lru_cache(maxsize=1 << 17)  # a full service needs ~20 ids, the same terms' ids again and again
def hsds_id(what: str, key: str) -> str:
    """The HSDS id of the *what* (service, location, …) derived from our id *key*: ``uuid5(NAMESPACE, "what:key")``.

    Computed from the SHA-1 digest directly (RFC 4122 §4.3) — the same value as :func:`uuid.uuid5`
    (a test holds them equal) at a fifth of the cost, which a page of full services feels.
    """
    b = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{what}:{key}".encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50  # version 5
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# -- values that carry a format ------------------------------------------------------------------
#: RFC 3986 characters outside an IP-literal host (so no square brackets: we never emit one).
_URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]*$")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def _ascii_host(host: str) -> str | None:
    try:
        out = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    return out if _HOST.match(out) and len(out) <= 253 else None


def _is_uri(text: str) -> bool:
    return bool(_URI_CHARS.match(text)) and not _BAD_PERCENT.search(text) and text.count("#") <= 1


def as_uri(text: str | None) -> str | None:
    """*text* as an absolute http(s) URI (an IRI's host IDNA-encoded, the rest percent-encoded), else None.

    A text that already is such a URI comes back unchanged.
    """
    if not text:
        return None
    text = text.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    host = _ascii_host(parts.hostname)
    if host is None:
        return None
    if _is_uri(text):
        return text
    safe = "/:@!$&'()*+,;=-._~%"
    netloc = host + (f":{port}" if port is not None else "")
    out = urlunsplit((parts.scheme.lower(), netloc, quote(parts.path, safe=safe),
                      quote(parts.query, safe=safe + "?"), quote(parts.fragment, safe=safe + "?")))
    return out if _is_uri(out) else None


def as_email(text: str | None) -> str | None:
    """*text* as an ASCII e-mail address (an internationalised domain IDNA-encoded), else None."""
    if not text or text.count("@") != 1:
        return None
    local, _, domain = text.strip().partition("@")
    host = _ascii_host(domain)
    if host is None or "." not in host or not _EMAIL_LOCAL.match(local) or len(local) > 64:
        return None
    return f"{local}@{host}"


def _put_formatted(obj: dict[str, Any], key: str, text: str | None, convert) -> None:
    """``obj[key]`` = the formatted value; the original under ``jp_<key>_text`` when it differs or fails."""
    if not text:
        return
    value = convert(text)
    if value is not None:
        obj[key] = value
    if value != text:
        obj[f"jp_{'url' if key in ('url', 'website') else key}_text"] = text


# -- provenance --------------------------------------------------------------------------------
def public_source(source: str, audience: Audience) -> str:
    """The source as *audience* may see it: never the key name of an ``api:<key>`` source in public."""
    return PUBLIC_API_SOURCE if audience.public and source.startswith("api:") else source


def attribution_of(n: Node, dataset_dates: Mapping[str, date] | None = None) -> str | None:
    """The credit lines of a node, joined with 「／」: the plan document's title and section for a plan's
    node, and each public dataset it carries ids of (its publisher's wording, :mod:`resourcemap.opendata`).
    None when there is nothing to credit (an API edit, ``public``)."""
    from ..opendata.listing import credit_lines  # lazily: the open-data package imports io, which imports us

    lines = []
    doc, _, section = n.source.partition("#")
    if (title := PLAN_DOCUMENTS.get(doc)) is not None:
        lines.append(f"出典：{title}" + (f" {section}" if section else "") + " を基に作成")
    lines += credit_lines(n.external_ids, dataset_dates or {})
    return "／".join(lines) or None


def _provenance(obj: dict[str, Any], n: Node, audience: Audience) -> None:
    obj["jp_source"] = public_source(n.source, audience)
    if (line := attribution_of(n, audience.dataset_dates)) is not None:
        obj["jp_attribution"] = line


# -- organization, program -------------------------------------------------------------------------
def organization_link(g: GraphView, n: Node) -> tuple[Node, Edge | None] | None:
    """The organization a service belongs to and the edge that says so (None: the agency itself).

    An agency is its own organization; any other resource belongs to the node with the strongest
    ``operates`` / ``runs`` / ``commissions`` / ``subsidizes`` edge to it (ties: the smaller id).
    """
    if n.kind == "agency":
        return n, None
    cands = [e for e in g.in_edges(n.id) if e.kind in ORG_EDGES and g.has(e.source)
             and g.node(e.source).kind in ORG_KINDS]
    if not cands:
        return None
    edge = min(cands, key=lambda e: (ORG_EDGES.index(e.kind), e.source))
    return g.node(edge.source), edge


def organization_of(org: Node, audience: Audience = CATALOGUE) -> dict[str, Any]:
    """An organization node as an HSDS organization (one-to-one fields and its phone)."""
    oid = hsds_id("organization", org.id)
    out: dict[str, Any] = {"id": oid, "name": org.name, "description": org.description or org.name}
    if org.alternate_name:
        out["alternate_name"] = org.alternate_name
    _put_formatted(out, "email", org.email, as_email)
    _put_formatted(out, "website", org.url, as_uri)
    if org.phone:
        out["phones"] = [{"id": hsds_id("phone", f"organization:{org.id}"), "organization_id": oid,
                          "number": org.phone}]
    out.update({"jp_node_id": org.id, "jp_kind": org.kind, "jp_city_code": org.city})
    if org.org_type:
        out["jp_org_type"] = org.org_type
    _provenance(out, org, audience)
    return out


def _service_organization(g: GraphView, n: Node, audience: Audience) -> dict[str, Any] | None:
    link = organization_link(g, n)
    if link is None:
        return None
    org, edge = link
    out = organization_of(org, audience)
    out["jp_relation"] = edge.kind if edge else "self"
    if edge is not None and edge.cite:
        out["jp_cite"] = edge.cite
    return out


def program_of(g: GraphView, n: Node, audience: Audience = CATALOGUE) -> dict[str, Any] | None:
    """The 事業 a resource implements (the smallest program id when several) as an HSDS program."""
    progs = sorted(e.target for e in g.out_edges(n.id, "implements") if g.has(e.target))
    if not progs:
        return None
    p = g.node(progs[0])
    out = {"id": hsds_id("program", p.id), "name": p.name, "description": p.description or p.name,
           "jp_node_id": p.id, "jp_program_code": p.program or "other"}
    _provenance(out, p, audience)
    return out


# -- location, service_at_location -----------------------------------------------------------------
def location_of(n: Node) -> dict[str, Any] | None:
    """Where a site is: its point (with ``location_precision``), public address, the id its highest-priority
    public dataset gives it and its バリアフリー情報; None when it has none of these."""
    if not n.located and not n.address and not n.accessibility:
        return None
    lid = hsds_id("location", n.id)
    loc: dict[str, Any] = {"id": lid, "location_type": "physical", "name": n.name,
                           "location_precision": n.location_precision}
    if n.located:
        loc["latitude"], loc["longitude"] = n.lat, n.lng
    if n.external_ids:
        from ..opendata.merge import controlling  # lazily, as in attribution_of

        primary = controlling(set(n.external_ids)) or sorted(n.external_ids)[0]
        loc["external_identifier"], loc["external_identifier_type"] = n.external_ids[primary], primary
    if n.accessibility:
        loc["accessibility"] = [{"id": hsds_id("accessibility", f"{n.id}:{i}"), "location_id": lid, "description": a}
                                for i, a in enumerate(n.accessibility)]
    if n.address:
        city = CITIES.get(n.city)
        loc["addresses"] = [{"id": hsds_id("address", n.id), "location_id": lid, "address_1": n.address,
                             "city": city.name if city else n.city, "state_province": city.pref if city else "",
                             "postal_code": "", "country": "JP", "address_type": "physical"}]
    return loc


def service_at_location_of(n: Node) -> dict[str, Any] | None:
    """The one service_at_location of a site (its service at its location), with the location nested."""
    loc = location_of(n)
    if loc is None:
        return None
    return {"id": hsds_id("service_at_location", n.id), "service_id": hsds_id("service", n.id),
            "location_id": loc["id"], "location": loc}


# -- taxonomies ----------------------------------------------------------------------------------
def taxonomy_of(key: str) -> dict[str, Any]:
    """One of :data:`TAXONOMIES` as an HSDS taxonomy."""
    name, description = TAXONOMIES[key]
    return {"id": hsds_id("taxonomy", key), "name": name, "description": description, "version": key}


def taxonomy_term_of(taxonomy: str, code: str, *, detail: bool = False) -> dict[str, Any]:
    """A category (or 分野) as an HSDS taxonomy_term; *detail* adds the taxonomy and the synonyms."""
    if taxonomy == CATEGORY_TAXONOMY:
        cat = load_taxonomy().categories[code]
        name, parent, synonyms, fields = cat.label, cat.parent, cat.synonyms, cat.fields
        description = name
    elif taxonomy == EXTERNAL_ID_TAXONOMY:
        from ..opendata.mapping import load_datasets  # lazily, as in attribution_of

        spec = load_datasets().get(code)
        name, parent, synonyms, fields = (spec.name if spec else code), None, (), ()
        description = f"{spec.render(spec.publisher)}「{spec.name}」の識別子" if spec else code
    else:
        name, parent, synonyms, fields = code, None, (), ()
        description = BUNYA[code]
    term: dict[str, Any] = {"id": hsds_id(taxonomy, code), "code": code, "name": name,
                            "description": description,
                            "taxonomy": taxonomy, "taxonomy_id": hsds_id("taxonomy", taxonomy), "language": "jpn"}
    if parent:
        term["parent_id"] = hsds_id(taxonomy, parent)
    if detail:
        term["taxonomy_detail"] = taxonomy_of(taxonomy)
        if synonyms:
            term["jp_synonyms"] = list(synonyms)
        if fields:
            term["jp_fields"] = list(fields)
    return term


def dataset_codes() -> list[str]:
    """The public datasets the external-id taxonomy has a term for (those resourcemap imports)."""
    from ..opendata.mapping import load_datasets  # lazily, as in attribution_of

    return list(load_datasets())


def taxonomy_terms(*, detail: bool = True) -> list[dict[str, Any]]:
    """Every term of the taxonomies: the categories in taxonomy order, the 分野, then the public datasets."""
    return ([taxonomy_term_of(CATEGORY_TAXONOMY, c.id, detail=detail) for c in load_taxonomy()]
            + [taxonomy_term_of(BUNYA_TAXONOMY, f, detail=detail) for f in BUNYA]
            + [taxonomy_term_of(EXTERNAL_ID_TAXONOMY, d, detail=detail) for d in dataset_codes()])


def _attribute(taxonomy: str, code: str, sid: str, link_type: str) -> dict[str, Any]:
    term = taxonomy_term_of(taxonomy, code)
    return {"id": hsds_id(f"attribute:{link_type}", f"{sid}:{code}"), "link_id": sid, "link_type": link_type,
            "link_entity": "service", "taxonomy_term_id": term["id"], "taxonomy_term": term}


# -- service ---------------------------------------------------------------------------------------
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


def _schedules(n: Node, sid: str) -> list[dict[str, Any]]:
    out = []
    for i, s in enumerate(n.schedules):
        item: dict[str, Any] = {"id": hsds_id("schedule", f"{n.id}:{i}"), "service_id": sid}
        if s.freq in ("WEEKLY", "MONTHLY"):
            item["freq"] = s.freq
        elif s.freq is not None:
            item["jp_freq"] = s.freq
        for key in ("byday", "opens_at", "closes_at", "description"):
            if getattr(s, key) is not None:
                item[key] = getattr(s, key)
        out.append(item)
    return out


def service_of(g: GraphView, n: Node, *, audience: Audience = CATALOGUE, last_modified: datetime | None = None,
               nested: bool = True) -> dict[str, Any]:
    """One resource node as a full HSDS service (organization, program, location, schedules, areas, terms).

    ``last_modified`` defaults to the node's ``updated_at``; the API passes the latest change of
    anything the object is built from (see :mod:`resourcemap.hsds.directory`). ``nested=False``
    leaves out the one-to-many parts (phones, schedules, service_areas, service_at_locations,
    attributes), which a list item (:func:`service_summary`) drops anyway.
    """
    sid = hsds_id("service", n.id)
    tax = load_taxonomy()
    # a status no mapping knows (only in a record stored before today's model) goes out as it is: the export's
    # validation then leaves that service out and reports it, instead of failing the whole export
    svc: dict[str, Any] = {"id": sid, "name": n.name, "status": STATUS_OUT.get(n.status, n.status)}
    for key in ("alternate_name", "description"):
        if getattr(n, key):
            svc[key] = getattr(n, key)
    _put_formatted(svc, "url", n.url, as_uri)
    _put_formatted(svc, "email", n.email, as_email)
    if n.targets.age_min is not None:
        svc["minimum_age"] = n.targets.age_min
    if n.targets.age_max is not None:
        svc["maximum_age"] = n.targets.age_max
    if (elig := _eligibility(n)) is not None:
        svc["eligibility_description"] = elig
    if n.verified_at is not None:
        svc["assured_date"] = n.verified_at.isoformat()
    modified = last_modified or n.updated_at
    if modified is not None:
        svc["last_modified"] = modified.isoformat()
    area = g.node(n.area_id) if n.area_id and g.has(n.area_id) else None
    if nested:
        if n.phone:
            svc["phones"] = [{"id": hsds_id("phone", n.id), "service_id": sid, "number": n.phone}]
        if n.schedules:
            svc["schedules"] = _schedules(n, sid)
        if area is not None:
            svc["service_areas"] = [{"id": hsds_id("service_area", n.id), "service_id": sid, "name": area.name,
                                     "extent_type": "jp_welfare_area", "description": area.level or ""}]
        if (sal := service_at_location_of(n)) is not None:
            svc["service_at_locations"] = [sal]
        attrs = [_attribute(CATEGORY_TAXONOMY, c, sid, "service_category") for c in n.categories
                 if c in tax.categories]
        attrs += [_attribute(BUNYA_TAXONOMY, f, sid, "eligibility") for f in n.targets.fields]
        attrs += [{**_attribute(EXTERNAL_ID_TAXONOMY, d, sid, "external_identifier"), "value": pid}
                  for d, pid in sorted(n.external_ids.items())]
        if attrs:
            svc["attributes"] = attrs
    if (org := _service_organization(g, n, audience)) is not None:
        svc["organization_id"], svc["organization"] = org["id"], org
    if (prog := program_of(g, n, audience)) is not None:
        svc["program_id"], svc["program"] = prog["id"], prog
    profile = {"jp_node_id": n.id, "jp_kind": n.kind, "jp_city_code": n.city,
               "jp_program_code": n.program, "jp_area_id": n.area_id, "jp_area_name": area.name if area else None,
               "jp_status": n.status if n.status == "planned" else None,
               "jp_verified_by": None if audience.public else n.verified_by,
               "jp_capacity": n.capacity, "jp_accepting_new": n.accepting_new, "jp_count": n.count,
               "jp_residents_only": True if n.targets.residents_only else None, "jp_org_type": n.org_type}
    svc.update({k: v for k, v in profile.items() if v is not None})
    _provenance(svc, n, audience)
    return svc


# -- the list shapes -------------------------------------------------------------------------------
def one_to_one(obj: dict[str, Any], keep: Iterable[str] = ()) -> dict[str, Any]:
    """*obj* without its one-to-many parts (lists, nested objects) except the keys in *keep*."""
    kept = set(keep)
    return {k: v for k, v in obj.items() if k in kept or not isinstance(v, (list, dict))}


def service_summary(svc: dict[str, Any]) -> dict[str, Any]:
    """A full service cut to ``service_list.json``: one-to-one fields, organization and program flat."""
    out = one_to_one(svc)
    for key in ("organization", "program"):
        if key in svc:
            out[key] = one_to_one(svc[key])
    return out
