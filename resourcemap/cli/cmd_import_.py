"""``resourcemap import FILE… [--format F] [--city C] [--dry-run]``: catalogue files, a municipality's
area table and public open data.

Formats are the table :data:`resourcemap.io.IMPORTERS` (the API's ``POST /v1/import`` dispatches
through the same one): the catalogue's own CSV (Japanese headers), GeoJSON and HSDS JSON;
``areas``, a municipality's 圏域 table (区域名, 階層, 町丁目; CSV or .xlsx) that replaces the areas of
each level it names (:mod:`resourcemap.io.areas`); and the publishers' files (``gsi-shelters``,
``mhlw-care``, ``std-facilities``, ``std-care``, ``std-childcare``, ``std-medical``: docs/opendata.md).
A dry run prints the report — what would be added, changed, left as it is or marked inactive, and
every error with its row and column — and writes nothing. A real run writes everything in ONE
transaction, or — when any row has an error — nothing at all (exit 2), unless ``--skip-errors``
(open data) leaves those rows out. With ``--json`` every format prints at least ``{"added",
"changed", "unchanged", "inactivated", "errors": [{"row", "column", "message"}]}`` (CONTRACT.md).
"""
from __future__ import annotations

import sys
from pathlib import Path


def register(sub, common) -> None:
    from ..io import IMPORTERS

    p = sub.add_parser("import", parents=[common],
                       help="import resources (CSV / GeoJSON / HSDS), an area table, or public open data",
                       description="Import a spreadsheet (CSV, Japanese headers accepted), GeoJSON or HSDS 3.0 JSON, "
                                   "with --format areas a municipality's 圏域 table (区域名, 階層, 町丁目; CSV or "
                                   ".xlsx), or a publisher's open-data file (--format gsi-shelters, mhlw-care, std-*). "
                                   "All or nothing: any error and nothing is written (unless --skip-errors).")
    p.add_argument("file", nargs="+", help="the file to import (.gz / .xz compressed files are read as they are); "
                                          "open data: several files of one format are imported together in one "
                                          "transaction (e.g. the GSI 指定避難所 and 指定緊急避難場所 lists)")
    p.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    p.add_argument("--format", default="auto", choices=list(IMPORTERS),
                   help="file format (default: auto = CSV / GeoJSON / HSDS by content)")
    p.add_argument("--city", help="areas: the municipality the table is about (code or name, required); "
                                  "open data: import only this municipality (5/6-digit code or name)")
    p.add_argument("--pref", help="open data: import only this prefecture (東京都 or 13)")
    p.add_argument("--date", help="open data: the data's date YYYY-MM-DD (default: from the file name, if it says)")
    p.add_argument("--skip-errors", action="store_true",
                   help="open data: write the rows without errors and report the others")
    p.add_argument("--actor", default=None, help="name recorded in the audit log (default: cli:<user>; open data: "
                                                 "import:<dataset>@<date> (<name>))")
    p.add_argument("--progress", action="store_true", help="print 'writing N/TOTAL' to stderr while writing")
    p.set_defaults(func=run)


def _row(value) -> str:
    return f"{value:>5} 行" if value is not None else "  ファイル"


def _error_lines(errors: list[dict]) -> list[str]:
    return [f"  {_row(e.get('row'))} エラー [{e.get('column') or '-'}] {e['message']}" for e in errors]


def _human_catalogue(report: dict) -> str:
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


def _human_areas(report: dict) -> str:
    head = ("区域表の確認（書き込みはしていません）" if report["dry_run"] or not report["ok"] else "区域表を取り込みました") + \
        f": {report['file']}（{report['city_name']}）— 追加 {report['added']}、変更 {report['changed']}、" \
        f"変更なし {report['unchanged']}、削除 {report['inactivated']}、エラー {len(report['errors'])}"
    action = {"added": "追加", "changed": "変更", "unchanged": "変更なし", "inactivated": "削除"}
    lines = [head] + [f"  {action[a['action']]:<5} {a['level']} {a['name']}（町丁目 {a['chome']}）" for a in report["areas"]]
    return "\n".join(lines + _error_lines(report["errors"]))


def _human_open_data(r: dict) -> str:
    head = ("取り込みの確認（書き込みはしていません）" if r["dry_run"] else "取り込みました") + \
        f": {r['file']}（{r['dataset']}, {r['date'] or '日付不明'}, {r['scope']}）— 新規 {r['added']}、" \
        f"計画のノードと結合 {r['linked']}、他の公開データの施設と同一 {r['matched']}、更新 {r['changed']}、" \
        f"変更なし {r['unchanged']}、休止 {r['inactivated']}、" \
        f"エラー {len(r['errors'])}（読んだ行 {r['rows_read']}、対象外の市区町村 {r['outside']}）"
    lines = [head]
    for what, label in (("added", "新規"), ("linked", "結合"), ("matched", "同一"), ("changed", "更新"),
                        ("inactivated", "休止"), ("unlinked", "解除")):
        for d in r["diff"].get(what, [])[:20]:
            fields = ", ".join(d.get("fields", {}))
            lines.append(f"  {_row(d.get('row'))} {label:<4} {d['id']} {d['name']} {fields}".rstrip())
        more = r[what] - min(20, len(r["diff"].get(what, [])))
        if more > 0:
            lines.append(f"  …ほか {label} {more} 件（--json で一覧）")
    lines += _error_lines(r["errors"][:200])
    for w in r["warnings"][:20]:
        lines.append(f"  {_row(w['row'])} 注意   [{w.get('column') or '-'}] {w['message']}")
    if r.get("links"):
        lines.append(f"  リンク: 自動で結合 {r['links'].get('merged', 0)}、事業との関係 {r['links'].get('edges', 0)}、"
                     f"確認待ちの提案 {r['links'].get('proposed', 0)}（resourcemap links）")
    return "\n".join(lines)


def _human(report: dict) -> str:
    """The report of any format, for people (the three shapes: catalogue rows, areas, open-data diff)."""
    if "summary" in report:
        return _human_catalogue(report)
    if "areas" in report:
        return _human_areas(report)
    return _human_open_data(report)


def run(ctx) -> int:
    import getpass
    from dataclasses import replace
    from datetime import date

    from ..errors import InputError
    from ..io import IMPORTERS, ImportFailed, ImportOptions, run_import
    from ..io.importers import check_options
    from .context import emit

    a = ctx.args
    files = []
    for name in a.file:
        path = Path(name)
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise InputError(f"{path} を読めません: {exc.strerror}") from None
    try:
        as_of = date.fromisoformat(a.date) if a.date else None
    except ValueError:
        raise InputError(f"--date {a.date!r} は YYYY-MM-DD で指定してください。") from None
    actor = a.actor or f"cli:{getpass.getuser()}"

    def progress(done: int, total: int) -> None:
        if done == 1 or done == total or done % 100 == 0:
            print(f"writing {done}/{total}", file=sys.stderr, flush=True)

    options = ImportOptions(city=a.city, pref=a.pref, as_of=as_of, skip_errors=a.skip_errors,
                            progress=progress if a.progress else None)
    check_options(a.format, options, spell=lambda n: "--" + n.replace("_", "-"))  # named as on the command line
    if IMPORTERS[a.format].uses_registry and not a.dry_run:  # open data: log the import, queue the links
        from ..opendata import Registry

        options = replace(options, registry=Registry(ctx.aux()))
    try:
        report = run_import(ctx.store(), files, a.format, name=files[0][0], dry_run=a.dry_run, actor=actor,
                            options=options)
    except ImportFailed as exc:
        emit(ctx, exc.report, _human)
        raise
    emit(ctx, report, _human)
    if not report["ok"]:
        if a.skip_errors and not a.dry_run:
            print(f"resourcemap: {len(report['errors'])} 件のエラーの行を除いて取り込みました（上の一覧を確認してください）",
                  file=sys.stderr)
            return 0
        print(f"resourcemap: {len(report['errors'])} 件のエラーがあります（上の一覧を直してください）", file=sys.stderr)
        return 2
    return 0
