"""RFC 9457 problem+json responses, and the one place resourcemap errors become HTTP statuses."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from resourcemap.errors import GeocodeError, ResourcemapError, UnknownCategory, ValidationFailed, VersionConflict

from .responses import JSONResponse

log = logging.getLogger("resourcemap.api")

PROBLEM = "application/problem+json"
_TITLES = {400: "リクエストが正しくありません", 401: "認証が必要です", 403: "権限がありません", 404: "見つかりません",
           405: "このメソッドは使えません", 409: "競合しています", 412: "版が古くなっています", 413: "リクエストが大きすぎます",
           415: "この形式には対応していません", 422: "入力が正しくありません", 428: "If-Match ヘッダーが必要です",
           429: "リクエストが多すぎます", 500: "内部エラー", 503: "一時的に利用できません"}


def problem(status: int, detail: str, *, title: str | None = None, type_: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": type_ or f"https://resourcemap.invalid/problems/{status}", "title": title or _TITLES.get(status, ""),
            "status": status, "detail": detail, **{k: v for k, v in extra.items() if v is not None}}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    """Map every error to problem+json; bad input never becomes a 5xx; no stack trace leaves."""

    @app.exception_handler(ResourcemapError)
    async def _domain(_: Request, exc: ResourcemapError) -> JSONResponse:
        extra: dict[str, Any] = {}
        if isinstance(exc, ValidationFailed):
            extra["errors"] = exc.errors
        if isinstance(exc, (UnknownCategory, GeocodeError)):
            extra["candidates"] = exc.candidates
        if isinstance(exc, VersionConflict):
            extra["current_version"] = exc.current_version
        if exc.status >= 500:
            log.error("store error: %s", exc.detail)
        return problem(exc.status, exc.detail, title=exc.title, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "(body)",
                   "message": str(e.get("msg"))} for e in exc.errors()]
        detail = "入力を確認してください: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return problem(500, "予期しないエラーが発生しました。時間をおいて再度お試しください。")
