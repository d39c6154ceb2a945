"""API key administration (admin), and the app's request guard.

``setup(app)`` installs :func:`api.auth.install` — the guard that answers 401/413 before any
route runs and documents the error responses in OpenAPI — because this module is where the
app factory lets key handling plug in.
"""
from __future__ import annotations

from fastapi import APIRouter, FastAPI

from ..auth import install, keyring
from ..catalogue_schemas import KeyCreate, KeyCreated, KeyOut
from ..deps import Admin, StateDep

router = APIRouter(tags=["keys"])


@router.get("/v1/keys", response_model=list[KeyOut], summary="List API keys (never the keys themselves; admin)")
def list_keys(_: Admin, state: StateDep) -> list[dict]:
    return [k.as_dict() for k in keyring(state).list()]


@router.post("/v1/keys", status_code=201, response_model=KeyCreated,
             summary="Create an API key; the key is in this response only (admin)")
def create_key(body: KeyCreate, _: Admin, state: StateDep) -> dict:
    key, info = keyring(state).create(body.role, body.name)
    return {**info.as_dict(), "key": key}


@router.delete("/v1/keys/{key_id}", response_model=KeyOut, summary="Revoke an API key at once (admin)")
def revoke_key(key_id: str, _: Admin, state: StateDep) -> dict:
    return keyring(state).revoke(key_id).as_dict()


def setup(app: FastAPI) -> None:
    install(app)
    app.state.startup_hooks.append(keyring)  # open the key tables at start: a bad aux file fails early
