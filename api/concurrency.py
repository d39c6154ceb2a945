"""Optimistic concurrency over HTTP: ``ETag`` = the entity's version, ``If-Match`` required on writes.

Why required (428 when missing): two staff members editing the same 居場所 must not
silently overwrite each other; a client must say which version its change is based on.
A stale version gets 412 with the current version, so the client can re-read and retry.
``If-Match`` may list several tags; the write goes ahead when any of them is current (RFC 9110 §13.1.1).

>>> expected_version('"3"')
3
>>> sorted(expected_version('"77", "78"'))
[77, 78]
>>> expected_version("*") is None
True
"""
from __future__ import annotations

import re
from typing import Any

from fastapi import HTTPException

from resourcemap.graph.stores.base import ExpectedVersion

from .responses import JSONResponse

__all__ = ["etag_of", "expected_version", "versioned"]

_TAG = re.compile(r'^\s*(?:W/)?"?(?P<v>\d{1,18})"?\s*$')


def etag_of(version: int) -> str:
    return f'"{version}"'


def versioned(body: dict[str, Any], version: int, *, status: int = 200, location: str | None = None) -> JSONResponse:
    """One node or edge as a response: ``ETag`` = its version, and ``Location`` when just created."""
    headers = {"ETag": etag_of(version), **({"Location": location} if location else {})}
    return JSONResponse(body, status_code=status, headers=headers)


def expected_version(if_match: str | None) -> ExpectedVersion:
    """The version(s) an ``If-Match`` header names: one version, a set of them, or None for ``*`` (any).

    428 when the header is missing; 412 when it names no version (it cannot match).
    """
    if if_match is None or not if_match.strip():
        raise HTTPException(428, "If-Match ヘッダーが必要です。GET で得た ETag（例: \"3\"）を If-Match に付けてください。")
    if if_match.strip() == "*":
        return None
    versions = {int(m["v"]) for tag in if_match.split(",") if (m := _TAG.match(tag)) is not None}
    if not versions:
        raise HTTPException(412, f"If-Match {if_match[:40]!r} はどの版にも一致しません。GET で得た ETag をそのまま付けてください。")
    return versions.pop() if len(versions) == 1 else frozenset(versions)
