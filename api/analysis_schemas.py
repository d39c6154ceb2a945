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


class Match(BaseModel):
    id: str
    name: str
    kind: str
    lat: float | None
    lng: float | None
    location_precision: str
    distance_m: float
    walk_min: int
    score: float
    score_parts: dict[str, float] = Field(description="points per criterion (category, distance, area, …)")
    reasons: list[str] = Field(description="why it was chosen, in Japanese, in the order of the points")
    area_id: str | None
    operator: Ref | None
    categories: list[str]


class Unplaced(BaseModel):
    """An eligible resource whose place is not registered: listed beside the matches, never ranked."""

    id: str
    name: str
    kind: str
    reasons: list[str]
    operator: Ref | None


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


class TeamMember(BaseModel):
    id: str
    name: str
    kind: str
    fields: list[str]
    reason: str
    role: str


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
    unmet_suppressed: bool = Field(description="some counter in `unmet` is below the threshold and withheld")
    unmet_label: str = Field(description="the unmet figure as shown: 「7」, 「3未満」 or a range 「6〜7」")


class GapFeature(BaseModel):
    type: Literal["Feature"]
    id: str = Field(description="<unit id>|<category>")
    geometry: dict[str, Any] | None = Field(description="GeoJSON geometry of the unit (WGS84)")
    properties: GapProperties


class GapMeta(BaseModel):
    city: str
    city_name: str
    unit: str
    categories: list[str]
    generated_at: str
    revision: int
    min_precision: str


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
