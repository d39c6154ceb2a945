"""JSON responses rendered by orjson: the one response class of the API's JSON routes.

Why: under load, encoding a page of 100 nodes or a household match with the standard library's
``json`` was one of the largest costs of a read (``docs/benchmarks.md``, "Request path"); orjson
writes the same JSON (UTF-8, no spaces) several times faster. A body orjson cannot encode (an
integer beyond 64 bits, say) falls back to the standard encoder, so nothing that encoded before
fails now.

>>> JSONResponse({"名前": "居場所", "n": [1, 2.5, None]}).body.decode()
'{"名前":"居場所","n":[1,2.5,null]}'
"""
from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse as _StdJSONResponse

__all__ = ["JSONResponse", "orjson_bytes"]

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def orjson_bytes(content: Any) -> bytes:
    """*content* as :class:`JSONResponse` encodes it when orjson can (``TypeError`` when it cannot: the caller
    then renders the whole body with :class:`JSONResponse`, whose fallback may write numbers differently)."""
    return orjson.dumps(content, option=_OPTIONS)


class JSONResponse(_StdJSONResponse):
    """:class:`starlette.responses.JSONResponse`, encoded with orjson."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson_bytes(content)
        except TypeError:
            return super().render(content)
