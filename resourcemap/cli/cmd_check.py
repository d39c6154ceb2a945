"""``resourcemap check``: list stored records that today's field rules would not accept.

Why a command: a catalogue written before :mod:`resourcemap.fieldrules` may hold values the
rules now refuse. They are still read (pages and exports keep working; an HSDS export leaves
such a resource out and says so), but whoever edits the record next must fix them first. This
lists them per record and field so they can be fixed in one pass; it writes nothing.
"""
from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser("check", parents=[common], help="list stored records that break the field rules",
                       description="Read every node and edge (deleted ones too) and list, per record and field, the "
                                   "values today's rules refuse (length, control characters, email/phone/URL format, "
                                   "list sizes). Writes nothing. Exit status 0 when every record passes, 1 when some "
                                   "break a rule.")
    p.add_argument("--notes", action="store_true",
                   help="also list valid values that the next update will rewrite in canonical form "
                        "(e.g. a phone number without hyphens)")
    p.set_defaults(func=run)


def _human(d: dict) -> str:
    if not d["items"]:
        return f"規則に合わない値はありません（ノード・エッジ {d['records']:,} 件を確認）。"
    lines = [f"規則に合わない値: {d['errors']} 件（{d['broken']} レコード）" +
             (f"、正規化される値: {d['notes']} 件" if d["notes"] else "")]
    for p in d["items"]:
        tag = "エラー" if p["severity"] == "error" else "注意  "
        gone = "（削除済み）" if p["deleted"] else ""
        lines.append(f"  {tag} {p['entity']} {p['id']}{gone} {p['name']} [{p['field']}] {p['message']}  値: {p['value']}")
    lines.append("直し方: PATCH /v1/nodes/{id} で値を直すか、CSV を書き出して直し、取り込み直してください。")
    return "\n".join(lines)


def run(ctx) -> int:
    from ..catalogue import rule_breaks
    from .context import emit

    found = rule_breaks(ctx.store())
    items = [p for p in found.items if ctx.args.notes or p["severity"] == "error"]
    errors = [p for p in items if p["severity"] == "error"]
    data = {"records": found.records, "errors": len(errors), "broken": len({(p["entity"], p["id"]) for p in errors}),
            "notes": len(items) - len(errors), "items": items}
    emit(ctx, data, _human)
    return 1 if errors else 0
