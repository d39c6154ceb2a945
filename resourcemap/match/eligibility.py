"""Hard filters: may this member use this resource at all?

Why hard (not scored): a coordinator must never be shown a 65歳以上 salon for a 40-year-old, a
障害 service for someone outside that 分野, or a 市民限定 service of another city. Everything
else (distance, area, schedule, freshness) is a matter of degree and goes into the score.

The rules, as a coordinator would say them:

* kind is a place one can be referred to (agency, hub, place, subsidy_group) and status active;
* age: within ``age_min``–``age_max`` when the member's age is given;
* 分野: the resource names no 分野, or 全世代, or shares one with the member — the member's
  given 分野 (else inferred from age: 65+ 高齢, under 18 子ども) or the need's own 分野
  (asking for 介護予防 is asking in 高齢);
* residents_only: the household lives in the resource's municipality.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from ..model import RESOURCE_KINDS, Node

__all__ = ["MemberProfile", "member_fields", "is_resource", "eligible", "fits_targets", "ELDERLY_AGE", "CHILD_AGE_MAX"]

ELDERLY_AGE = 65
CHILD_AGE_MAX = 17
ALL_AGES = "全世代"


def member_fields(fields: Sequence[str], age: int | None) -> frozenset[str]:
    """The member's 分野: as given, else inferred from age (65+ 高齢, ≤17 子ども), else none."""
    if fields:
        return frozenset(fields)
    if age is not None and age >= ELDERLY_AGE:
        return frozenset({"高齢"})
    if age is not None and age <= CHILD_AGE_MAX:
        return frozenset({"子ども"})
    return frozenset()


@dataclass(frozen=True)
class MemberProfile:
    """What the filters know of one member for one need (never stored)."""

    age: int | None
    fields: frozenset[str]       # member_fields(...)
    need_fields: frozenset[str]  # the need category's 分野 from the taxonomy
    city: str                    # the household's municipality

    @cached_property
    def accepted_fields(self) -> frozenset[str]:
        return self.fields | self.need_fields


def is_resource(node: Node, *, located: bool = True) -> bool:
    """An active resource kind; with ``located`` (matching by distance) it must also have a point."""
    return (node.kind in RESOURCE_KINDS and node.status == "active" and not node.deleted
            and (node.located or not located))


def eligible(node: Node, who: MemberProfile, *, located: bool = True) -> bool:
    """True when *who* may use *node* (see the module doc); distance is checked by the caller.

    ``located=False`` asks the same question of resources with no point (所在地未登録).
    """
    return is_resource(node, located=located) and fits_targets(node, who)


def fits_targets(node: Node, who: MemberProfile) -> bool:
    """The targeting half of :func:`eligible` (age, 分野, residents only), for any node with ``targets`` —
    also a programme (事業) listed because no site delivers it yet."""
    t = node.targets
    if who.age is not None:
        if t.age_min is not None and who.age < t.age_min:
            return False
        if t.age_max is not None and who.age > t.age_max:
            return False
    if t.fields and ALL_AGES not in t.fields and not who.accepted_fields.intersection(t.fields):
        return False
    if t.residents_only and node.city != who.city:
        return False
    return True
