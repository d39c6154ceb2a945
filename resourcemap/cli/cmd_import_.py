"""``resourcemap import [--format F] FILE [--city C] [--dry-run]``: resources or a municipality's area table.

Formats are a table (:data:`IMPORTERS`: format → importer), so a new format is one function and
one entry. Catalogue formats (CSV with Japanese headers, GeoJSON, HSDS JSON; ``auto`` picks by
file) report per row and write everything in ONE transaction, or — when any row has an error —
nothing at all (exit 2). ``areas`` reads a municipality's 圏域 table (区域名, 階層, 町丁目) and
replaces the areas of each level it names (:mod:`resourcemap.io.areas`). With ``--json`` every
format prints at least ``{"added", "changed", "unchanged", "inactivated", "errors": [{"row",
"column", "message"}]}`` (CONTRACT.md).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


@dataclass(frozen=True)
class Imported:
    """What an importer hands back: the JSON report, whether it succeeded, and its human rendering."""

    report: dict[str, Any]
    ok: bool
    human: Callable[[dict[str, Any]], str]


def _catalogue_human(report: dict) -> str:
    s = report["summary"]
    head = ("取り込みの確認（書き込みはしていません）" if report["dry_run"] else "取り込みました") + \
        f": {report['file']} — 新規 {s['create']}、更新 {s['update']}、変更なし {s['unchanged']}、エラー {s['error']}" \
        f"（関係 {s['edges']} 件）"
    lines = [head]
    for r in report["rows"]:
        if r["action"] in ("create", "update"):
            fields = ", ".join(r["changes"]) if r["action"] == "update" else ""
            lines.append(f"  {r['row']:>5} 行 {r['action']:<7} {r['id']} {r['name'] or ''} {fields}".rstrip())
        for w in r["warnings"]:
            lines.append(f"  {r['row']:>5} 行 注意    {w}")
    return "\n".join(lines + _error_lines(report["errors"]))


def _error_lines(errors: list[dict]) -> list[str]:
    return [f"  {e['row'] if e.get('row') is not None else '-':>5} 行 エラー  [{e.get('column') or '-'}] {e['message']}"
            for e in errors]


def _contract_counts(report: dict) -> dict[str, int]:
    s = report["summary"]
    return {"added": s["create"], "changed": s["update"], "unchanged": s["unchanged"], "inactivated": 0}


def import_catalogue(ctx, path: Path, data: bytes, actor: str) -> Imported:
    from ..io import ImportFailed, import_file

    def progress(done: int, total: int) -> None:
        if done == 1 or done == total or done % 100 == 0:
            print(f"writing {done}/{total}", file=sys.stderr, flush=True)

    try:
        report = import_file(ctx.store(), data, name=path.name, fmt=ctx.args.format, dry_run=ctx.args.dry_run,
                             actor=actor, progress=progress if ctx.args.progress else None)
    except ImportFailed as exc:
        return Imported({**_contract_counts(exc.report), **exc.report}, False, _catalogue_human)
    return Imported({**_contract_counts(report), **report}, bool(report["ok"]), _catalogue_human)


def _areas_human(report: dict) -> str:
    head = ("区域表の確認（書き込みはしていません）" if report["dry_run"] or not report["ok"] else "区域表を取り込みました") + \
        f": {report['file']}（{report['city_name']}）— 追加 {report['added']}、変更 {report['changed']}、" \
        f"変更なし {report['unchanged']}、削除 {report['inactivated']}、エラー {len(report['errors'])}"
    action = {"added": "追加", "changed": "変更", "unchanged": "変更なし", "inactivated": "削除"}
    lines = [head] + [f"  {action[a['action']]:<5} {a['level']} {a['name']}（町丁目 {a['chome']}）" for a in report["areas"]]
    return "\n".join(lines + _error_lines(report["errors"]))


def import_area_table(ctx, path: Path, data: bytes, actor: str) -> Imported:
    from ..io.areas import import_areas

    report = import_areas(ctx.store(), data, name=path.name, city=ctx.args.city, dry_run=ctx.args.dry_run, actor=actor)
    return Imported(report, bool(report["ok"]), _areas_human)


#: ``--format`` → importer(ctx, path, file bytes, actor). Add a format here.
IMPORTERS: dict[str, Callable[..., Imported]] = {
    "auto": import_catalogue,
    "csv": import_catalogue,
    "geojson": import_catalogue,
    "hsds": import_catalogue,
    "areas": import_area_table,
}


def register(sub, common) -> None:
    p = sub.add_parser("import", parents=[common], help="import resources (CSV / GeoJSON / HSDS) or an area table",
                       description="Import a spreadsheet (CSV, Japanese headers accepted), GeoJSON or HSDS 3.0 JSON, "
                                   "or with --format areas a municipality's 圏域 table (区域名, 階層, 町丁目; CSV or "
                                   ".xlsx). All or nothing: any error and nothing is written.")
    p.add_argument("file", help="the file to import")
    p.add_argument("--format", default="auto", choices=list(IMPORTERS), help="file format (default: auto)")
    p.add_argument("--city", default=None, help="municipality (code or name) the file is about (required by areas)")
    p.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    p.add_argument("--actor", default=None, help="name recorded in the audit log (default: cli:<user>)")
    p.add_argument("--progress", action="store_true", help="print 'writing N/TOTAL' to stderr while writing")
    p.set_defaults(func=run)


def run(ctx) -> int:
    import getpass

    from ..errors import InputError
    from .context import emit

    path = Path(ctx.args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path} を読めません: {exc.strerror}") from None
    actor = ctx.args.actor or f"cli:{getpass.getuser()}"
    result = IMPORTERS[ctx.args.format](ctx, path, data, actor)
    emit(ctx, result.report, result.human)
    if not result.ok:
        print(f"resourcemap: {len(result.report['errors'])} 件のエラーがあります（上の一覧を直してください）", file=sys.stderr)
        return 2
    return 0
