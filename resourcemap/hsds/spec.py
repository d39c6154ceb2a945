"""The official HSDS 3.0 API document (OpenAPI 3.1), as served and as the conformance tests read it.

Why two forms: clients read ``/hsds/openapi.json`` — the official document with its required
``info`` filled in and ``servers`` pointing at this directory, its schema ``$ref`` s left at the
specification's own URLs, which every HSDS tool knows. A test runner that may reach only
loopback needs the same document with those remote ``$ref`` s rewritten to the copies shipped in
this package (:func:`self_contained_openapi`); nothing else in it changes.
"""
from __future__ import annotations

import copy
from typing import Any

from ..io.hsds import schema

__all__ = ["HSDS_VERSION", "REMOTE_SCHEMAS", "official_openapi", "served_openapi", "self_contained_openapi"]

HSDS_VERSION = "3.0"
_REMOTE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
#: Every remote ``$ref`` of the official document → the packaged schema it names.
REMOTE_SCHEMAS: dict[str, str] = {
    _REMOTE + "compiled/service.json": "service",
    _REMOTE + "compiled/service_list.json": "service_list",
    _REMOTE + "compiled/organization.json": "organization",
    _REMOTE + "compiled/organization_list.json": "organization_list",
    _REMOTE + "compiled/service_at_location_list.json": "service_at_location_list",
    _REMOTE + "taxonomy.json": "taxonomy",
    _REMOTE + "taxonomy_term.json": "taxonomy_term",
}
#: The relative ``$ref`` s inside the per-entity schemas (``schema/parts/``) that the document names.
_RELATIVE = {"taxonomy.json": "taxonomy", "metadata.json": "metadata"}


def official_openapi() -> dict[str, Any]:
    """The API document exactly as the specification publishes it (a fresh copy)."""
    return copy.deepcopy(schema("openapi"))


def served_openapi(base_url: str, version: str) -> dict[str, Any]:
    """The document this server answers at ``/hsds/openapi.json``: its ``info`` and ``servers`` filled in."""
    doc = official_openapi()
    doc["info"] = {
        "title": "resourcemap HSDS API（社会資源・支援機関の公開ディレクトリ）",
        "version": version,
        "summary": "Open Referral HSDS 3.0 API: 市区町村の公開中の社会資源・支援機関",
        "description": "HSDS 3.0 の読み取り API。公開するのは稼働中（active）のサービスとその組織・所在地・分類だけです。"
                       "日本向けプロファイル（jp_* の追加プロパティ、分類・分野の taxonomy）は /hsds/ の profile を参照。",
        "license": {"name": "データの利用条件は提供する自治体が定めます。各レコードの出典は jp_source / jp_attribution。"
                            "この API 文書は HSDS 3.0（Open Referral, CC BY-SA 4.0）のものです。"},
    }
    doc["servers"] = [{"url": f"{base_url.rstrip('/')}/hsds", "description": "this directory"}]
    return doc


def _rewrite(node: Any, refs: dict[str, str]) -> Any:
    """A copy of *node* with every ``$ref`` in *refs* pointed at ``#/components/schemas/hsds_<name>``."""
    if isinstance(node, dict):
        out = {k: _rewrite(v, refs) for k, v in node.items()}
        if isinstance(out.get("$ref"), str) and out["$ref"] in refs:
            out["$ref"] = f"#/components/schemas/hsds_{refs[out['$ref']]}"
        return out
    if isinstance(node, list):
        return [_rewrite(v, refs) for v in node]
    return node


def self_contained_openapi(server_url: str | None = None) -> dict[str, Any]:
    """The official document with its remote ``$ref`` s resolved to the packaged schemas.

    Each remote schema becomes ``components.schemas.hsds_<name>`` (its own relative ``$ref`` s —
    ``taxonomy.json``, ``metadata.json`` — rewritten the same way); paths, parameters and
    responses stay as published. *server_url* (e.g. ``http://127.0.0.1:8123/hsds``) sets ``servers``.
    """
    doc = _rewrite(official_openapi(), REMOTE_SCHEMAS)
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in sorted({*REMOTE_SCHEMAS.values(), *_RELATIVE.values()}):
        components[f"hsds_{name}"] = _rewrite(schema(name), _RELATIVE)
    remaining = [r for r in _refs(doc) if not r.startswith("#/")]
    assert not remaining, f"unresolved $refs: {remaining}"
    if server_url is not None:
        doc["servers"] = [{"url": server_url}]
    return doc


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []
