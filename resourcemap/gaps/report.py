"""The meeting report: a printable HTML page per municipality for the 重層的支援会議.

Why HTML (not PDF): it opens anywhere, prints to A4 from any browser (print CSS below), and
can be pasted into the 会議資料. It answers the meeting's three questions in order — where
needs have nothing within reach (area × category table), what could fill the worst gaps
(top gaps with development candidates), and how sure we are (unmet counts from the matcher,
resources whose place is not registered, data freshness).

Other analyses add pages through ``extra_sections``: pass :class:`~resourcemap.render.Section`
objects or callables ``fn(result) -> Section | None`` to :func:`render_report`, or register a
callable once with :func:`register_section` (the network analysis of 多機関協働 plugs in here).

The page is the template ``templates/gap_report.html`` (autoescaped, :mod:`resourcemap.render`):
this module computes the rows, the template writes the HTML.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..labels import jst
from ..match.disclosure import Tally
from ..render import Section, render
from ..taxonomy import load_taxonomy
from .analysis import GapResult, unmet_tally
from .candidates import Candidate
from .export import status_of
from .mapview import UNIT_LABELS

__all__ = ["Section", "SECTION_HOOKS", "register_section", "area_summary", "top_gaps", "category_candidates",
           "render_report", "write_report"]


SectionSource = Section | Callable[[GapResult], "Section | None"]
#: Callables run for every report (after the built-in sections), in registration order.
SECTION_HOOKS: list[Callable[[GapResult], Section | None]] = []


def register_section(fn: Callable[[GapResult], Section | None]) -> Callable[[GapResult], Section | None]:
    """Add *fn* to :data:`SECTION_HOOKS` (usable as a decorator); registering twice is a no-op."""
    if fn not in SECTION_HOOKS:
        SECTION_HOOKS.append(fn)
    return fn


def area_summary(result: GapResult) -> pd.DataFrame:
    """Share of demand within reach per area (rows, by area name; last row 市全体) × category (columns)."""
    t = result.chome_table
    w = t["demand"].where(t["demand"] > 0, 1.0)
    t = t.assign(_w=w, _cov=w * t["share_covered"].fillna(0.0))
    names = result.areas.names
    rows = {}
    for aid in names:
        sub = t[t["area_id"] == aid]
        if len(sub):
            g = sub.groupby("category", sort=False)
            rows[names[aid]] = g["_cov"].sum() / g["_w"].sum()
    g = t.groupby("category", sort=False)
    rows["市全体"] = g["_cov"].sum() / g["_w"].sum()
    order = [c.id for c in result.categories]
    return pd.DataFrame(rows).T.reindex(columns=order)


def top_gaps(result: GapResult, n: int = 12, per_category: int = 2) -> pd.DataFrame:
    """The gap rows to discuss first: most unmet needs, then most demand, then those with a site
    candidate, then the farthest from any resource. Each unit appears once and each category at
    most *per_category* times, so the list spreads over places and needs."""
    t = result.table[result.table["gap"]].copy()
    if t.empty:
        return t
    t["has_site"] = [any(c.basis != "coordinator" for c in result.candidates.get((u, c_), []))
                     for u, c_ in zip(t["unit_id"], t["category"])]
    t["far"] = t["nearest_m"].fillna(np.inf)
    t = t.sort_values(["unmet", "demand", "has_site", "far", "unit_id"], ascending=[False, False, False, False, True],
                      kind="stable")
    picked, units = [], set()
    per_cat: dict[str, int] = {}
    for idx, r in zip(t.index, t.to_dict("records")):
        if r["unit_id"] in units or per_cat.get(r["category"], 0) >= per_category:
            continue
        picked.append(idx)
        units.add(r["unit_id"])
        per_cat[r["category"]] = per_cat.get(r["category"], 0) + 1
        if len(picked) >= n:
            break
    return t.loc[picked]


def category_candidates(result: GapResult, category: str) -> list[tuple[Candidate, int]]:
    """Candidates of one category over all its gap units, with how many gap units each could serve;
    operator-based first, then by that number."""
    seen: dict[str, tuple[Candidate, int]] = {}
    for (_, cid), cands in result.candidates.items():
        if cid != category:
            continue
        for c in cands:
            prev = seen.get(c.id)
            seen[c.id] = (prev[0] if prev else c, (prev[1] if prev else 0) + 1)
    return sorted(seen.values(), key=lambda t: ({"operator": 0, "program": 1}.get(t[0].basis, 2), -t[1], t[0].id))


def _pct(v: float) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{round(100 * v)}%"


def _cell_colour(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "#eeeeee"
    if v <= 0:
        return "#f4a582"
    if v < 0.5:
        return "#fddbc7"
    if v < 0.9:
        return "#d9f0d3"
    return "#a6dba0"


def _share(v: float) -> dict[str, str]:
    return {"pct": _pct(v), "colour": _cell_colour(v)}


def _category_label(result: GapResult, category: str) -> str:
    """A category's Japanese label (the analysed ones first, then the taxonomy's)."""
    labels = {info.id: info.label for info in result.categories}
    tax = load_taxonomy()
    return labels.get(category) or (tax.get(category).label if category in tax else category)


def _cases(count: str) -> str:
    """「7」 → 「7件」, 「3未満」 → 「3件未満」, 「6〜7」 → 「6〜7件」."""
    return f"{count[:-2]}件未満" if count.endswith("未満") else f"{count}件"


def _unmet_by_category(result: GapResult) -> dict[str, Tally]:
    """Unmet-need counts per category (of the published counters: suppressed ones stay ranges)."""
    tot: dict[str, Tally] = {}
    for u in result.unmet:
        tot[u.category] = tot.get(u.category, Tally()).add(u.count)
    return tot


def _unmet_of(frame: pd.DataFrame) -> Tally:
    """The unmet figure of some table rows (summed as :func:`~resourcemap.gaps.analysis.unmet_tally` reads one)."""
    return unmet_tally({"unmet": frame["unmet"].sum(), "unmet_hidden": frame["unmet_hidden"].sum()})


def _findings(result: GapResult) -> list[dict[str, str]]:
    """The points to read first, each ``{"strong": …, "text": …}`` (the strong part shown in bold)."""
    out: list[dict[str, str]] = []
    t = result.chome_table
    for info in result.categories:
        sub = t[t["category"] == info.id]
        n_gap, n = int(sub["gap"].sum()), len(sub)
        if info.measure == "coverage":
            if n_gap == n:
                out.append({"strong": f"{info.label}：担当するコーディネーターが登録されていません",
                            "text": f"（全{n}町丁目が空白）。配置・養成の検討が必要です。"})
            elif n_gap:
                out.append({"strong": "", "text": f"{info.label}：{n_gap}/{n} 町丁目に担当コーディネーターがいません。"})
            else:
                out.append({"strong": "", "text": f"{info.label}：全町丁目に担当コーディネーターがいます"
                                                  f"（{len(info.resources)} 人・組織）。"})
    for status, text in (("not_registered", "空白はあるが、所在地が未登録の事業がある分類（「ない」のではなく「登録されていない」"
                                            "可能性。施設の所在地を登録してから判断してください）："),
                         ("no_site_within_reach", "登録済みの施設が徒歩圏に届かない町丁目がある分類（所在地未登録の事業なし）：")):
        labels = [i.label for i in result.categories if i.measure == "distance" and i.status == status]
        if labels:
            out.append({"strong": "", "text": text + "、".join(labels) + "。"})
    none_at_all = [i.label for i in result.categories
                   if i.measure == "distance" and not i.resources and not i.unlocated]
    if none_at_all:
        out.append({"strong": "", "text": "市内に資源が登録されていない分類：" + "、".join(none_at_all) + "。"})
    unl = [f"{i.label}（{len(i.unlocated)}件）" for i in result.categories if i.unlocated]
    if unl:
        out.append({"strong": "", "text": "所在地が市全域としか分からず到達範囲を測れない資源：" + "、".join(unl)
                    + "。所在地（町丁目）を登録すると空白の判定が正確になります。"})
    if result.unmet:
        best = sorted(_unmet_by_category(result).items(), key=lambda kv: (-kv[1].low, kv[0]))[:3]
        out.append({"strong": "", "text": "未充足として記録された相談が多い分類："
                                          + "、".join(f"{_category_label(result, c)}（{_cases(result.unmet_label(k))}）"
                                                     for c, k in best) + "。"})
    return out


def _category_rows(result: GapResult, summary: pd.DataFrame) -> list[dict]:
    t = result.chome_table
    city_share = summary.loc["市全体"]  # the share of the whole city's demand within reach, per category
    unmet_tot = _unmet_by_category(result)
    rows = []
    for info in result.categories:
        sub = t[t["category"] == info.id]
        wanted = load_taxonomy().descendants(info.id)
        rows.append({"label": info.label, "id": info.id, "status": info.status_label,
                     "reach": "担当エリア" if info.measure == "coverage" else f"{info.threshold_m:.0f} m",
                     "resources": len(info.resources), "unlocated": len(info.unlocated),
                     "share": _share(float(city_share[info.id])), "gaps": f"{int(sub['gap'].sum())}/{len(sub)}",
                     "unmet": result.unmet_label(sum((k for c, k in unmet_tot.items() if c in wanted), Tally()))})
    return rows


def _area_rows(result: GapResult, s: pd.DataFrame) -> list[dict]:
    """The area × category matrix of *s* (:func:`area_summary` of *result*)."""
    return [{"name": name, "shares": [_share(row[c.id]) for c in result.categories]} for name, row in s.iterrows()]


def _worst_areas(s: pd.DataFrame, category: str, k: int = 3) -> str:
    if category not in s.columns:
        return ""
    col = s[category].drop(index="市全体", errors="ignore").dropna().sort_values()
    return "、".join(f"{a} {_pct(v)}" for a, v in col.head(k).items())


def _category_gap_rows(result: GapResult, summary: pd.DataFrame) -> list[dict]:
    rows = []
    t = result.chome_table
    for info in result.categories:
        sub = t[t["category"] == info.id]
        n_gap = int(sub["gap"].sum())
        if not n_gap:
            continue
        cands = category_candidates(result, info.id)
        rows.append({
            "label": info.label, "unlocated": len(info.unlocated), "gaps": f"{n_gap}/{len(sub)}",
            "worst_areas": _worst_areas(summary, info.id), "unmet": result.unmet_label(_unmet_of(sub)),
            "sites": [{"name": c.name, "reason": c.reason, "units": k, "contact": c.contact}
                      for c, k in cands if c.basis != "coordinator"][:4],
            "coordinators": "、".join([c.name for c, _ in cands if c.basis == "coordinator"][:3]),
        })
    return rows


_STATUS_TEXT = {"gap": "資源なし", "gap_unlocated": "所在地未登録の資源のみ", "low_access": "アクセス下位"}


def _gap_rows(result: GapResult) -> list[dict]:
    t = top_gaps(result)
    rows = []
    for k, r in enumerate(t.to_dict("records"), 1):
        cands = result.candidates.get((r["unit_id"], r["category"]), [])
        near = "5 km 圏内になし" if r["nearest_m"] is None or math.isnan(r["nearest_m"]) else f"{round(r['nearest_m'])} m"
        rows.append({
            "rank": k, "category": r["category_label"], "unit": r["unit_name"], "area": r.get("area_name") or "",
            "status": _STATUS_TEXT[status_of(r)], "nearest": "担当者なし" if r["measure"] == "coverage" else near,
            "unmet": result.unmet_label(unmet_tally(r)),
            "candidates": [{"name": c.name, "reason": c.reason,
                            "distance": round(c.distance_m) if c.distance_m is not None else None} for c in cands],
        })
    return rows


def _unmet_rows(result: GapResult) -> list[dict]:
    """Unmet counts per (category, place), of the published counters (suppressed ones stay 「3未満」 or ranges)."""
    agg: dict[tuple[str, str], Tally] = {}
    for u in result.unmet:
        place = u.chome or result.areas.names.get(u.area_id or "", u.area_id or "市全域")
        agg[(u.category, place)] = agg.get((u.category, place), Tally()).add(u.count)
    return [{"category": _category_label(result, c), "place": p, "count": result.unmet_label(k)}
            for (c, p), k in sorted(agg.items(), key=lambda kv: (-kv[1].low, kv[0]))]


def _siting_rows(result: GapResult) -> list[dict]:
    return [{"category": info.label, "rank": s["rank"], "name": s["name"], "demand": s["covered_demand"],
             "chome": "、".join(s["covered_chome"][:8]), "more": len(s["covered_chome"]) > 8}
            for info in result.categories for s in info.siting]


def _freshness(result: GapResult) -> list[tuple[str, object]]:
    f = result.freshness
    return [
        ("作成日時", result.generated_at.isoformat()), ("カタログの版（revision）", f["revision"]),
        ("この市の登録ノード数", f["nodes"]), ("最終更新", f["updated_max"] or "—"), ("最古の更新", f["updated_min"] or "—"),
        ("確認日（verified_at）のあるノード", f"{f['verified']}（最古 {f['verified_oldest'] or '—'}）"),
        ("出典資料", "、".join(f["documents"]) or "—"),
        ("未充足記録の期間", "〜".join(f["unmet_months"]) if f["unmet_months"] else "記録なし"),
        ("位置の扱い", f"{result.options.min_precision} 精度以上で置かれた資源だけ距離を測る"),
        ("公開データの出典", "／".join(result.attribution) or "なし"),
    ]


def render_report(result: GapResult, *, extra_sections: Iterable[SectionSource] = (),
                  figures: Iterable[str] = (), page: dict | None = None) -> str:
    """The report as an HTML string. *figures* are image paths (relative to the report) to show at the end;
    *page* (the served page's person, city and CSRF token) adds the site's header."""
    summary = area_summary(result)
    level = result.areas.level or "エリア"
    sections: list[dict] = [{"title": "要点", "kind": "findings"}, {"title": "分類別の充足状況", "kind": "categories"},
                            {"title": f"{level} × 分類", "kind": "areas"},
                            {"title": "分類ごとの空白と開発候補", "kind": "category_gaps"},
                            {"title": "主な空白（単位別）", "kind": "top_gaps"},
                            {"title": "マッチングの未充足ニーズ", "kind": "unmet"}]
    siting = _siting_rows(result)
    if siting:
        sections.append({"title": "配置案（参考）", "kind": "siting"})
    sections.append({"title": "データの鮮度", "kind": "freshness"})
    for src in [*extra_sections, *SECTION_HOOKS]:
        extra = src(result) if callable(src) else src
        if extra is not None:
            sections.append({"title": extra.title, "kind": "extra", "html": extra.html, "anchor": extra.anchor})
    figs = list(figures)
    if figs:
        sections.append({"title": "地図", "kind": "figures"})
    sections.append({"title": "注記", "kind": "notes"})
    for k, sec in enumerate(sections):
        sec.setdefault("anchor", "")
        sec["page_break"] = k in (4, len(sections) - 1)
    return render(
        "gap_report.html", page=page or {}, current="report",
        city=result.city, unit=UNIT_LABELS.get(result.units.kind, result.units.kind), generated_at=jst(result.generated_at),
        revision=result.revision, sections=sections, level=level, findings=_findings(result),
        category_rows=_category_rows(result, summary), category_labels=[c.label for c in result.categories],
        area_rows=_area_rows(result, summary), category_gap_rows=_category_gap_rows(result, summary),
        gap_rows=_gap_rows(result), unmet_rows=_unmet_rows(result), siting_rows=siting,
        freshness=_freshness(result), figures=figs)


def write_report(result: GapResult, path: str | Path, *, extra_sections: Iterable[SectionSource] = (),
                 figures: Iterable[str] = ()) -> Path:
    path = Path(path)
    path.write_text(render_report(result, extra_sections=extra_sections, figures=figures), encoding="utf-8")
    return path
