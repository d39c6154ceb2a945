"""Response models of the analysis routes — matching, gap maps, the agency network — for ``/openapi.json``.

Why documentation-only: these routes answer with what :func:`resourcemap.match.match_household`,
:func:`resourcemap.gaps.export.feature_collection` and :func:`resourcemap.network.views.network_data`
build (the CLI prints the same data), sent as it is; validating it again on every request would
only cost time (``POST /v1/match`` is benchmarked). The schemathesis suite checks every response
against these models, so they cannot drift from what is sent.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["MatchResult", "GapFeatureCollection", "NetworkBundle"]


# -- POST /v1/match -----------------------------------------------------------------------------------
class Ref(BaseModel):
    id: str
    name: str
    kind: str


class AreaRef(BaseModel):
    id: str
    name: str
    level: str | None


class MatchLocation(BaseModel):
    lat: float
    lng: float
    chome: str | None = Field(description="the household's 町丁目 (empty when only the town was named)")
    area_id: str | None
    precision: str
    city: str
    town: str | None
    areas: list[AreaRef]


class ProgramRef(BaseModel):
    id: str
    name: str


class Schedule(BaseModel):
    """A regular opening or session (HSDS ``schedule``: RRULE-style ``freq``/``byday``, times as HH:MM)."""

    freq: str | None
    byday: str | None
    opens_at: str | None
    closes_at: str | None
    description: str | None


class Inquiry(BaseModel):
    """Whom to call about a resource without a phone of its own: its 所管課, its operator, or the
    municipality's 代表 number (published in the plan) with the 所管課 to ask for. Never a number of the
    resource itself."""

    id: str
    name: str = Field(description="the 所管課, operator or municipality to ask for")
    label: str = Field(description="how to say it, e.g. 高齢者支援課（府中市代表）")
    phone: str
    via: Literal["所管課", "運営者", "代表電話"]


class SiteEntry(BaseModel):
    """What every listed resource carries: who it is, who runs it, the programmes it delivers (``implements``
    edges, the linker's programme ↔ site links), its contact fields (CONTRACT.md, HSDS names) and where they
    came from."""

    id: str
    name: str
    kind: str
    operator: Ref | None = Field(description="who runs it (an agency preferred)")
    programs: list[ProgramRef] = Field(description="the programmes (事業) delivered here")
    address: str | None
    phone: str | None
    email: str | None
    url: str | None
    schedules: list[Schedule] = Field(description="opening hours or sessions")
    capacity: int | None = Field(description="定員")
    accessibility: list[str]
    external_ids: dict[str, str] = Field(description="publisher's id per open dataset")
    location_precision: str
    source: str = Field(description="document#section, import:<dataset> or api:<key>")
    dataset: str | None = Field(description="the open dataset the contact fields come from (null: none)")
    dataset_date: str | None = Field(description="the date of that dataset's data (ISO), when recorded")
    inquiry: Inquiry | None = Field(description="whom to call when it has no phone of its own (null: it has one, "
                                                "or no number that leads to it is known)")


class Match(SiteEntry):
    """A site within reach, eligible, scored."""

    lat: float | None
    lng: float | None
    distance_m: float
    walk_min: int
    score: float
    score_parts: dict[str, float] = Field(description="points per criterion (category, distance, area, …)")
    reasons: list[str] = Field(description="why it was chosen, in Japanese, in the order of the points")
    area_id: str | None
    categories: list[str]


class Unplaced(SiteEntry):
    """An eligible resource without a site of its own (no point, or only the city's: a programme with no
    registered site): listed beside the matches whatever the distance, never ranked."""

    reasons: list[str]


class NeedResult(BaseModel):
    member: int = Field(description="index of the member in the request")
    need: str
    category: str
    category_label: str
    resolved_as: str = Field(description="how the need was read: id, label, synonym …")
    walk_speed_m_per_min: float
    matches: list[Match]
    unplaced: list[Unplaced]


class UnmetNeed(BaseModel):
    member: int
    need: str
    category: str
    category_label: str
    age_band: str = Field(description="the member's age band (「80-89」, 「90+」, 「不明」) — what `POST /v1/unmet` "
                                      "counts; the age itself is never kept")


class TeamMember(SiteEntry):
    """A consultation agency or coordinator; ``reason`` names the programme when it has no registered site."""

    fields: list[str]
    reason: str
    role: str
    registered_site: bool = Field(description="it has a site of its own (a point finer than the city's)")
    lat: float | None
    lng: float | None


class Coordinator(BaseModel):
    id: str
    name: str
    role: str | None
    scope: Literal["area", "city"]
    area_id: str | None
    reason: str


class MatchResult(BaseModel):
    """Matches per member × need (by score), unmet needs, the proposed 支援チーム and the coordinators."""

    location: MatchLocation
    max_distance_m: float
    results: list[NeedResult]
    unmet: list[UnmetNeed]
    team: list[TeamMember]
    team_uncovered_fields: list[str] = Field(description="分野 no consultation desk in the team covers")
    coordinators: list[Coordinator]
    attribution: list[str] = Field(description="the credit line of every open dataset whose data is shown")


# -- GET /v1/gaps ---------------------------------------------------------------------------------------
class GapProperties(BaseModel):
    unit_id: str
    unit_kind: str
    unit_name: str
    area_id: str | None
    area_name: str | None
    category: str
    category_label: str
    measure: Literal["distance", "coverage"]
    threshold_m: float | None
    nearest_m: float | None = Field(description="metres to the nearest resource (null: none within 5 km)")
    nearest_id: str | None
    count_within: int
    share_covered: float | None
    demand: float | None
    access: float | None = Field(description="E2SFCA accessibility, when computed")
    gap: bool
    gap_reason: str | None
    unlocated: int = Field(description="resources of this category in the city whose place is not registered")
    unmet: int = Field(description="unmet needs the matcher counted here; when `unmet_suppressed`, the least "
                                   "the figure can be (small counts are not published below admin)")
    candidates: list[str]
    status: Literal["covered", "gap", "gap_unlocated", "low_access"]
    category_status: Literal["covered", "no_site_within_reach", "not_registered", "no_resource"] = Field(
        description="the category's status in the whole municipality (see `meta.category_status`)")
    unmet_suppressed: bool = Field(description="some counter in `unmet` is below the threshold and withheld")
    unmet_label: str = Field(description="the unmet figure as shown: 「7」, 「3未満」 or a range 「6〜7」")


class GapFeature(BaseModel):
    type: Literal["Feature"]
    id: str = Field(description="<unit id>|<category>")
    geometry: dict[str, Any] | None = Field(description="GeoJSON geometry of the unit (WGS84)")
    properties: GapProperties


class CategoryStatus(BaseModel):
    """Per category: "no site within reach" told from "not yet registered" (docs/gaps.md)."""

    category: str
    label: str
    status: Literal["covered", "no_site_within_reach", "not_registered", "no_resource"]
    status_label: str = Field(description="the status in Japanese, as the report says it")
    sites: int = Field(description="resources counted for distances (a site of their own)")
    unlocated: int = Field(description="resources of the municipality without a registered site")
    units: int
    gap_units: int
    access_computed: bool = Field(description="E2SFCA computed: at least one counted resource has a 定員")
    capacity_known: int = Field(description="counted resources with a 定員")
    capacity_imputed: int = Field(description="counted resources given the median 定員 of the others")


class GapMeta(BaseModel):
    city: str
    city_name: str
    unit: str
    categories: list[str]
    generated_at: str
    revision: int
    min_precision: str
    category_status: list[CategoryStatus]
    attribution: list[str] = Field(description="credit lines of the open data the map rests on")


class GapFeatureCollection(BaseModel):
    """One feature per unit × category (docs/gaps.md)."""

    type: Literal["FeatureCollection"]
    features: list[GapFeature]
    meta: GapMeta


# -- GET /v1/network --------------------------------------------------------------------------------------
class CityRef(BaseModel):
    code: str
    name: str


class NamedRef(BaseModel):
    id: str
    name: str


class NetworkNode(BaseModel):
    id: str
    name: str
    kind: str
    fields: list[str] = Field(description="分野")
    pillars: list[str]
    areas: list[str] = Field(description="area ids served; '*' = the whole municipality")
    betweenness: float
    degree: int
    component: int
    articulation: bool
    cut_off: int
    splits_bunya: bool
    suishin: bool
    role: str | None
    status: str


class NetworkEdge(BaseModel):
    id: str
    kind: str
    source: str
    target: str


class CoverageHoles(BaseModel):
    bunya: int
    pillar: int


class NetworkSummary(BaseModel):
    nodes: int
    edges: int
    components: int
    largest_component: int
    isolated: int
    articulation_points: int
    bunya_separators: int
    areas: int
    uncovered_areas: int
    coverage_holes: CoverageHoles
    coordinators: int
    suishin_departments: int


class Component(BaseModel):
    index: int
    size: int
    bunya: list[str]
    nodes: list[str]


class Separator(Ref):
    parts: int
    cut_off: int
    split: list[list[str]]


class Bridge(BaseModel):
    source: str
    target: str
    kinds: list[str]
    cut_off: int
    split: list[list[str]]


class Betweenness(Ref):
    score: float
    suishin: bool


class CoordinatorLoad(BaseModel):
    id: str
    name: str
    role: str | None
    staff: int
    areas: list[str]
    resources: int
    resources_per_staff: float
    partners: list[str]


class CoverageCell(BaseModel):
    area_id: str
    area: str
    column: str
    status: str
    local: list[str]
    citywide: list[str]


class Coverage(BaseModel):
    bunya: list[CoverageCell]
    pillar: list[CoverageCell]


class Relation(BaseModel):
    kind: str
    forward: bool


class Step(BaseModel):
    source: str
    target: str
    relations: list[Relation]


class Referral(BaseModel):
    area_id: str
    area: str
    bunya: str
    missing: Literal["no_coordinator", "unreachable"] | None
    coordinator: Ref | None
    target: Ref | None
    hops: int | None
    path: list[Step]


class NetworkMetrics(BaseModel):
    summary: NetworkSummary
    components: list[Component]
    separators: list[Separator]
    bridges: list[Bridge]
    betweenness: list[Betweenness]
    coordinator_load: list[CoordinatorLoad]
    uncovered_areas: list[Ref]
    coverage: Coverage
    referrals: list[Referral]


class NetworkBundle(BaseModel):
    """The agency network of one municipality: actors, "works with" edges and every analysis (docs/network.md)."""

    city: CityRef
    level: str | None
    areas: list[NamedRef]
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    metrics: NetworkMetrics
