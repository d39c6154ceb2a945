"""``resourcemap nodes``: list catalogue nodes with filters."""
from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser("nodes", parents=[common], help="list nodes")
    p.add_argument("--city", help="municipality name or code")
    p.add_argument("--kind", help="agency, hub, place, subsidy_group, coordinator, area, program, department, …")
    p.add_argument("--category", help="category id, label or synonym (includes sub-categories)")
    p.add_argument("--area", help="area id")
    p.set_defaults(func=run)


def run(ctx) -> int:
    from ..queries import list_nodes
    from .context import emit

    a = ctx.args
    nodes = list_nodes(ctx.store(), city=a.city, kind=a.kind, category=a.category, area=a.area)
    data = [n.public_dict() for n in nodes]

    def table(rows):
        lines = [f"{'種別':<14}{'名称':<36}{'精度':<8}{'分類'}"]
        for r in rows:
            lines.append(f"{r['kind']:<14}{r['name'][:34]:<36}{r['location_precision']:<8}{','.join(r['categories'])}")
        lines.append(f"（{len(rows)} 件）")
        return "\n".join(lines)

    emit(ctx, data, table)
    return 0
