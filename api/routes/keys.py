"""API key administration (admin): list, create (shown once), revoke."""
from __future__ import annotations

from fastapi import APIRouter

from ..catalogue_schemas import KeyCreate, KeyCreated, KeyOut
from ..deps import Admin, StateDep

router = APIRouter(tags=["keys"])


@router.get("/v1/keys", response_model=list[KeyOut], summary="List API keys (never the keys themselves; admin)")
def list_keys(_: Admin, state: StateDep) -> list[dict]:
    return [k.as_dict() for k in state.keyring.list()]


@router.post("/v1/keys", status_code=201, response_model=KeyCreated,
             summary="Create an API key; the key is in this response only (admin)")
def create_key(body: KeyCreate, _: Admin, state: StateDep) -> dict:
    key, info = state.keyring.create(body.role, body.name)
    return {**info.as_dict(), "key": key}


@router.delete("/v1/keys/{key_id}", response_model=KeyOut, summary="Revoke an API key at once (admin)")
def revoke_key(key_id: str, _: Admin, state: StateDep) -> dict:
    return state.keyring.revoke(key_id).as_dict()
