"""A static PNG per category, for the printed report and for slides.

Why the object API (``Figure`` + Agg canvas) and not ``pyplot``: no global state, no GUI
backend, safe in a server thread. Japanese labels need a Japanese font: the IPAex Gothic
shipped by ``matplotlib-fontja`` (IPA Font License) is registered locally, without changing
matplotlib's global settings; without it the titles fall back to DejaVu (tofu for kana).
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..geo import boundary
from .analysis import GapResult
from .export import status_of
from .mapview import STATUS_STYLE

__all__ = ["write_pngs", "japanese_font"]


@lru_cache(maxsize=1)
def japanese_font() -> font_manager.FontProperties | None:
    """IPAex Gothic from ``matplotlib-fontja`` when installed (else None: default font)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "fonts" / "ipaexg.ttf"
    if not path.exists():
        return None
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


def _rings(geom: shapely.Geometry) -> list[np.ndarray]:
    """Exterior rings of a (multi)polygon as (n, 2) lng/lat arrays."""
    polys = getattr(geom, "geoms", [geom])
    return [np.asarray(p.exterior.coords) for p in polys if p.geom_type == "Polygon" and not p.is_empty]


class _Canvas:
    """One figure with what every category shares (unit polygons, city outline, axes, legend font);
    each category only recolours the polygons, moves the markers and changes the texts. Building
    the axes and the polygon collection once instead of per image halves the time of a city's PNGs."""

    def __init__(self, result: GapResult, dpi: int) -> None:
        self.result, self.dpi = result, dpi
        self.font = japanese_font()
        self.fkw: dict[str, Any] = {"fontproperties": self.font} if self.font is not None else {}
        self.fig = Figure(figsize=(7.2, 6.4), dpi=dpi)
        FigureCanvasAgg(self.fig)
        ax = self.fig.add_axes((0.02, 0.11, 0.96, 0.80))
        self.ring_unit: list[int] = []
        verts = []
        for u, geom in enumerate(result.units.frame.geometry):
            for ring in _rings(geom):
                verts.append(ring)
                self.ring_unit.append(u)
        self.polys = PolyCollection(verts, edgecolors="#666666", linewidths=0.3, alpha=0.75)
        ax.add_collection(self.polys)
        for ring in _rings(boundary(result.city.code)):
            ax.plot(ring[:, 0], ring[:, 1], color="#222222", linewidth=1.2)
        empty = np.empty((0, 2))
        self.res = ax.scatter(empty[:, 0], empty[:, 1], s=28, c="#2171b5", edgecolors="#08306b", zorder=3)
        self.cand = ax.scatter(empty[:, 0], empty[:, 1], s=46, facecolors="white", edgecolors="#e66101",
                               linewidths=2, zorder=4)
        minx, miny, maxx, maxy = boundary(result.city.code).bounds
        ax.set_xlim(minx - 0.003, maxx + 0.003)
        ax.set_ylim(miny - 0.003, maxy + 0.003)
        ax.set_aspect(1 / np.cos(np.radians((miny + maxy) / 2)))
        ax.set_axis_off()
        # figure texts, not an axes title: no tight-bbox layout pass per image
        self.title = self.fig.text(0.5, 0.95, "", fontsize=11, ha="center", **self.fkw)
        self.note = self.fig.text(0.5, 0.915, "", fontsize=8, ha="center", color="#444444", **self.fkw)
        self.legend: Legend | None = None

    def draw(self, k: int, path: Path) -> Path:
        """Draw category *k*: units by status, the city outline, counted resources and candidates."""
        result, info = self.result, self.result.categories[k]
        n = len(result.units)
        statuses = [status_of(r) for r in result.table.iloc[k * n:(k + 1) * n].to_dict("records")]
        self.polys.set_facecolor([STATUS_STYLE[statuses[u]][1] for u in self.ring_unit])
        res = [(r.lng, r.lat) for r in info.resources if r.located]
        self.res.set_offsets(np.array(res).reshape(-1, 2))
        cand = {c.id: (c.lng, c.lat) for (_, cid), lst in result.candidates.items() if cid == info.id for c in lst
                if c.lat is not None and c.basis != "coordinator"}
        self.cand.set_offsets(np.array(list(cand.values())).reshape(-1, 2))
        gaps = sum(s != "covered" for s in statuses)
        how = "担当コーディネーターの有無" if info.measure == "coverage" else f"徒歩圏 {info.threshold_m:.0f} m"
        self.title.set_text(f"{result.city.name}：{info.label}（{how}）— 空白 {gaps}/{n}")
        self.note.set_text(f"所在地が市全域としか分からず数えていない資源 {len(info.unlocated)} 件"
                           if info.unlocated else "")
        handles: list[Artist] = [Patch(facecolor=v[1], edgecolor="#666666", label=v[2]) for s_, v in STATUS_STYLE.items()
                   if s_ in statuses]
        handles += [Line2D([], [], marker="o", linestyle="", markerfacecolor="#2171b5", markeredgecolor="#08306b",
                           label="数えた資源"),
                    Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="#e66101",
                           markeredgewidth=2, label="開発候補")]
        if self.legend is not None:
            self.legend.remove()
        prop = self.font.copy() if self.font is not None else font_manager.FontProperties()
        prop.set_size(8)
        self.legend = self.fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, prop=prop)
        self.fig.savefig(path, dpi=self.dpi, pil_kwargs={"compress_level": 3})
        return path


def write_pngs(result: GapResult, out_dir: str | Path, *, dpi: int = 100) -> list[Path]:
    """One ``gap_<category>.png`` per category in *out_dir*."""
    out = Path(out_dir)
    canvas = _Canvas(result, dpi)
    return [canvas.draw(k, out / f"gap_{info.id}.png") for k, info in enumerate(result.categories)]
