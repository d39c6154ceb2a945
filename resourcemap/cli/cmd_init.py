"""``resourcemap init``: create the catalogue from the seed files and the open data shipped with them.

``--seed all`` (and ``make run``) builds the five plans *and* loads their shipped open-data extracts
(国土地理院 shelters, the five-city 介護事業所 extract), linked to the plans' nodes
(:func:`resourcemap.opendata.load_seed_open_data`); ``--no-open-data`` builds the plans alone;
``--with-open-data`` also imports the national files shipped in the package for every municipality
built (:func:`resourcemap.opendata.import_open_data_for`).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def register(sub, common) -> None:
    p = sub.add_parser("init", parents=[common], help="create the catalogue from seeds/",
                       description="Create the catalogue. --seed none creates only the municipalities' geography.")
    p.add_argument("--seed", default="all", help="all | <city name or code> | none (default: all)")
    p.add_argument("--force", action="store_true", help="replace an existing catalogue")
    p.add_argument("--no-open-data", action="store_true",
                   help="only the plans: skip the open-data extracts shipped for the seed municipalities")
    p.add_argument("--with-open-data", action="store_true",
                   help="also import the national open data shipped in the package (国土地理院 shelters, MHLW 介護施設) "
                        "for every municipality built")
    p.set_defaults(func=run)


def run(ctx) -> int:
    from ..catalogue import build_catalogue, is_empty
    from . import emit

    url = ctx.store_url()
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if path.exists():
            if not ctx.args.force:
                raise InputError(f"{path} は既にあります。置き換えるには --force を付けてください。")
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
    store = ctx.store(create=True)
    if not is_empty(store):
        if not ctx.args.force:
            raise InputError("カタログは空ではありません。置き換えるには --force を付けてください。")
        clear = getattr(store, "clear", None)
        if clear is None:
            raise InputError("このストアは --force による置き換えに対応していません。")
        clear()
    from ..opendata import Registry

    registry = Registry(ctx.aux())
    registry.clear()
    report = build_catalogue(store, ctx.args.seed)
    summary = {"nodes": report.nodes, "edges": report.edges, "cities": report.cities, "store": url}
    if ctx.args.seed != "none" and not ctx.args.no_open_data:
        reports = load_seed_open_data_for(store, registry, report.cities, national=ctx.args.with_open_data)
        summary["open_data"] = open_data_summary(store, registry, reports)
    emit(ctx, summary, _human)
    return 0


def load_seed_open_data_for(store, registry, cities: list[str], *, national: bool) -> dict[str, list[dict]]:
    """The shipped extracts of the seed municipalities, then (``national``) the national files for every city."""
    from ..opendata import import_open_data_for, load_seed_open_data

    reports = load_seed_open_data(store, registry, cities)
    if national:
        for code in cities:
            reports.setdefault(code, []).extend(import_open_data_for(store, code, registry=registry))
    return reports


def open_data_summary(store, registry, reports: dict[str, list[dict]]) -> dict[str, dict[str, int]]:
    """Per city: sites imported, plan nodes linked to a site, links waiting for review, rows reported with errors."""
    from ..opendata import figures

    counts = figures(store, registry, sorted(reports))
    return {code: {**counts[code], "errors": sum(len(r["errors"]) for r in items)} for code, items in reports.items()}


def _human(d: dict) -> str:
    lines = [f"カタログを作成しました: ノード {d['nodes']} 件、エッジ {d['edges']} 件（{', '.join(d['cities'])}）"]
    for code, s in (d.get("open_data") or {}).items():
        lines.append(f"  公開データ {code}: 施設 {s['sites_imported']} 件、住所・位置を得た計画のノード "
                     f"{s['plan_nodes_linked']} 件、確認待ちのリンク提案 {s['links_proposed']} 件、"
                     f"エラーとして報告した行 {s['errors']} 件（resourcemap sources / resourcemap links）")
    return "\n".join(lines)
