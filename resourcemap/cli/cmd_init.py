"""``resourcemap init``: create the catalogue from the seed files and/or any municipality of Japan, with the
open data shipped for them.

``--seed all`` (and ``make run``) builds the five plans *and* loads their shipped open-data extracts
(国土地理院 shelters, the five-city 介護事業所 extract), linked to the plans' nodes
(:func:`resourcemap.opendata.load_seed_open_data`); ``--city`` adds any municipality of Japan from
the national geography; ``--no-open-data`` builds the plans alone; ``--with-open-data`` also imports
the national files shipped in the package for every municipality built
(:func:`resourcemap.opendata.import_open_data_for`).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def register(sub, common) -> None:
    p = sub.add_parser("init", parents=[common], help="create the catalogue from seeds/ or for any municipality",
                       description="Create the catalogue. --seed none creates only the seeded municipalities' "
                                   "geography; --city (repeatable) adds any municipality of Japan by code or name "
                                   "(its 町丁目 and one provisional area per 町/大字), without a plan.")
    p.add_argument("--seed", default=None,
                   help="all | <city name or code> | none (default: all, or no seed when --city is given)")
    p.add_argument("--city", action="append", default=[], metavar="CODE|NAME",
                   help="a municipality of Japan: 5-digit code or name (東京都府中市, 札幌市中央区); repeatable")
    p.add_argument("--force", action="store_true", help="replace an existing catalogue")
    p.add_argument("--no-open-data", action="store_true",
                   help="only the plans: skip the open-data extracts shipped for the seed municipalities")
    p.add_argument("--with-open-data", action="store_true",
                   help="also import the national open data shipped in the package (国土地理院 shelters, MHLW 介護施設) "
                        "for every municipality built")
    p.set_defaults(func=run)


def run(ctx) -> int:
    from ..catalogue import build_catalogue, is_empty
    from ..cities import resolve_city
    from .context import emit

    codes = [resolve_city(c, among=()).code for c in ctx.args.city]  # names must be unique: no catalogue yet
    seed = ctx.args.seed if ctx.args.seed is not None else (None if codes else "all")
    url = ctx.settings.store_url
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
    report = build_catalogue(store, seed, cities=codes)
    summary = {"nodes": report.nodes, "edges": report.edges, "cities": report.cities, "store": url,
               "geography": report.geography}
    if seed != "none" and not ctx.args.no_open_data:
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
    for g in d["geography"]:
        lines.append(f"  {g['name']}({g['code']}): 町丁目 {g['chome']}、区域 {g['areas']}（{g['area_level']}・暫定）")
        if g["unplaced"]:
            lines.append(f"    座標のない町丁目 {len(g['unplaced'])} 件: {'、'.join(g['unplaced'][:10])}")
        if g["outside"]:
            lines.append(f"    境界の外にある町丁目代表点 {len(g['outside'])} 件: {'、'.join(g['outside'][:10])}")
    for code, s in (d.get("open_data") or {}).items():
        lines.append(f"  公開データ {code}: 施設 {s['sites_imported']} 件、住所・位置を得た計画のノード "
                     f"{s['plan_nodes_linked']} 件、確認待ちのリンク提案 {s['links_proposed']} 件、"
                     f"エラーとして報告した行 {s['errors']} 件（resourcemap sources / resourcemap links）")
    return "\n".join(lines)
