"""``resourcemap export --format geojson|gpkg|csv|hsds --out FILE``."""
from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser("export", parents=[common], help="export the catalogue (GeoJSON, GeoPackage, CSV, HSDS 3.0)",
                       description="Export live nodes as GeoJSON / GeoPackage (layer 'nodes', EPSG:4326) / CSV "
                                   "(Japanese headers, UTF-8 with BOM) or resources as HSDS 3.0 service JSON.")
    p.add_argument("--format", required=True, choices=["geojson", "gpkg", "csv", "hsds"])
    p.add_argument("--out", required=True, help="output file")
    p.add_argument("--city", help="only this municipality (name or code)")
    p.add_argument("--kind", help="only this node kind (not for hsds)")
    p.set_defaults(func=run)


def run(ctx) -> int:
    from ..io import write_export
    from .context import emit

    a = ctx.args
    size = write_export(ctx.store(), a.format, a.out, city=a.city, kind=a.kind)
    emit(ctx, {"format": a.format, "out": a.out, "bytes": size}, lambda d: f"{d['out']} に書き出しました（{d['bytes']:,} バイト）")
    return 0
