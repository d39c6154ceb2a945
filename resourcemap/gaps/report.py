"""The meeting report: a printable HTML page per municipality for the 重層的支援会議.

Why HTML (not PDF): it opens anywhere, prints to A4 from any browser (print CSS below), and
can be pasted into the 会議資料. It answers the meeting's three questions in order — where
needs have nothing within reach (area × category table), what could fill the worst gaps
(top gaps with development candidates), and how sure we are (unmet counts from the matcher,
resources whose place is not registered, data freshness).

Other analyses add pages through ``extra_sections``: pass :class:`Section` objects or callables
``fn(result) -> Section | None`` to :func:`render_report`, or register a callable once with
:func:`register_section` (the network analysis of 多機関協働 is meant to plug in here).
"""
from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..match.disclosure import Tally
from ..taxonomy import load_taxonomy
from .analysis import GapResult, unmet_tally
from .candidates import Candidate
from .export import status_of

__all__ = ["Section", "SECTION_HOOKS", "register_section", "area_summary", "top_gaps", "category_candidates",
           "render_report", "write_report"]


@dataclass(frozen=True)
class Section:
    """An extra report section: a title and trusted HTML (escape your own text)."""

    title: str
    html: str
    anchor: str = ""


SectionSource = Section | Callable[[GapResult], "Section | None"]
#: Callables run for every report (after the built-in sections), in registration order.
SECTION_HOOKS: list[Callable[[GapResult], Section | None]] = []


def register_section(fn: Callable[[GapResult], Section | None]) -> Callable[[GapResult], Section | None]:
    """Add *fn* to :data:`SECTION_HOOKS` (usable as a decorator); registering twice is a no-op."""
    if fn not in SECTION_HOOKS:
        SECTION_HOOKS.append(fn)
    return fn


def _e(v: object) -> str:
    return html.escape("" if v is None else str(v))


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
    picked, units, per_cat = [], set(), {}
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


def _unmet_by_category(result: GapResult) -> dict[str, Tally]:
    """Unmet-need counts per category (of the published counters: suppressed ones stay ranges)."""
    tot: dict[str, Tally] = {}
    for u in result.unmet:
        tot[u.category] = tot.get(u.category, Tally()).add(u.count)
    return tot


def _unmet_of(frame: pd.DataFrame) -> Tally:
    """The unmet figure of some table rows (``unmet`` is the least each can be, ``unmet_hidden`` its suppressed part)."""
    hidden = int(frame["unmet_hidden"].sum())
    return Tally(exact=int(frame["unmet"].sum()) - hidden, hidden=hidden)


def _findings(result: GapResult) -> list[str]:
    out: list[str] = []
    t = result.chome_table
    for info in result.categories:
        sub = t[t["category"] == info.id]
        n_gap, n = int(sub["gap"].sum()), len(sub)
        if info.measure == "coverage":
            if n_gap == n:
                out.append(f"<b>{_e(info.label)}：担当するコーディネーターが登録されていません</b>"
                           f"（全{n}町丁目が空白）。配置・養成の検討が必要です。")
            elif n_gap:
                out.append(f"{_e(info.label)}：{n_gap}/{n} 町丁目に担当コーディネーターがいません。")
            else:
                out.append(f"{_e(info.label)}：全町丁目に担当コーディネーターがいます（{len(info.resources)} 人・組織）。")
    none_at_all = [i.label for i in result.categories
                   if i.measure == "distance" and not i.resources and not i.unlocated]
    if none_at_all:
        out.append("市内に資源が登録されていない分類：" + "、".join(_e(x) for x in none_at_all) + "。")
    unl = [f"{_e(i.label)}（{len(i.unlocated)}件）" for i in result.categories if i.unlocated]
    if unl:
        out.append("所在地が市全域としか分からず到達範囲を測れない資源：" + "、".join(unl)
                   + "。所在地（町丁目）を登録すると空白の判定が正確になります。")
    if result.unmet:
        best = sorted(_unmet_by_category(result).items(), key=lambda kv: (-kv[1].low, kv[0]))[:3]
        out.append("マッチングで見つからなかった相談が多い分類：" + "、".join(
            f"{_e(c)} {_e(result.unmet_label(k))}件" for c, k in best) + "。")
    return out


def _category_table(result: GapResult, summary: pd.DataFrame) -> str:
    t = result.chome_table
    city_share = summary.loc["市全体"]  # the share of the whole city's demand within reach, per category
    unmet_tot = _unmet_by_category(result)
    rows = []
    for info in result.categories:
        sub = t[t["category"] == info.id]
        share = float(city_share[info.id])
        reach = "担当エリア" if info.measure == "coverage" else f"{info.threshold_m:.0f} m"
        wanted = load_taxonomy().descendants(info.id)
        unmet = _e(result.unmet_label(sum((k for c, k in unmet_tot.items() if c in wanted), Tally())))
        rows.append(f"<tr><td>{_e(info.label)}<br><small>{_e(info.id)}</small></td><td>{reach}</td>"
                    f"<td class=n>{len(info.resources)}</td><td class=n>{len(info.unlocated)}</td>"
                    f"<td class=n style='background:{_cell_colour(share)}'>{_pct(share)}</td>"
                    f"<td class=n>{int(sub['gap'].sum())}/{len(sub)}</td><td class=n>{unmet}</td></tr>")
    return ("<table><thead><tr><th>分類</th><th>到達の基準</th><th>数えた資源</th><th>所在地未登録</th>"
            "<th>圏内の町丁目</th><th>空白の町丁目</th><th>未充足の相談</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _area_table(result: GapResult, s: pd.DataFrame) -> str:
    """The area × category matrix of *s* (:func:`area_summary` of *result*)."""
    head = "".join(f"<th class=v><span>{_e(c.label)}</span></th>" for c in result.categories)
    body = []
    for name, row in s.iterrows():
        cells = "".join(f"<td class=n style='background:{_cell_colour(row[c.id])}'>{_pct(row[c.id])}</td>"
                        for c in result.categories)
        body.append(f"<tr><th>{_e(name)}</th>{cells}</tr>")
    level = _e(result.areas.level or "エリア")
    return (f"<p>各{level}の町丁目のうち、徒歩圏内に資源がある割合（コーディネートは担当者がいる割合）。</p>"
            f"<table class=matrix><thead><tr><th>{level}</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _worst_areas(s: pd.DataFrame, category: str, k: int = 3) -> str:
    if category not in s.columns:
        return ""
    col = s[category].drop(index="市全体", errors="ignore").dropna().sort_values()
    return "、".join(f"{_e(a)} {_pct(v)}" for a, v in col.head(k).items())


def _category_gaps_table(result: GapResult, summary: pd.DataFrame) -> str:
    rows = []
    t = result.chome_table
    for info in result.categories:
        sub = t[t["category"] == info.id]
        n_gap = int(sub["gap"].sum())
        if not n_gap:
            continue
        cands = category_candidates(result, info.id)
        sites = [(c, k) for c, k in cands if c.basis != "coordinator"][:4]
        coords = [c for c, _ in cands if c.basis == "coordinator"][:3]
        lis = "".join(f"<li><b>{_e(c.name)}</b> — {_e(c.reason)}（空白の{k}単位に届く）</li>" for c, k in sites)
        if not lis:
            lis = "<li>圏内に受け皿になりうる既存の場がありません（新規開発が必要）</li>"
        who = "、".join(_e(c.name) for c in coords) or "担当コーディネーターなし"
        unl = f"<br><small>所在地未登録 {len(info.unlocated)} 件</small>" if info.unlocated else ""
        rows.append(f"<tr><td>{_e(info.label)}{unl}</td><td class=n>{n_gap}/{len(sub)}</td>"
                    f"<td>{_worst_areas(summary, info.id)}</td><td class=n>{_e(result.unmet_label(_unmet_of(sub)))}</td>"
                    f"<td><ul>{lis}</ul></td><td>{who}</td></tr>")
    if not rows:
        return "<p>空白の町丁目はありません。</p>"
    return ("<table><thead><tr><th>分類</th><th>空白の町丁目</th><th>充足の低いエリア</th><th>未充足</th>"
            "<th>開発候補（理由）</th><th>調整役</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _gaps_table(result: GapResult) -> str:
    t = top_gaps(result)
    if t.empty:
        return "<p>空白の単位はありません。</p>"
    rows = []
    for k, r in enumerate(t.to_dict("records"), 1):
        cands = result.candidates.get((r["unit_id"], r["category"]), [])
        lis = "".join(f"<li><b>{_e(c.name)}</b> — {_e(c.reason)}"
                      + (f"（{round(c.distance_m)} m）" if c.distance_m is not None else "") + "</li>" for c in cands)
        near = "5 km 圏内になし" if r["nearest_m"] is None or math.isnan(r["nearest_m"]) else f"{round(r['nearest_m'])} m"
        if r["measure"] == "coverage":
            near = "担当者なし"
        where = _e(r["unit_name"]) + (f"<br><small>{_e(r['area_name'])}</small>" if r.get("area_name") else "")
        status = {"gap": "資源なし", "gap_unlocated": "所在地未登録の資源のみ", "low_access": "アクセス下位"}[status_of(r)]
        rows.append(f"<tr><td class=n>{k}</td><td>{_e(r['category_label'])}</td><td>{where}</td><td>{status}</td>"
                    f"<td class=n>{near}</td><td class=n>{_e(result.unmet_label(unmet_tally(r)))}</td>"
                    f"<td>{'<ul>' + lis + '</ul>' if lis else '候補なし（新規開発が必要）'}</td></tr>")
    return ("<table><thead><tr><th>#</th><th>分類</th><th>場所</th><th>状況</th><th>最寄り</th><th>未充足</th>"
            "<th>開発候補（理由）</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _unmet_table(result: GapResult) -> str:
    if not result.unmet:
        return "<p>マッチングの未充足記録はまだありません（記録は町丁目・分類・年代・月の件数のみ）。</p>"
    agg: dict[tuple[str, str], Tally] = {}
    for u in result.unmet:
        place = u.chome or result.areas.names.get(u.area_id or "", u.area_id or "市全域")
        agg[(u.category, place)] = agg.get((u.category, place), Tally()).add(u.count)
    rows = "".join(f"<tr><td>{_e(c)}</td><td>{_e(p)}</td><td class=n>{_e(result.unmet_label(k))}</td></tr>"
                   for (c, p), k in sorted(agg.items(), key=lambda kv: (-kv[1].low, kv[0])))
    return ("<table><thead><tr><th>分類</th><th>町丁目・エリア</th><th>件数</th></tr></thead><tbody>"
            + rows + "</tbody></table>")


def _siting_table(result: GapResult) -> str:
    rows = []
    for info in result.categories:
        for s in info.siting:
            rows.append(f"<tr><td>{_e(info.label)}</td><td class=n>{s['rank']}</td><td>{_e(s['name'])}</td>"
                        f"<td class=n>{s['covered_demand']}</td><td>{_e('、'.join(s['covered_chome'][:8]))}"
                        f"{' ほか' if len(s['covered_chome']) > 8 else ''}</td></tr>")
    if not rows:
        return ""
    return ("<p>空白の町丁目を最も多く徒歩圏に収める場所（最大被覆問題の貪欲解）。</p><table><thead><tr><th>分類</th>"
            "<th>順</th><th>場所</th><th>新たに届く需要</th><th>届く町丁目</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _freshness(result: GapResult) -> str:
    f = result.freshness
    items = [
        ("作成日時", result.generated_at.isoformat()), ("カタログの版（revision）", f["revision"]),
        ("この市の登録ノード数", f["nodes"]), ("最終更新", f["updated_max"] or "—"), ("最古の更新", f["updated_min"] or "—"),
        ("確認日（verified_at）のあるノード", f"{f['verified']}（最古 {f['verified_oldest'] or '—'}）"),
        ("出典資料", "、".join(f["documents"]) or "—"),
        ("未充足記録の期間", "〜".join(f["unmet_months"]) if f["unmet_months"] else "記録なし"),
        ("位置の扱い", f"{result.options.min_precision} 精度以上で置かれた資源だけ距離を測る"),
    ]
    return "<table class=kv>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in items) + "</table>"


_CSS = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "IPAexGothic", "IPAGothic", "Noto Sans CJK JP", sans-serif; font-size: 11pt; color: #111; margin: 16px; }
h1 { font-size: 17pt; margin: 0 0 4px; } h2 { font-size: 13pt; border-bottom: 2px solid #444; margin-top: 18px; }
table { border-collapse: collapse; margin: 6px 0; page-break-inside: auto; } tr { page-break-inside: avoid; }
th, td { border: 1px solid #999; padding: 3px 6px; vertical-align: top; font-size: 9.5pt; }
thead th { background: #eee; } td.n { text-align: right; white-space: nowrap; }
table.matrix th.v span { writing-mode: vertical-rl; white-space: nowrap; } table.kv th { text-align: left; background: #f4f4f4; }
ul { margin: 0; padding-left: 1.1em; } small { color: #555; } .meta { color: #444; font-size: 9.5pt; }
figure { display: inline-block; margin: 4px; page-break-inside: avoid; } figure img { width: 330px; }
@media print { h2 { page-break-after: avoid; } section.pb { page-break-before: always; } }
"""


def render_report(result: GapResult, *, extra_sections: Iterable[SectionSource] = (),
                  figures: Iterable[str] = ()) -> str:
    """The report as an HTML string. *figures* are image paths (relative to the report) to show at the end."""
    city = result.city
    summary = area_summary(result)
    sections: list[tuple[str, str]] = [
        ("要点", "<ul>" + "".join(f"<li>{x}</li>" for x in _findings(result)) + "</ul>"),
        ("分類別の充足状況", _category_table(result, summary)),
        (f"{result.areas.level or 'エリア'} × 分類", _area_table(result, summary)),
        ("分類ごとの空白と開発候補", _category_gaps_table(result, summary)),
        ("主な空白（単位別）", _gaps_table(result)),
        ("マッチングの未充足ニーズ", _unmet_table(result)),
    ]
    siting = _siting_table(result)
    if siting:
        sections.append(("配置案（参考）", siting))
    sections.append(("データの鮮度", _freshness(result)))
    for src in [*extra_sections, *SECTION_HOOKS]:
        sec = src(result) if callable(src) else src
        if sec is not None:
            sections.append((sec.title, sec.html))
    figs = list(figures)
    if figs:
        sections.append(("地図", "".join(f"<figure><img src='{_e(p)}' alt='{_e(p)}'></figure>" for p in figs)))
    sections.append(("注記", _NOTES.format(unit=_e(result.units.kind))))
    body = "".join(f"<section{' class=pb' if k in (4, len(sections) - 1) else ''}><h2>{_e(t)}</h2>{h}</section>"
                   for k, (t, h) in enumerate(sections))
    return ("<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'>"
            f"<title>{_e(city.name)} 社会資源の充足状況</title><style>{_CSS}</style></head><body>"
            f"<h1>{_e(city.pref)}{_e(city.name)} 社会資源の充足状況と開発候補</h1>"
            f"<p class=meta>重層的支援会議 資料（社会資源の充足状況の把握と開発に向けた検討）— 単位: {_e(result.units.kind)}、"
            f"作成 {_e(result.generated_at.isoformat())}、カタログ版 {result.revision}</p>{body}</body></html>\n")


_NOTES = """<ul>
<li>到達の基準: 徒歩 800 m（80 m/分で10分）。高齢者向けの分類（地域包括・通いの場・認知症・サロン）は 500 m。
コーディネートは距離ではなく、担当エリア（covers）に含まれるかで判定。</li>
<li>単位 {unit} の各点から最寄りの資源までの大円距離（WGS84 球面）。5 km を超える場合は「圏内になし」。</li>
<li>市全域としか位置が分からない資源は距離に数えず「所在地未登録」として件数を示す（市役所にあるとはみなさない）。</li>
<li>開発候補: 空白の単位から徒歩圏内にあり、その分類をまだ提供していない拠点・場のうち、運営主体が他所で提供しているもの、
または提供内容がその分類の受け皿になりうるもの。担当コーディネーターも併記。</li>
<li>未充足ニーズ: マッチングで圏内に資源が見つからなかった件数（町丁目または圏域・分類・年代・月の集計のみ。個人は記録しない）。</li>
</ul>"""


def write_report(result: GapResult, path: str | Path, *, extra_sections: Iterable[SectionSource] = (),
                 figures: Iterable[str] = ()) -> Path:
    path = Path(path)
    path.write_text(render_report(result, extra_sections=extra_sections, figures=figures), encoding="utf-8")
    return path
