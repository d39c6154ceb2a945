"""参加支援 matching: a household's needs → eligible resources nearby, ranked and explained.

Modules, one job each: :mod:`.request` (the request and its validation), :mod:`.locate` (the
household's 町丁目), :mod:`.context` (graph facts per read-model revision), :mod:`.retrieve`
(nearest-first candidates from the category KD-trees), :mod:`.eligibility` (hard filters),
:mod:`.scoring` (points and Japanese reasons), :mod:`.team` (支援チーム), :mod:`.unmet` (the
aggregated unmet-need counters) and :mod:`.engine`, which puts them together.

>>> from resourcemap.match import parse_request
>>> parse_request({"city": "府中市", "location": {"address": "白糸台三丁目"},
...                "members": [{"age": 83, "needs": ["介護予防"]}]}).limit
5
"""
from __future__ import annotations

from .engine import (
    SENIOR_AGE,
    SENIOR_WALK_SPEED,
    WALK_SPEED,
    match_household,
    request_city_code,
    unmet_cells,
    walk_speed_for,
)
from .request import DEFAULT_LIMIT, DEFAULT_MAX_DISTANCE_M, MatchRequest, MemberIn, UnmetRecord, parse_request
from .unmet import UnmetLog, age_band, month_of

__all__ = ["match_household", "unmet_cells", "UnmetRecord", "request_city_code", "parse_request", "MatchRequest", "MemberIn", "UnmetLog",
           "age_band", "month_of", "walk_speed_for", "WALK_SPEED", "SENIOR_WALK_SPEED", "SENIOR_AGE", "DEFAULT_LIMIT",
           "DEFAULT_MAX_DISTANCE_M"]
