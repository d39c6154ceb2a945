"""``resourcemap init``: create the catalogue from the seed files and/or any municipality of Japan."""
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
    p.set_defaults(func=run)


def _human(d: dict) -> str:
    lines = [f"カタログを作成しました: ノード {d['nodes']} 件、エッジ {d['edges']} 件（{', '.join(d['cities'])}）"]
    for g in d["geography"]:
        lines.append(f"  {g['name']}({g['code']}): 町丁目 {g['chome']}、区域 {g['areas']}（{g['area_level']}・暫定）")
        if g["unplaced"]:
            lines.append(f"    座標のない町丁目 {len(g['unplaced'])} 件: {'、'.join(g['unplaced'][:10])}")
        if g["outside"]:
            lines.append(f"    境界の外にある町丁目代表点 {len(g['outside'])} 件: {'、'.join(g['outside'][:10])}")
    return "\n".join(lines)


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
    report = build_catalogue(store, seed, cities=codes)
    emit(ctx, {"nodes": report.nodes, "edges": report.edges, "cities": report.cities, "store": url,
               "geography": report.geography}, _human)
    return 0
