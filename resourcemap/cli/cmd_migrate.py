"""``resourcemap migrate --from <store url> --to <store url>``: copy a catalogue between stores.

Copies nodes, edges, versions, timestamps and the whole change log into an EMPTY target and
reads it back to check that both stores hold the same catalogue (``resourcemap.graph.migrate``).
"""
from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser(
        "migrate", parents=[common], help="copy a catalogue between stores (SQLite ⇄ Bolt)",
        description="Copy the whole catalogue — nodes, edges, versions and change log — from one store to an "
                    "empty one, e.g. --from sqlite:///data/resourcemap.db --to bolt://localhost:7687. "
                    "Bolt credentials come from RESOURCEMAP_BOLT_USER / RESOURCEMAP_BOLT_PASSWORD.")
    p.add_argument("--from", dest="source", required=True, help="source store URL or catalogue file")
    p.add_argument("--to", dest="target", required=True, help="target store URL or catalogue file (must be empty)")
    p.set_defaults(func=run)


def run(ctx) -> int:
    from dataclasses import asdict

    from ..config import normalise_store_url
    from ..errors import InputError
    from ..graph.migrate import copy_catalogue
    from ..graph.stores import open_store
    from .context import emit

    source_url, target_url = normalise_store_url(ctx.args.source), normalise_store_url(ctx.args.target)
    if source_url == target_url:
        raise InputError("--from と --to が同じストアです。別のストアを指定してください。")
    source = open_store(source_url, settings=ctx.settings, create=False)
    try:
        target = open_store(target_url, settings=ctx.settings, create=True)
        try:
            report = copy_catalogue(source, target)
        finally:
            target.close()
    finally:
        source.close()
    emit(ctx, asdict(report),
         lambda d: f"移行しました: {d['source']} → {d['target']}（ノード {d['nodes']} 件、エッジ {d['edges']} 件、"
                   f"変更履歴 {d['changes']} 件、版 {d['revision']}、照合 {'一致' if d['verified'] else '未実施'}）")
    return 0
