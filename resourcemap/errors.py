"""The errors resourcemap raises, mapped once at each boundary (CLI exit 2, HTTP problem+json).

Error tree::

    ResourcemapError
    ├── InputError (ValueError)          bad input from a user: fix the input and retry
    │   ├── ValidationFailed             a node/edge/request breaks the model; carries ``errors``
    │   ├── UnknownCategory              a need or category that the taxonomy does not know
    │   └── GeocodeError                 an address that is not a known 町丁目; carries ``candidates``
    ├── NotFound (LookupError)           no such node/edge/city
    ├── Conflict                         the write collides with the current state
    │   ├── VersionConflict              If-Match / expected version is stale (HTTP 412)
    │   └── IntegrityError               an edge end is missing, a duplicate id, wrong kinds
    └── StoreError (RuntimeError)        the backing database failed (not the user's fault)
"""
from __future__ import annotations

from typing import Any


class ResourcemapError(Exception):
    """Base of every error resourcemap raises on purpose."""

    status: int = 500
    title: str = "内部エラー"

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context


class InputError(ResourcemapError, ValueError):
    status = 422
    title = "入力が正しくありません"


class ValidationFailed(InputError):
    """Several field problems, collected and reported together."""

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, **context: Any) -> None:
        super().__init__(detail, **context)
        self.errors = errors or []


class UnknownCategory(InputError):
    title = "分類が見つかりません"

    def __init__(self, detail: str, candidates: list[str] | None = None, **context: Any) -> None:
        super().__init__(detail, **context)
        self.candidates = candidates or []


class GeocodeError(InputError):
    title = "住所（町丁目）が見つかりません"

    def __init__(self, detail: str, candidates: list[str] | None = None, **context: Any) -> None:
        super().__init__(detail, **context)
        self.candidates = candidates or []


class NotFound(ResourcemapError, LookupError):
    status = 404
    title = "見つかりません"


class Conflict(ResourcemapError):
    status = 409
    title = "競合しています"


class VersionConflict(Conflict):
    status = 412
    title = "版が古くなっています"

    def __init__(self, detail: str, current_version: int | None = None, **context: Any) -> None:
        super().__init__(detail, **context)
        self.current_version = current_version


class IntegrityError(Conflict):
    title = "整合性に反します"


class StoreError(ResourcemapError, RuntimeError):
    status = 503
    title = "データストアのエラー"
