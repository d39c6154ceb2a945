"""Request bodies read as JSON objects and validated once by the domain model, documented in OpenAPI.

Why not a FastAPI body model: FastAPI would validate the body against it, and the write path
(:mod:`resourcemap.editing`) validates the node again — the same value checked twice, with the
first check stopping before the second could report the rest. Instead :data:`JsonObject` reads
the body (a JSON object, nothing more) and :func:`json_body` documents the schema the write
path enforces (the models of :mod:`api.catalogue_schemas`); :func:`install` adds those schemas
to ``/openapi.json``.
"""
from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel

from resourcemap.errors import InputError

__all__ = ["JsonObject", "json_body", "install"]

_DOCUMENTED: dict[str, type[BaseModel]] = {}


async def _json_object(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise InputError("本文は JSON にしてください（Content-Type: application/json）。")
    try:
        data = json.loads(await request.body())
    except (ValueError, RecursionError):
        raise InputError("本文が JSON として読めません。JSON オブジェクト（{\"name\": …}）を送ってください。") from None
    if not isinstance(data, dict):
        raise InputError("本文は JSON オブジェクト（{ … }）にしてください。")
    return data


#: A route parameter holding the request body as a JSON object (validated later, once, by the domain model).
JsonObject = Annotated[dict[str, Any], Depends(_json_object)]


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a route reading :data:`JsonObject`: the body's schema is *model*'s."""
    _DOCUMENTED[model.__name__] = model
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


def install(app: FastAPI) -> None:
    """Put the models of :func:`json_body` (and the models they use) into the app's OpenAPI components."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, model in _DOCUMENTED.items():
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(body.pop("$defs", {}))
                components[name] = body
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
