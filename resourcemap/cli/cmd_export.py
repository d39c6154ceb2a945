"""``resourcemap export --format geojson|gpkg|csv|hsds --out FILE``."""
from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser("export", parents=[common], help="export the catalogue (GeoJSON, GeoPackage, CSV, HSDS 3.0)",
                       description="Export live nodes as GeoJSON / GeoPackage (layer 'nodes', EPSG:4326) / CSV "
                                   "(Japanese headers, UTF-8 with BOM) or resources as HSDS 3.0 service JSON.",
                       epilog="Stored records never make the export fail: an HSDS export leaves out a resource "
                              "that would not validate against HSDS 3.0, lists it on stderr and still exits 0 with "
                              "the rest written (`resourcemap check` lists every record that breaks the field rules).")
    p.add_argument("--format", required=True, choices=["geojson", "gpkg", "csv", "hsds"])
    p.add_argument("--out", required=True, help="output file")
    p.add_argument("--city", help="only this municipality (name or code)")
    p.add_argument("--kind", help="only this node kind (not for hsds)")
    p.set_defaults(func=run)


def run(ctx) -> int:
    import sys

    from ..io import write_export
    from ..opendata import Registry
    from ..opendata.listing import dataset_dates
    from .context import emit

    a = ctx.args
    result = write_export(ctx.store(), a.format, a.out, city=a.city, kind=a.kind,
                          dataset_dates=dataset_dates(Registry(ctx.aux())))
    data = {"format": a.format, "out": a.out, "bytes": len(result.data), "skipped": result.skipped}
    emit(ctx, data, lambda d: f"{d['out']} に書き出しました（{d['bytes']:,} バイト）")
    if result.skipped:
        ids = list(dict.fromkeys(p["id"] for p in result.skipped))
        print(f"resourcemap: {len(ids)} 件は HSDS 3.0 に合わない値を持つため書き出していません"
              "（`resourcemap check` で一覧し、直してから書き出し直してください）:", file=sys.stderr)
        for p in result.skipped:
            print(f"  {p['id']} {p['name']} [{p['field']}] {p['message']}", file=sys.stderr)
    return 0
