"""Optimistic concurrency over HTTP: ``ETag`` = the entity's version, ``If-Match`` required on writes.

Why required (428 when missing): two staff members editing the same 居場所 must not
silently overwrite each other; a client must say which version its change is based on.
A stale version gets 412 with the current version, so the client can re-read and retry.
"""
from __future__ import annotations

import re
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse

__all__ = ["etag_of", "expected_version", "versioned"]

_TAG = re.compile(r'^\s*(?:W/)?"?(?P<v>\d{1,18})"?\s*$')


def etag_of(version: int) -> str:
    return f'"{version}"'


def versioned(body: dict[str, Any], version: int, *, status: int = 200, location: str | None = None) -> JSONResponse:
    """One node or edge as a response: ``ETag`` = its version, and ``Location`` when just created."""
    headers = {"ETag": etag_of(version), **({"Location": location} if location else {})}
    return JSONResponse(body, status_code=status, headers=headers)


def expected_version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header names; None for ``*`` (any version).

    428 when the header is missing; 412 when it names no version (it cannot match).
    """
    if if_match is None or not if_match.strip():
        raise HTTPException(428, "If-Match ヘッダーが必要です。GET で得た ETag（例: \"3\"）を If-Match に付けてください。")
    if if_match.strip() == "*":
        return None
    first = if_match.split(",")[0]
    m = _TAG.match(first)
    if m is None:
        raise HTTPException(412, f"If-Match {if_match[:40]!r} はどの版にも一致しません。GET で得た ETag をそのまま付けてください。")
    return int(m["v"])
