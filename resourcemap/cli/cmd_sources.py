"""``resourcemap sources``: the public datasets in the catalogue — publisher, date, licence, credit, rows."""
from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser("sources", parents=[common], help="list the imported open datasets with licence and credit",
                       description="Each dataset imported into the catalogue: name, publisher, date of the data, "
                                   "licence, the attribution text to show, and how many sites carry its ids.")
    p.set_defaults(func=run)


def _human(items: list[dict]) -> str:
    if not items:
        return "取り込んだ公開データはありません（resourcemap import --format … で取り込めます）。"
    lines = []
    for d in items:
        basis = "" if d["date_basis"] == "publisher" else "（取り込み日）"
        lines.append(f"{d['dataset']}: {d['name']} — {d['publisher']}、{d['date'] or '日付不明'}{basis}、"
                     f"施設 {d['rows']} 件" + (f"（休止 {d['inactive']} 件）" if d["inactive"] else ""))
        lines.append(f"    利用規約: {d['licence']}")
        lines.append(f"    表示: {d['attribution']}")
    return "\n".join(lines)


def run(ctx) -> int:
    from ..opendata import Registry, sources
    from .context import emit

    emit(ctx, sources(ctx.store(), Registry(ctx.aux())), _human)
    return 0
