"""``resourcemap unmet``: the aggregated unmet-need counters (for 社会資源開発 and the gap maps)."""
from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser("unmet", parents=[common], help="aggregated unmet-need counts",
                       description="Needs that found no eligible resource in range, counted by municipality, "
                                   "町丁目/area, category, 10-year age band and month (nothing else is kept).")
    p.add_argument("--city", required=True, help="municipality name or code")
    p.add_argument("--month", help="only this month (YYYY-MM)")
    p.add_argument("--raw", action="store_true",
                   help="raw counts, for an administrator only (default: counts below the threshold, "
                        "$RESOURCEMAP_UNMET_MIN_COUNT or 3, shown as 「3未満」 and totals as ranges; see docs/matching.md)")
    p.set_defaults(func=run)


def open_unmet_log(ctx):
    """The unmet log in the auxiliary tables beside the catalogue (as the API opens it)."""
    from ..auxdb import AuxDB
    from ..match.unmet import UnmetLog

    return UnmetLog(AuxDB(ctx.settings.aux_db))


def run(ctx) -> int:
    from ..cities import resolve_city
    from ..match.disclosure import Tally, publish_rows
    from ..taxonomy import load_taxonomy
    from .context import emit

    city = resolve_city(ctx.args.city)
    log = open_unmet_log(ctx)
    try:
        rows = log.counts(city.code, ctx.args.month)
    finally:
        log.aux.close()
    threshold = None if ctx.args.raw else ctx.settings.unmet_min_count
    if threshold is not None:
        rows = publish_rows(rows, threshold)
    tax = load_taxonomy()

    def table(rows: list[dict]) -> str:
        if not rows:
            return f"{city.name}: 満たされなかったニーズの記録はありません。"
        lines = [f"{city.name}の満たされなかったニーズ（件数の多い順）",
                 f"{'月':<9}{'分類':<28}{'年齢層':<8}{'町丁目':<14}{'エリア':<28}{'件数':>4}"]
        for r in rows:
            label = tax.get(r["category"]).label if r["category"] in tax else r["category"]
            lines.append(f"{r['month']:<9}{label[:26]:<28}{r['age_band']:<8}{(r['chome'] or '—')[:12]:<14}"
                         f"{(r['area_id'] or '—')[:26]:<28}{r.get('label', r['count']):>4}")
        total = Tally.of(r["count"] for r in rows)
        lines.append(f"（合計 {total.label(threshold) if threshold else total.exact} 件）")
        return "\n".join(lines)

    emit(ctx, rows, table)
    return 0
