"""``resourcemap network``: the agency network of one municipality as an HTML view, tables and JSON."""
from __future__ import annotations

from typing import Any


def register(sub, common) -> None:
    p = sub.add_parser(
        "network", parents=[common], help="agency network views: HTML, CSV/JSON tables (多機関協働)",
        description="Write the municipality's agency network (who works with whom, silos, single points of "
                    "failure, coverage holes, referral chains) into DIR: network.html (works offline), "
                    "network.json and one CSV per analysis. See docs/network.md.")
    p.add_argument("--city", required=True, help="municipality name or code (e.g. 府中市, 13206)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument("--level", help="area level for the coverage matrix (default: the municipality's primary "
                                   "level, e.g. 福祉エリア)")
    p.set_defaults(func=run)


def _human(d: dict[str, Any]) -> str:
    s = d["summary"]
    lines = [
        f"{d['city']}: 組織・事業 {s['nodes']} 件、組み合わせ {s['edges']} 組、まとまり {s['components']} 個"
        f"（最大 {s['largest_component']} 件、孤立 {s['isolated']} 件）",
        f"関節点 {s['articulation_points']} 件（分野を分断するもの {s['bunya_separators']} 件）",
        f"コーディネーター {s['coordinators']} 件、担当のいない区域 {s['uncovered_areas']} / {s['areas']}"
        + (f"（{'、'.join(d['uncovered_areas'])}）" if d["uncovered_areas"] else ""),
        f"空白のセル: 区域×分野 {s['coverage_holes']['bunya']}、区域×柱 {s['coverage_holes']['pillar']}",
        "書き出したファイル:",
        *(f"  {f}" for f in d["files"]),
    ]
    return "\n".join(lines)


def run(ctx) -> int:
    from ..graph.readmodel import ReadModel
    from ..network.views import write_network
    from .context import emit

    a = ctx.args
    rm = ReadModel(ctx.store(), follow=False)
    data, files = write_network(rm.graph, a.city, a.out, level=a.level)
    emit(ctx, {"city": data["city"]["name"], "code": data["city"]["code"], "level": data["level"],
               "out": str(a.out), "files": [str(f) for f in files], "summary": data["metrics"]["summary"],
               "uncovered_areas": [x["name"] for x in data["metrics"]["uncovered_areas"]]},
         _human)
    return 0
