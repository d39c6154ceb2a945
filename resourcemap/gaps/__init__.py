"""Gap maps for 社会資源開発: where each need has no resource within reach, who could fill it.

Entry points: :func:`analyse` (a :class:`GapResult` for one municipality) and
:func:`write_outputs` (GeoJSON, GeoPackage, CSV, the offline HTML map, one PNG per category
and the meeting report, into one folder). Modules: :mod:`.units` (町丁目, areas, JIS mesh),
:mod:`.measures` (pure distance/count/share/E2SFCA functions), :mod:`.profile` (categories,
thresholds, eligibility), :mod:`.candidates` and :mod:`.siting` (who could fill a gap),
:mod:`.unmet` (the matcher's counters), and the renderers :mod:`.export`, :mod:`.mapview`,
:mod:`.png`, :mod:`.report`. See ``docs/gaps.md``.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .analysis import GapOptions, GapResult, analyse, area_set

__all__ = ["GapOptions", "GapResult", "analyse", "area_set", "write_outputs"]


def write_outputs(result: GapResult, out_dir: str | Path, *, tiles: tuple[str, str] | None = None,
                  extra_sections: Iterable = (), landmarks: list | None = None) -> dict[str, object]:
    """Write every output for *result* into *out_dir* (created); returns ``{name: path or [paths]}``.

    Files: ``gaps.geojson``, ``gaps.gpkg`` (layers gaps/resources/candidates), ``gaps.csv``,
    ``map.html`` (offline), ``gap_<category>.png`` and ``report.html``.
    """
    from .export import write_csv, write_geojson, write_gpkg
    from .mapview import write_map
    from .png import write_pngs
    from .report import write_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pngs = write_pngs(result, out)
    return {
        "geojson": write_geojson(result, out / "gaps.geojson"),
        "gpkg": write_gpkg(result, out / "gaps.gpkg"),
        "csv": write_csv(result, out / "gaps.csv"),
        "map": write_map(result, out / "map.html", tiles=tiles, landmarks=landmarks),
        "png": pngs,
        "report": write_report(result, out / "report.html", extra_sections=extra_sections,
                               figures=[p.name for p in pngs]),
    }
