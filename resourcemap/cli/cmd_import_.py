"""``resourcemap import FILE [--dry-run]``: CSV (Japanese headers), GeoJSON or HSDS JSON.

A dry run prints the per-row report (what would be created/updated, every error with its
row and column) and writes nothing. A real run writes everything in ONE transaction, or —
when any row has an error — nothing at all (exit 2).
"""
from __future__ import annotations

import sys
from pathlib import Path


def register(sub, common) -> None:
    p = sub.add_parser("import", parents=[common], help="import resources from CSV / GeoJSON / HSDS JSON",
                       description="Import a spreadsheet (CSV, Japanese headers accepted), GeoJSON or HSDS 3.0 JSON. "
                                   "All or nothing: any error and nothing is written.")
    p.add_argument("file", help="the file to import")
    p.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    p.add_argument("--format", default="auto", choices=["auto", "csv", "geojson", "hsds"])
    p.add_argument("--actor", default=None, help="name recorded in the audit log (default: cli:<user>)")
    p.add_argument("--progress", action="store_true", help="print 'writing N/TOTAL' to stderr while writing")
    p.set_defaults(func=run)


def _human(report: dict) -> str:
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
    for e in report["errors"]:
        lines.append(f"  {e['row']:>5} 行 エラー  [{e.get('column') or '-'}] {e['message']}")
    return "\n".join(lines)


def run(ctx) -> int:
    import getpass

    from ..errors import InputError
    from ..io import ImportFailed, import_file
    from .context import emit

    path = Path(ctx.args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path} を読めません: {exc.strerror}") from None
    actor = ctx.args.actor or f"cli:{getpass.getuser()}"

    def progress(done: int, total: int) -> None:
        if done == 1 or done == total or done % 100 == 0:
            print(f"writing {done}/{total}", file=sys.stderr, flush=True)

    try:
        report = import_file(ctx.store(), data, name=path.name, fmt=ctx.args.format, dry_run=ctx.args.dry_run,
                             actor=actor, progress=progress if ctx.args.progress else None)
    except ImportFailed as exc:
        emit(ctx, exc.report, _human)
        raise
    emit(ctx, report, _human)
    if not report["ok"]:
        print(f"resourcemap: {len(report['errors'])} 件のエラーがあります（上の一覧を直してください）", file=sys.stderr)
        return 2
    return 0
