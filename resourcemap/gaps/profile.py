"""Which categories a gap map measures, how far is "within reach", and which resources count.

Why a module of its own: the CLI, the API, the report and the benchmark must agree on the
default category list, the walking thresholds and the eligibility rule, and a municipality
will want to change them (configurable thresholds are part of the brief).

* Thresholds: 800 m (10 minutes at 80 m/min) by default; 500 m for categories that serve
  older people only (taxonomy ``fields == [高齢]``: 地域包括, 通いの場, 認知症支援, サロン),
  because older people walk slower and shorter. ``threshold_m`` overrides both.
* Measure: ``distance`` (the nearest eligible resource, walking reach) for services one goes
  to; ``coverage`` for 地域福祉コーディネート, which is not a place but a role assigned to
  areas — a unit is covered when a coordinator ``covers`` its area (or the whole city).
* Placement: a resource counts for distances only when placed at ``area`` precision or
  better; one placed only at the municipality's point (``city``) or not at all is *unlocated*:
  it exists but its reach cannot be drawn, and the map and report say so instead of
  pretending it sits at the city hall.
"""
from __future__ import annotations

from collections.abc import Iterable

from ..errors import InputError
from ..geo import WALK_SPEED_M_PER_MIN
from ..model import PRECISION_RANK, RESOURCE_KINDS, Node
from ..taxonomy import load_taxonomy

__all__ = [
    "DEFAULT_CATEGORIES", "COVERAGE_CATEGORIES", "DEFAULT_THRESHOLD_M", "OLDER_THRESHOLD_M", "SEARCH_CAP_M",
    "PRECISION_RANK", "threshold_for", "measure_of", "resolve_categories", "offers", "is_placed",
    "resource_eligible",
]

#: Needs the 重層的支援会議 reviews by default: the four 分野 counters and the general one, the
#: places of 地域づくり, and the services households are most often matched to.
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "consult.general", "consult.elderly", "consult.disability", "consult.child", "consult.poverty",
    "ibasho", "kayoi", "kosodate", "food", "learning", "employment", "housing", "hikikomori",
    "dementia", "life_support", "rights", "coordination",
)
#: Categories measured by area coverage (a role assigned to areas), not by walking distance.
COVERAGE_CATEGORIES: frozenset[str] = frozenset({"coordination"})
DEFAULT_THRESHOLD_M = 10 * WALK_SPEED_M_PER_MIN  # 10 minutes' walk: 800 m
OLDER_THRESHOLD_M = 500.0
#: Distances beyond this are reported as "none in range" (``nearest_m`` null).
SEARCH_CAP_M = 5000.0
def resolve_categories(terms: Iterable[str] | None) -> tuple[str, ...]:
    """Category ids for ids, labels or synonyms (any spelling); the defaults when *terms* is empty."""
    terms = [t for t in (terms or []) if t and t.strip()]
    if not terms:
        return DEFAULT_CATEGORIES
    tax = load_taxonomy()
    out: list[str] = []
    for term in terms:
        for part in term.split(","):
            if part.strip():
                out.append(tax.resolve(part.strip()).category.id)
    return tuple(dict.fromkeys(out))


def threshold_for(category: str, override_m: float | None = None) -> float:
    """Walking reach for *category*: *override_m*, else 500 m for older-people-only categories, else 800 m."""
    if override_m is not None:
        if not (0 < override_m <= 50_000):
            raise InputError(f"threshold は 0 より大きく 50000 m 以下で指定してください（{override_m} が指定されました）。")
        return float(override_m)
    fields = load_taxonomy().get(category).fields
    return OLDER_THRESHOLD_M if tuple(fields) == ("高齢",) else DEFAULT_THRESHOLD_M


def measure_of(category: str) -> str:
    """``coverage`` for roles assigned to areas (コーディネート), ``distance`` otherwise."""
    return "coverage" if category in COVERAGE_CATEGORIES else "distance"


def offers(node: Node, wanted: frozenset[str] | set[str]) -> bool:
    """True when *node* offers one of *wanted* (a category and its descendants)."""
    return any(c in wanted for c in node.categories)


def is_placed(node: Node, min_precision: str = "area") -> bool:
    """True when *node* is located at *min_precision* or finer (so a walking distance means something)."""
    return node.located and PRECISION_RANK[node.location_precision] <= PRECISION_RANK[min_precision]


def resource_eligible(node: Node, wanted: frozenset[str] | set[str], city: str) -> bool:
    """A resource a resident of *city* may use for one of *wanted*: active, a resource kind,
    offering the category, and not restricted to another municipality's residents."""
    if node.kind not in RESOURCE_KINDS or node.status != "active" or node.deleted:
        return False
    if node.targets.residents_only and node.city != city:
        return False
    return offers(node, wanted)
