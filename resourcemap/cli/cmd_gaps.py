"""``resourcemap gaps``: gap maps, PNGs, GeoPackage/GeoJSON/CSV and the meeting report for one municipality."""
from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser("gaps", parents=[common], help="gap maps and the meeting report for one municipality",
                       description="Where each need has no resource within reach, who could fill it, and a report "
                                   "for the 重層的支援会議. Writes gaps.geojson, gaps.gpkg, gaps.csv, map.html "
                                   "(offline), gap_<category>.png and report.html into --out.")
    p.add_argument("--city", required=True, help="municipality name or code (府中市, 13206)")
    p.add_argument("--category", action="append", default=[],
                   help="category id, label or synonym; repeat or comma-separate (default: the standard set)")
    p.add_argument("--unit", default="chome", choices=["chome", "area", "mesh500", "mesh1km"],
                   help="unit of analysis (default: chome = 町丁目)")
    p.add_argument("--threshold", type=float, default=None, metavar="M",
                   help="walking reach in metres for every category (default: 800, older-people categories 500)")
    p.add_argument("--weights", default=None, metavar="CSV",
                   help="demand weight per 町丁目: a CSV with columns town,weight (e.g. population)")
    p.add_argument("--site", type=int, default=0, metavar="P",
                   help="also suggest P locations per category that cover the most gap demand (greedy MCLP)")
    p.add_argument("--min-precision", default="area", choices=["exact", "address", "chome", "town", "area", "city"],
                   help="coarsest placement a resource may have to count for distances (default: area)")
    p.add_argument("--tiles", default=None, metavar="URL",
                   help="background tile URL template for map.html when used online (default: none, offline)")
    p.add_argument("--tiles-attribution", default="", help="attribution text for --tiles")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the outputs (created)")
    p.add_argument("--raw-unmet", action="store_true",
                   help="show raw unmet-need counts, for an administrator only (default: counts below the "
                        "threshold suppressed, as for every viewer; see docs/matching.md)")
    p.set_defaults(func=run)


def run(ctx) -> int:
    from ..gaps import GapOptions, analyse, write_outputs
    from ..gaps.weights import read_weights
    from ..graph.readmodel import ReadModel
    from ..network.views import (
        gap_report_section,  # the 多機関協働 network section of the report
    )
    from ..opendata import Registry
    from ..opendata.listing import dataset_dates
    from .context import emit

    a = ctx.args
    weights = read_weights(a.weights, a.city) if a.weights else None
    options = GapOptions(categories=tuple(a.category), unit=a.unit, threshold_m=a.threshold, weights=weights,
                         site_p=a.site, min_precision=a.min_precision)
    rm = ReadModel(ctx.store(), follow=False)
    result = analyse(rm, a.city, options, aux_path=ctx.settings.aux_db,
                     unmet_min_count=None if a.raw_unmet else ctx.settings.unmet_min_count,
                     dataset_dates=dataset_dates(Registry(ctx.aux())))
    from ..basemap import landmarks

    tile_layer = ctx.settings.tiles
    tiles = (a.tiles, a.tiles_attribution) if a.tiles else (tile_layer.url, tile_layer.attribution) if tile_layer else None
    files = write_outputs(result, a.out, tiles=tiles, extra_sections=[gap_report_section(rm.graph)],
                          landmarks=landmarks(rm, result.city.code))
    gaps = result.table.groupby("category", sort=False)["gap"].agg(["sum", "size"])
    data = {
        "city": result.city.code, "city_name": result.city.name, "unit": result.units.kind,
        "units": len(result.units), "out": str(a.out),
        "files": {k: ([str(p) for p in v] if isinstance(v, list) else str(v)) for k, v in files.items()},
        "categories": [{"id": c.id, "label": c.label, "threshold_m": c.threshold_m, "measure": c.measure,
                        "resources": len(c.resources), "unlocated": len(c.unlocated),
                        "gap_units": int(gaps.loc[c.id, "sum"]), "status": c.status,
                        "status_label": c.status_label} for c in result.categories],
        "attribution": result.attribution,
    }

    def human(d):
        lines = [f"{d['city_name']}（{d['unit']}、{d['units']} 単位）の空白地図を {d['out']} に書き出しました。",
                 _cols(["分類", "基準", "資源", "未登録", "空白", "  状況"])]
        for c in d["categories"]:
            reach = "担当" if c["measure"] == "coverage" else f"{c['threshold_m']:.0f}m"
            lines.append(_cols([c["label"], reach, c["resources"], c["unlocated"], f"{c['gap_units']}/{d['units']}",
                                "  " + c["status_label"]]))
        lines.append(f"報告書: {d['files']['report']}  地図: {d['files']['map']}")
        lines += d["attribution"]
        return "\n".join(lines)

    emit(ctx, data, human)
    return 0


_WIDTHS = (38, 7, 6, 8, 10, 0)


def _width(text: str) -> int:
    """Display width in a terminal: full-width (East Asian wide) characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cols(values: list) -> str:
    """One table line: the first column left-aligned, the others right-aligned, by display width."""
    out = []
    for k, (v, w) in enumerate(zip(values, _WIDTHS)):
        text = str(v)
        pad = " " * max(0, w - _width(text))
        out.append(text + pad if k == 0 else pad + text)
    return "".join(out)
