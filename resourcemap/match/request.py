"""The match request: what a coordinator asks about a household, validated once.

Why pydantic models here (and not in the API): the CLI, the API and the tests send the same
request, so validation and its Japanese messages live in one place. The shape is the one of
CONTRACT.md (``POST /v1/match``); ``times`` and ``walk_speed_m_per_min`` are optional
extensions. Nothing in a request is ever stored or logged (see :mod:`.unmet`).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ValidationFailed
from ..model import Bunya

__all__ = ["TimeSlot", "LocationIn", "MemberIn", "MatchRequest", "UnmetItem", "UnmetRecord", "parse_request",
           "DEFAULT_MAX_DISTANCE_M", "DEFAULT_LIMIT", "MAX_DISTANCE_M", "MAX_LIMIT"]

#: 2 km ≈ 25 minutes on foot at 80 m/min: the edge of a 日常生活圏域 (about a 中学校区).
DEFAULT_MAX_DISTANCE_M = 2000.0
#: A hard cap so that one request cannot ask for the whole prefecture.
MAX_DISTANCE_M = 30_000.0
DEFAULT_LIMIT = 5
MAX_LIMIT = 50

Day = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TimeSlot(_In):
    """When a member could attend: a weekday and a time window (HH:MM, 24h)."""

    day: Day
    start: str = Field("00:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field("23:59", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")

    @model_validator(mode="after")
    def _ordered(self) -> TimeSlot:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} は end {self.end} より前にしてください")
        return self


class LocationIn(_In):
    """Where the household lives: a 町丁目 address (番地 is dropped, never kept) or lat/lng."""

    address: str | None = Field(None, max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)

    @model_validator(mode="after")
    def _one_way(self) -> LocationIn:
        has_point = self.lat is not None or self.lng is not None
        if self.address and has_point:
            raise ValueError("location は address か lat/lng のどちらか一方にしてください")
        if not self.address and (self.lat is None or self.lng is None):
            raise ValueError("location には address（町丁目）か lat と lng の両方が必要です")
        return self


class MemberIn(_In):
    """One household member: age (optional), 分野 (optional) and what they need."""

    age: int | None = Field(None, ge=0, le=130)
    needs: list[str] = Field(min_length=1, max_length=10, description="category id, label or synonym")
    fields: list[Bunya] = Field(default_factory=list, description="分野; inferred from age when empty")
    times: list[TimeSlot] = Field(default_factory=list, max_length=21, description="when the member can attend")
    walk_speed_m_per_min: float | None = Field(None, gt=10, le=200, description="default 80 (60 for 75+)")

    @field_validator("needs")
    @classmethod
    def _non_blank(cls, v: list[str]) -> list[str]:
        out = [s.strip() for s in v]
        if any(not s for s in out):
            raise ValueError("空のニーズがあります")
        if any(len(s) > 60 for s in out):
            raise ValueError("ニーズは分類名か分類IDで指定してください（60文字まで）")
        return out


class MatchRequest(_In):
    """The body of ``POST /v1/match`` (CONTRACT.md)."""

    city: str | None = Field(None, min_length=1, max_length=40,
                             description="name or code; optional when the address names it or the catalogue "
                                         "holds one municipality")
    location: LocationIn
    members: list[MemberIn] = Field(min_length=1, max_length=12)
    max_distance_m: float = Field(DEFAULT_MAX_DISTANCE_M, gt=0, le=MAX_DISTANCE_M)
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


AGE_BANDS = ("不明", "90+", *(f"{d}-{d + 9}" for d in range(0, 90, 10)))


class UnmetItem(_In):
    """One unmet need to count: its category and the member's 10-year age band (or age, turned into the band)."""

    category: str = Field(min_length=1, max_length=60, description="category id, label or synonym")
    age_band: str | None = Field(None, description="10-year band as a match's `unmet` gives it: 0-9 … 80-89, 90+, 不明")
    age: int | None = Field(None, ge=0, le=130, description="instead of age_band; only its band is kept")

    @field_validator("age_band")
    @classmethod
    def _band(cls, v: str | None) -> str | None:
        if v is not None and v not in AGE_BANDS:
            raise ValueError(f"age_band は {', '.join(AGE_BANDS)} のいずれかです")
        return v


class UnmetRecord(_In):
    """The body of ``POST /v1/unmet``: the aggregated cell of a match's unmet needs — nothing about the person."""

    city: str = Field(min_length=1, max_length=40)
    chome: str | None = Field(None, max_length=60, description="the match's location.chome")
    area_id: str | None = Field(None, max_length=128, description="the match's location.area_id")
    items: list[UnmetItem] = Field(min_length=1, max_length=60)


def parse_request(data: dict[str, Any]) -> MatchRequest:
    """Validate *data*, raising :class:`ValidationFailed` listing every problem (no input echoed back)."""
    try:
        return MatchRequest.model_validate(data)
    except ValidationError as exc:
        probs = [{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "message": e["msg"]}
                 for e in exc.errors()]
        raise ValidationFailed("マッチングの条件に誤りがあります: "
                               + "; ".join(f"{p['field']}: {p['message']}" for p in probs), errors=probs) from None
