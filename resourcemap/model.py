"""The domain model: typed, validated nodes and edges of the resource graph.

Why one flat ``Node`` shape for every kind: the API, CSV import, the stores and the read
model all move the same object; kind-specific fields are optional attributes that the
validator requires or forbids per kind (:data:`KIND_RULES`). Field names follow Open
Referral HSDS 3.0 where it has one (``name``, ``alternate_name``, ``description``,
``email``, ``url``, ``status``, ``schedules`` with iCal fields, ``assured_date`` →
``verified_at``), so the HSDS export is a mapping, not a rewrite.
"""
from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import cache, lru_cache, partial
from types import UnionType
from typing import Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import from_json

from . import fieldrules
from .errors import ValidationFailed

__all__ = [
    "NodeKind", "EdgeKind", "Bunya", "Precision", "Status", "ProgramCode", "Method",
    "Targets", "Schedule", "Node", "Edge", "Change",
    "NODE_KINDS", "EDGE_KINDS", "PROGRAM_CODES", "PRECISION_RANK", "EDGE_RULES", "RESOURCE_KINDS", "STORE_MANAGED", "READ_ONLY",
    "SITE_PRECISION", "is_placed", "new_id", "now_utc", "parse_node", "parse_edge", "stored_node", "stored_edge",
]

NodeKind = Literal["municipality", "department", "program", "agency", "hub", "place",
                   "subsidy_group", "coordinator", "area", "meeting"]
EdgeKind = Literal["operates", "commissions", "subsidizes", "runs", "implements", "located_in",
                   "covers", "affiliated_with", "collaborates", "part_of", "managed_by",
                   "participates_in"]
#: 分野 (the field of welfare a service targets); 全世代 = all ages / cross-field.
Bunya = Literal["高齢", "障害", "子ども", "困窮", "全世代"]
#: How exactly a node is located. exact/address: from a stated address geocoded to a point;
#: chome: a 町丁目 representative point; town: centroid of a 町/大字's 丁目 points; area: an
#: area's representative point; city: the municipality's; none: not placed.
Precision = Literal["exact", "address", "chome", "town", "area", "city", "none"]
#: HSDS service status plus ``planned`` (移行予定: named in a plan, not yet running).
Status = Literal["active", "inactive", "planned", "defunct"]
#: 法定事業区分 (社会福祉法第106条の4第2項) and ``other`` for 独自事業.
ProgramCode = Literal["1-i", "1-ro", "1-ha", "1-ni", "2", "3-i", "3-ro", "3-ha", "3-ni", "3", "4", "5",
                      "6", "other"]
#: 実施方式.
Method = Literal["直営", "委託", "補助", "指定管理", "直営・委託", "その他"]
Pillar = Literal["包括的相談支援", "参加支援", "地域づくり", "アウトリーチ等を通じた継続的支援", "多機関協働",
                 "支援プランの作成", "独自事業"]

NODE_KINDS: tuple[str, ...] = get_args(NodeKind)
EDGE_KINDS: tuple[str, ...] = get_args(EdgeKind)
PROGRAM_CODES: tuple[str, ...] = get_args(ProgramCode)
#: Finer placement first (the order of :data:`Precision`): the gap maps count a node for distances when
#: its rank ≤ the policy's, and an open-data import keeps the finer of two placements.
PRECISION_RANK: dict[str, int] = {p: k for k, p in enumerate(get_args(Precision))}
#: Kinds a household can be matched to (places that offer services).
RESOURCE_KINDS: frozenset[str] = frozenset({"agency", "hub", "place", "subsidy_group"})
#: The coarsest placement at which a node stands at a place of its own (an area's representative point or
#: finer). A node placed only at its municipality's point (``city``) or not at all is a programme without a
#: registered site: matching lists it under ``unplaced`` and the gap maps count it as not yet registered.
SITE_PRECISION = "area"

PILLAR_OF_CODE: dict[str, str] = {
    "1-i": "包括的相談支援", "1-ro": "包括的相談支援", "1-ha": "包括的相談支援", "1-ni": "包括的相談支援",
    "2": "参加支援", "3-i": "地域づくり", "3-ro": "地域づくり", "3-ha": "地域づくり", "3-ni": "地域づくり",
    "3": "地域づくり", "4": "アウトリーチ等を通じた継続的支援", "5": "多機関協働", "6": "支援プランの作成",
    "other": "独自事業",
}
BUNYA_OF_CODE: dict[str, str] = {
    "1-i": "高齢", "1-ro": "障害", "1-ha": "子ども", "1-ni": "困窮", "2": "全世代", "3-i": "高齢",
    "3-ro": "高齢", "3-ha": "障害", "3-ni": "子ども", "3": "困窮", "4": "全世代", "5": "全世代", "6": "全世代",
}

_ORG = {"agency", "department", "municipality"}
_SITE = {"agency", "hub", "place", "subsidy_group"}
_ANY = set(NODE_KINDS)
#: Which node kinds may stand at each end of each edge kind (source kinds, target kinds).
EDGE_RULES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    k: (frozenset(s), frozenset(t)) for k, (s, t) in {
        "operates": (_ORG | {"subsidy_group"}, {"hub", "place", "program", "meeting"}),
        "commissions": ({"department", "municipality", "agency"}, {"agency", "subsidy_group"}),
        "subsidizes": ({"department", "municipality", "agency"}, {"subsidy_group", "agency", "place", "hub"}),
        "runs": (_ORG | {"subsidy_group", "coordinator"}, {"place", "program", "meeting", "hub"}),
        "implements": (_SITE | {"coordinator", "department", "meeting"}, {"program"}),
        "located_in": (_SITE | {"coordinator", "department"}, {"area", "hub", "municipality"}),
        "covers": ({"coordinator", "agency", "hub", "place", "subsidy_group"}, {"area", "municipality"}),
        "affiliated_with": ({"coordinator"}, _ORG),
        "collaborates": (_ANY - {"area", "municipality"}, _ANY - {"area", "municipality"}),
        "part_of": ({"department", "area", "program", "hub", "agency", "meeting"},
                    {"municipality", "department", "area", "agency", "program"}),
        "managed_by": ({"program", "hub", "place", "meeting", "coordinator"}, _ORG),
        "participates_in": (_ANY - {"area", "municipality", "meeting", "program"}, {"meeting"}),
    }.items()
}

_SOURCE_RE = re.compile(r"^(public|(00[0-4]_[0-9a-f]{16}\.txt)(#.+)?|import:.+|api:.+)$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def is_placed(node: Node, min_precision: str = SITE_PRECISION) -> bool:
    """True when *node* is located at *min_precision* or finer (so a walking distance to it means something)."""
    return node.located and PRECISION_RANK[node.location_precision] <= PRECISION_RANK[min_precision]


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def new_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def _apply_field_rule(cls: Any, value: Any, info: ValidationInfo) -> Any:
    """The field's rule from the model's ``field_rules`` table: each model applies its table with one
    ``check_field_rules = field_validator(*table)(classmethod(_apply_field_rule))`` (pydantic reports
    every failing field at once)."""
    return value if info.field_name is None else cls.field_rules[info.field_name](value)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=False)
    #: Field → rule of :mod:`resourcemap.fieldrules`, applied when a record is built (not when read back).
    field_rules: ClassVar[Mapping[str, fieldrules.Rule]] = {}


class _Entity(_Strict):
    """What nodes and edges share: a stable id and the fields the store manages (version, times, deleted)."""

    id: str = Field(default="", description="stable id; generated when empty")
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted: bool = False

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if v and not _ID_RE.match(v):
            raise ValueError("id may hold letters, digits and . _ : - (max 128), starting with a letter or digit")
        return v


class Targets(_Strict):
    """Who a resource is for (HSDS: ``minimum_age``/``maximum_age`` + eligibility attributes)."""

    fields: list[Bunya] = Field(default_factory=list, description="対象分野; empty = no restriction")
    age_min: int | None = Field(None, ge=0, le=130)
    age_max: int | None = Field(None, ge=0, le=130)
    residents_only: bool = Field(False, description="市内在住・在勤者のみ")
    field_rules: ClassVar[Mapping[str, fieldrules.Rule]] = fieldrules.TARGETS_FIELDS
    check_field_rules = field_validator(*fieldrules.TARGETS_FIELDS)(classmethod(_apply_field_rule))

    @model_validator(mode="after")
    def _ages_ordered(self) -> Targets:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError(f"age_min {self.age_min} is above age_max {self.age_max}")
        return self


class Schedule(_Strict):
    """An opening pattern in HSDS/iCal terms (freq WEEKLY/MONTHLY, byday MO,TU …, opens_at HH:MM)."""

    freq: Literal["WEEKLY", "MONTHLY", "DAILY"] | None = "WEEKLY"
    byday: str | None = Field(None, pattern=r"^(-?[1-5]?(MO|TU|WE|TH|FR|SA|SU))(,-?[1-5]?(MO|TU|WE|TH|FR|SA|SU))*$")
    opens_at: str | None = None
    closes_at: str | None = None
    description: str | None = None
    field_rules: ClassVar[Mapping[str, fieldrules.Rule]] = fieldrules.SCHEDULE_FIELDS
    check_field_rules = field_validator(*fieldrules.SCHEDULE_FIELDS)(classmethod(_apply_field_rule))

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _hhmm(cls, v: str | None) -> str | None:
        if v is not None and not _TIME_RE.match(v):
            raise ValueError(f"time must be HH:MM (24h), got {v!r}")
        return v


class Node(_Entity):
    """A node of the resource graph. ``version``/timestamps are set by the store."""

    kind: NodeKind
    name: str = Field(min_length=1, max_length=200)
    alternate_name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    city: str = Field(pattern=r"^\d{5}$", description="全国地方公共団体コード (5 digits)")
    lat: float | None = Field(None, ge=20.0, le=46.0)
    lng: float | None = Field(None, ge=122.0, le=154.0)
    location_precision: Precision = "none"
    address: str | None = Field(None, max_length=200, description="public address of a facility (never a household's)")
    categories: list[str] = Field(default_factory=list)
    targets: Targets = Field(default_factory=Targets)
    program: ProgramCode | None = None
    area_id: str | None = None
    source: str = Field(description="document file + '#' + section, or 'public'")
    status: Status = "active"
    url: str | None = None
    email: str | None = None
    phone: str | None = None
    schedules: list[Schedule] = Field(default_factory=list)
    capacity: int | None = Field(None, ge=0)
    accessibility: list[str] = Field(default_factory=list,
                                     description="HSDS location accessibility: バリアフリー情報, one item each")
    external_ids: dict[str, str] = Field(default_factory=dict,
                                         description="HSDS identifiers: {dataset id: the publisher's id of this site}")
    accepting_new: bool | None = None
    count: int | None = Field(None, ge=1, description="how many sites/people a node stands for when the document gives only a number")
    verified_at: date | None = None
    verified_by: str | None = Field(None, max_length=100)
    # kind-specific ----------------------------------------------------------------------
    pref: str | None = None                       # municipality
    primary_area_level: str | None = None         # municipality: the area level shown first
    org_type: str | None = None                   # agency: 社会福祉協議会 / 社会福祉法人 / NPO法人 / 市 …
    pillar: Pillar | None = None                  # program
    method: Method | None = None                  # program: 実施方式
    role: str | None = None                       # coordinator: 地域福祉コーディネーター / CSW / 推進員 …
    level: str | None = None                      # area: 福祉エリア / 日常生活圏域 / 福祉圏域 / 市全域
    chome: list[str] = Field(default_factory=list)  # area: 町丁目 names that belong to it
    membership: Literal["document", "municipality", "provisional"] | None = None  # area: who said so
    field_rules: ClassVar[Mapping[str, fieldrules.Rule]] = fieldrules.NODE_FIELDS
    check_field_rules = field_validator(*fieldrules.NODE_FIELDS)(classmethod(_apply_field_rule))

    @field_validator("source")
    @classmethod
    def _source_shape(cls, v: str) -> str:
        if not _SOURCE_RE.match(v):
            raise ValueError("source must be 'public', '<document file>#<section>' (e.g. "
                             "'004_50451f3a80e1843a.txt#2(4)'), 'import:<file>' or 'api:<key name>'")
        return v

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, v: list[str]) -> list[str]:
        from .taxonomy import load_taxonomy

        unknown = load_taxonomy().validate_ids(v)
        if unknown:
            raise ValueError(f"unknown categories {unknown}; see GET /v1/categories")
        return list(dict.fromkeys(v))

    @model_validator(mode="after")
    def _kind_rules(self) -> Node:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat and lng go together: give both or neither")
        if self.lat is None and self.location_precision not in ("none",):
            raise ValueError(f"location_precision {self.location_precision!r} needs lat/lng; use 'none' when not placed")
        if self.lat is not None and self.location_precision == "none":
            raise ValueError("a placed node needs a location_precision other than 'none'")
        if self.kind == "program" and self.program is None:
            raise ValueError("a program needs its 法定事業区分 code in 'program' ('other' for 独自事業)")
        if self.kind == "area" and not self.level:
            raise ValueError("an area needs a 'level' (福祉エリア, 日常生活圏域, 福祉圏域, 市全域 …)")
        if self.kind == "coordinator" and not self.role:
            raise ValueError("a coordinator needs a 'role' (地域福祉コーディネーター, CSW, 推進員 …)")
        if self.kind == "program" and self.pillar is None and self.program is not None:
            self.pillar = PILLAR_OF_CODE[self.program]  # type: ignore[assignment]
        if not self.id:
            self.id = new_id(self.kind)
        return self

    # -- views ------------------------------------------------------------------------------
    @property
    def located(self) -> bool:
        return self.lat is not None and self.lng is not None

    def public_dict(self) -> dict[str, Any]:
        """The JSON shape of CONTRACT.md (dates as ISO strings)."""
        return self.model_dump(mode="json")

    def content_dict(self) -> dict[str, Any]:
        """Everything but the store-managed fields (what a change compares)."""
        return self.model_dump(mode="json", exclude={"version", "created_at", "updated_at"})


class Edge(_Entity):
    """A typed relationship. ``source``/``target`` are node ids; provenance is ``cite``."""

    kind: EdgeKind
    source: str
    target: str
    program: ProgramCode | None = Field(None, description="for commissions/subsidizes: the 事業 it is for")
    method: Method | None = None
    description: str | None = Field(None, max_length=2000)
    cite: str | None = Field(None, description="document#section the relationship comes from, or 'public'")
    field_rules: ClassVar[Mapping[str, fieldrules.Rule]] = fieldrules.EDGE_FIELDS
    check_field_rules = field_validator(*fieldrules.EDGE_FIELDS)(classmethod(_apply_field_rule))

    @field_validator("cite")
    @classmethod
    def _cite_shape(cls, v: str | None) -> str | None:
        if v is not None and not _SOURCE_RE.match(v):
            raise ValueError("cite must be 'public' or '<document file>#<section>'")
        return v

    @model_validator(mode="after")
    def _fill_id(self) -> Edge:
        if self.source == self.target:
            raise ValueError("an edge may not point from a node to itself")
        if not self.id:
            self.id = f"e-{uuid.uuid4().hex[:16]}"
        return self

    def public_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def content_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"version", "created_at", "updated_at"})


#: Fields the store manages: no writer sets them, on create or on change.
STORE_MANAGED: frozenset[str] = frozenset({"version", "created_at", "updated_at", "deleted"})
#: Fields no change may touch: the identity (``id``, ``kind``) and what the store manages.
READ_ONLY: frozenset[str] = STORE_MANAGED | {"id", "kind"}


class Change(BaseModel):
    """One entry of the change log (= audit log): revision, actor, time, before and after."""

    rev: int
    at: datetime
    actor: str | None
    op: Literal["create", "update", "delete", "restore", "purge"]
    entity: Literal["node", "edge"]
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _problems(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "message": e["msg"]} for e in exc.errors()]


def _parse(model: type[Node] | type[Edge], data: dict[str, Any], what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        probs = _problems(exc)
        raise ValidationFailed(
            f"{what}の内容に誤りがあります: " + "; ".join(f"{p['field']}: {p['message']}" for p in probs),
            errors=probs) from None


def parse_node(data: dict[str, Any]) -> Node:
    """Validate a dict into a Node, raising :class:`ValidationFailed` with every problem at once."""
    return _parse(Node, data, "ノード")


def parse_edge(data: dict[str, Any]) -> Edge:
    """Validate a dict into an Edge, raising :class:`ValidationFailed` with every problem at once."""
    return _parse(Edge, data, "エッジ")


# -- trusted construction: what the store wrote, read back without validating it again --------------
M = TypeVar("M", bound=BaseModel)


def _plain(annotation: Any) -> Any:
    """``X | None`` → ``X`` (other unions and plain types as they are)."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    return args[0] if get_origin(annotation) in (Union, UnionType) and len(args) == 1 else annotation


@cache
def _converters(model: type[BaseModel]) -> dict[str, Callable[[Any], Any]]:
    """Per field, how its JSON value becomes the Python value validation would have made: nested models
    (and lists of them) built the same trusted way, ISO text → ``datetime`` / ``date``; others as they are.

    What many entities hold alike is shared rather than built again for each (see :class:`SharedList`):
    a nested model with the same values (a node's ``targets``), a list of texts (``categories``), an
    empty list or mapping, a timestamp (a bulk load stamps every node with the same second)."""
    out: dict[str, Callable[[Any], Any]] = {}
    for name, info in model.model_fields.items():
        ann = _plain(info.annotation)
        item = get_args(ann)[0] if get_origin(ann) is list and get_args(ann) else None
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out[name] = partial(_shared_model, ann)
        elif isinstance(item, type) and issubclass(item, BaseModel):
            out[name] = partial(_trusted_list, item)
        elif get_origin(ann) is list:
            out[name] = _shared_texts
        elif get_origin(ann) is dict:
            out[name] = _shared_empty_mapping
        elif ann is datetime:
            out[name] = _shared_datetime
        elif ann is date:
            out[name] = _shared_date
    return out


# -- sharing what many rebuilt entities hold alike ---------------------------------------------------
# Why: the read model holds every live node, a million of them at national scale, and most of a node's
# containers are either empty or repeated (the same targets, the same pair of categories, the same
# load timestamp): one shared object each instead of one per node roughly halves a node's size
# (docs/benchmarks.md, "Server memory"). The caches are bounded, so a catalogue of all-different
# values costs no more than before. Entities read back from a store are never changed in place
# (a change builds a new entity with ``model_copy(update=...)`` or through validation), and the
# shared containers refuse in-place changes so that a future one fails loudly instead of changing
# every node that shares them.
_SHARED_CACHE = 1 << 16


def _refuse(self: Any, *args: Any, **kwargs: Any) -> None:
    raise TypeError(f"this {type(self).__name__} is shared by many stored entities and cannot be changed in "
                    "place; copy it first (list(...) / dict(...)) or build a new entity with model_copy(update=...)")


class SharedList(list):
    """A list many rebuilt entities share (e.g. every empty ``schedules``): equal to and serialised as a
    plain list, but refusing in-place changes; copies (``copy``, ``deepcopy``, pickling) are plain lists."""

    __slots__ = ()
    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[list[Any]]]:
        return (list, (list(self),))

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return list(self)  # its items are texts (see _shared_texts)


class SharedDict(dict):
    """The empty mapping every rebuilt entity without one shares (e.g. ``external_ids``); see :class:`SharedList`."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = setdefault = update = pop = popitem = clear = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[dict[Any, Any]]]:
        return (dict, (dict(self),))

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[Any, Any]:
        return dict(self)


_EMPTY_LIST = SharedList()
_EMPTY_DICT = SharedDict()


def _shared_texts(items: list[Any]) -> list[Any]:
    """A list of texts as the one shared :class:`SharedList` of those texts (anything else as it is)."""
    if not items:
        return _EMPTY_LIST
    key = tuple(items)
    return _texts_list(key) if all(type(x) is str for x in key) else items


@lru_cache(maxsize=_SHARED_CACHE)
def _texts_list(texts: tuple[str, ...]) -> SharedList:
    return SharedList(sys.intern(t) for t in texts)


def _shared_empty_mapping(mapping: dict[str, Any]) -> dict[str, Any]:
    return mapping or _EMPTY_DICT


_shared_datetime = lru_cache(maxsize=4096)(datetime.fromisoformat)
_shared_date = lru_cache(maxsize=4096)(date.fromisoformat)


def _shared_model(model: type[M], data: dict[str, Any]) -> M:
    """A nested model (a node's ``targets``) built once per distinct value and shared by every entity with it."""
    if not isinstance(data, dict):
        return data  # already built
    try:
        key = tuple((k, tuple(v) if type(v) is list else v) for k, v in data.items())
        return _shared_model_of(model, key)
    except TypeError:  # a value that cannot be a key (a nested mapping): built for this entity alone
        return _trusted(model, data)


@lru_cache(maxsize=_SHARED_CACHE)
def _shared_model_of(model: type[M], key: tuple[tuple[str, Any], ...]) -> M:
    return _trusted(model, {k: list(v) if type(v) is tuple else v for k, v in key})


@cache
def _field_names(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(model.model_fields)


@cache
def _every_field_set(model: type[BaseModel]) -> set[str]:
    """One set of every field name per model, shared by all the entities :func:`_trusted` rebuilds.

    Why shared: a set of 40 names takes 2.2 KiB, as much as the rest of a node, and the read
    model holds a million nodes. Sharing it is safe: pydantic only ever *adds* to a fields-set (an
    attribute assignment adds that field's name, already in it) and ``model_copy`` copies it first.
    """
    return set(model.model_fields)


def _trusted(model: type[M], data: dict[str, Any]) -> M:
    if not isinstance(data, dict):
        return data  # already built
    values = dict(data)
    for name, convert in _converters(model).items():
        value = values.get(name)
        if isinstance(value, (dict, list, str)):
            values[name] = convert(value)
    if values.keys() != _field_names(model):
        return model.model_construct(**values)  # an older image without a newer field: defaults filled in
    # every field present (the usual case): pydantic's own model_construct without its per-field
    # default lookup, which costs more than reading the JSON (tests/unit/test_write_path.py checks
    # that the result equals validation's, field for field)
    built = model.__new__(model)
    object.__setattr__(built, "__dict__", values)
    object.__setattr__(built, "__pydantic_fields_set__", _every_field_set(model))
    object.__setattr__(built, "__pydantic_extra__", None)
    object.__setattr__(built, "__pydantic_private__", None)
    return built


def _trusted_list(model: type[M], items: list[Any]) -> list[M]:
    return [_trusted(model, x) for x in items] if items else _EMPTY_LIST


def stored_node(data: dict[str, Any] | str | bytes) -> Node:
    """The :class:`Node` a store wrote (its JSON image, a dict or text), rebuilt WITHOUT validation.

    Why: a node is validated once, on its way in (:mod:`resourcemap.editing`, the importers, the
    seeds); the store then keeps exactly what validation produced. Reading it back — for a write's
    version check, a query, the read model following the change log — trusts that image instead of
    validating it again (which would also let a rule added later break reads of older data).
    """
    return _trusted(Node, from_json(data) if isinstance(data, (str, bytes)) else data)


def stored_public_dict(data: str | bytes) -> dict[str, Any]:
    """``stored_node(data).public_dict()`` without building the node, when the store's JSON image has every field.

    Why: a store writes a node's image with ``model_dump_json``, which *is* its public JSON shape;
    a list of 100 nodes read for the API would otherwise be parsed, built and dumped again field by
    field (most of a list request's time). An older image without a newer field goes the long way,
    so its defaults are filled in as :func:`stored_node` fills them.
    """
    image = from_json(data)
    if image.keys() == _field_names(Node):
        return image
    return stored_node(image).public_dict()


def stored_edge(data: dict[str, Any] | str | bytes) -> Edge:
    """The :class:`Edge` a store wrote, rebuilt without validation (see :func:`stored_node`)."""
    return _trusted(Edge, from_json(data) if isinstance(data, (str, bytes)) else data)
