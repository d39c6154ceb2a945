"""``resourcemap init``: create the catalogue from the seed files."""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def register(sub, common) -> None:
    p = sub.add_parser("init", parents=[common], help="create the catalogue from seeds/",
                       description="Create the catalogue. --seed none creates only the municipalities' geography.")
    p.add_argument("--seed", default="all", help="all | <city name or code> | none (default: all)")
    p.add_argument("--force", action="store_true", help="replace an existing catalogue")
    p.set_defaults(func=run)


def run(ctx) -> int:
    from ..catalogue import build_catalogue, is_empty
    from .context import emit

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
    report = build_catalogue(store, ctx.args.seed)
    emit(ctx, {"nodes": report.nodes, "edges": report.edges, "cities": report.cities, "store": url},
         lambda d: f"カタログを作成しました: ノード {d['nodes']} 件、エッジ {d['edges']} 件（{', '.join(d['cities'])}）")
    return 0
