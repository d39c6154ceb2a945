"""Typed dependencies for route handlers: the app's services, the store, the read model, the caller."""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.base import GraphStore

from .auth import authenticate
from .state import AppState, Caller

__all__ = ["get_state", "get_store", "get_readmodel", "require_role", "StateDep", "StoreDep", "ReadModelDep",
           "Viewer", "Editor", "Admin", "AppState", "Caller"]


async def get_state(request: Request) -> AppState:
    return request.app.state.services


async def get_store(state: Annotated[AppState, Depends(get_state)]) -> GraphStore:
    return state.store


async def get_readmodel(state: Annotated[AppState, Depends(get_state)]) -> AsyncIterator[ReadModel]:
    """The read model, caught up with every committed write, held steady while the request reads it."""
    rm = state.readmodel
    rm.refresh()  # catch up with writes from other processes
    with rm.reading():  # writes arriving meanwhile are applied when the last read is done
        yield rm


def require_role(role: str) -> Callable[..., Awaitable[Caller]]:
    """Dependency factory: the caller must hold *role* or higher (checked by :func:`api.auth.authenticate`)."""

    async def dep(request: Request, state: Annotated[AppState, Depends(get_state)]) -> Caller:
        return authenticate(request, state, role)

    dep.required_role = role  # type: ignore[attr-defined]  # read by the auth-matrix test
    return dep


StateDep = Annotated[AppState, Depends(get_state)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
ReadModelDep = Annotated[ReadModel, Depends(get_readmodel)]
Viewer = Annotated[Caller, Depends(require_role("viewer"))]
Editor = Annotated[Caller, Depends(require_role("editor"))]
Admin = Annotated[Caller, Depends(require_role("admin"))]
