"""Bulk import (dry run with a per-row report, or one all-or-nothing transaction) and export.

Formats: the catalogue's CSV / GeoJSON / HSDS, a municipality's 圏域 table (``areas``) and the
publishers' open data (``gsi-shelters``, ``mhlw-care``, ``std-facilities`` …), dispatched through
:data:`resourcemap.io.IMPORTERS` — the same table as ``resourcemap import``.

The import body is the file itself (``text/csv``, ``application/geo+json``, ``application/json``
for HSDS) or a ``multipart/form-data`` upload with a ``file`` field. The work is done by
:mod:`resourcemap.io`, in a worker thread (the event loop stays free while a large file is
planned and written).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from resourcemap.errors import InputError
from resourcemap.io import IMPORTERS, MEDIA_TYPES, SUFFIXES, ImportFailed, ImportOptions, export_file, run_import

from ..catalogue_schemas import ImportReport
from ..deps import Editor, StateDep, StoreDep, Viewer
from ..problems import problem

router = APIRouter(tags=["import/export"])
ImportFormat = Literal[tuple(IMPORTERS)]  # type: ignore[valid-type]

_BODY = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/geo+json": {"schema": {"type": "object"}},
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}},
                                       "required": ["file"]}},
}}}


async def _payload(request: Request) -> tuple[bytes, str | None]:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        try:
            form = await request.form()
        except Exception:  # malformed multipart is the client's input, never a 500
            raise InputError("multipart の本文が読めません。file 欄にファイルを付けて送ってください。") from None
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InputError("multipart では file 欄にファイルを付けてください。")
        return await upload.read(), upload.filename
    return await request.body(), None


@router.post("/v1/import", summary="Import CSV / GeoJSON / HSDS, an area table or public open data (editor); "
                                  "dry_run=true reports per row",
             responses={200: {"model": ImportReport}}, openapi_extra=_BODY)
async def import_(request: Request, caller: Editor, store: StoreDep, state: StateDep,
                  dry_run: bool = Query(True, description="report only (default); false = write in one transaction"),
                  format: ImportFormat = "auto",  # type: ignore[valid-type]
                  name: str | None = Query(None, max_length=100, description="file name shown in the report"),
                  city: str | None = Query(None, max_length=40, description="areas: the municipality (required); "
                                                                            "open data: only this municipality"),
                  pref: str | None = Query(None, max_length=10, description="open data: only this prefecture"),
                  as_of: date | None = Query(None, alias="date", description="open data: the data's date"),
                  skip_errors: bool = Query(False, description="open data: write the rows without errors")
                  ) -> JSONResponse:
    data, filename = await _payload(request)
    if not data.strip():
        raise InputError("本文が空です。取り込むファイルの中身を送ってください。")
    label = re.sub(r"[^\w.\-]", "_", name or filename or "upload")[:100]
    options = ImportOptions(city=city, pref=pref, as_of=as_of, skip_errors=skip_errors,
                            registry=state.opendata if IMPORTERS[format].uses_registry and not dry_run else None)
    try:
        report = await run_in_threadpool(run_import, store, data, format, name=label, dry_run=dry_run,
                                         actor=caller.name, options=options)
    except ImportFailed as exc:
        return problem(422, exc.detail, errors=exc.errors, report=exc.report)
    return JSONResponse(report)


#: Response headers of an export that left records out (HSDS only): how many, and which (ids and fields).
SKIPPED_HEADER, PROBLEMS_HEADER = "X-Export-Skipped", "X-Export-Problems"
_PROBLEMS_MAX = 1500  # header bytes; `resourcemap check` lists every problem


def skipped_headers(skipped: list[dict]) -> dict[str, str]:
    """Headers naming the records an export skipped (ASCII: node ids and field paths only)."""
    if not skipped:
        return {}
    ids = list(dict.fromkeys(p["id"] for p in skipped))
    text = "; ".join(f"{i} {','.join(sorted({p['field'] for p in skipped if p['id'] == i}))}" for i in ids)
    text = text.encode("ascii", "replace").decode("ascii")
    if len(text) > _PROBLEMS_MAX:
        text = text[:_PROBLEMS_MAX].rsplit(";", 1)[0] + "; ..."
    return {SKIPPED_HEADER: str(len(ids)), PROBLEMS_HEADER: text}


@router.get("/v1/export", summary="Export the catalogue (GeoJSON, GeoPackage, CSV, HSDS 3.0 JSON)",
            description="Stored records never make an export fail. An HSDS export leaves out a resource that "
                        f"would not validate against HSDS 3.0 and names it in `{SKIPPED_HEADER}` (count) and "
                        f"`{PROBLEMS_HEADER}` (`<node id> <fields>; …`); `resourcemap check` lists every such "
                        "record with the rule it breaks.",
            responses={200: {"content": {m.split(";")[0]: {} for m in MEDIA_TYPES.values()},
                             "description": "the file",
                             "headers": {SKIPPED_HEADER: {"schema": {"type": "integer"},
                                                          "description": "resources left out (HSDS only)"},
                                         PROBLEMS_HEADER: {"schema": {"type": "string"},
                                                           "description": "their ids and fields"}}}})
def export(_: Viewer, store: StoreDep, format: Literal["geojson", "gpkg", "csv", "hsds"] = "geojson",
           city: str | None = None, kind: str | None = None) -> Response:
    result = export_file(store, format, city=city, kind=kind)
    filename = f"resourcemap-r{store.revision()}{SUFFIXES[format]}"
    return Response(result.data, media_type=MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             **skipped_headers(result.skipped)})
