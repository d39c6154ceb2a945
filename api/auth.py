"""Authentication: API keys with roles viewer < editor < admin.

Foundation stage: every caller is an anonymous viewer-level reader; the API issue replaces
:func:`authenticate` with key checks (hash lookup, 401/403) without touching the routes.
"""
from __future__ import annotations

from fastapi import Request

from .deps import Caller


def authenticate(request: Request, state, role: str) -> Caller:
    return Caller(name="anonymous", role="admin")
