"""Share of 町丁目 in gap, per city and category, before and after the open data (issue 10's figures).

Builds two catalogues side by side in a temporary folder — the five plans alone (``init --seed all
--no-open-data``) and the plans with their shipped open-data extracts, linked (``init --seed all``) —
and runs the same gap analysis on both (町丁目 units, the standard categories, the standard walking
thresholds: 800 m, 500 m for older people's categories). Prints per city the sites imported, plan nodes
linked to a site and links waiting for review, then per category the share of 町丁目 in gap before →
after and the category's status after (圏内に施設なし / 施設未登録 / 該当する資源なし / 充足).

    python bench/gap_share.py                 # print the tables
    python bench/gap_share.py --write-docs    # and put them into docs/directory.md
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resourcemap.auxdb import AuxDB  # noqa: E402
from resourcemap.catalogue import build_catalogue  # noqa: E402
from resourcemap.cities import CITIES  # noqa: E402
from resourcemap.gaps import GapOptions, analyse  # noqa: E402
from resourcemap.graph.readmodel import ReadModel  # noqa: E402
from resourcemap.graph.stores.sqlite import SQLiteStore  # noqa: E402
from resourcemap.opendata import Registry, figures, load_seed_open_data  # noqa: E402

SEED_CITIES = ["13206", "11225", "19213", "13223", "13218"]
START, END = "<!-- gap-share:start -->", "<!-- gap-share:end -->"
SHORT = {"covered": "充足", "no_site_within_reach": "圏内に施設なし", "not_registered": "施設未登録",
         "no_resource": "資源なし"}


def build(path: Path, open_data: bool) -> dict[str, dict[str, int]]:
    store = SQLiteStore(path)
    build_catalogue(store, "all")
    aux = AuxDB(path)
    registry = Registry(aux)
    figs: dict[str, dict[str, int]] = {}
    if open_data:
        load_seed_open_data(store, registry, SEED_CITIES)
        figs = figures(store, registry, SEED_CITIES)
    store.close()
    aux.close()
    return figs


def shares(path: Path) -> dict[str, list[dict]]:
    """Per city: [{category, label, share, gaps, units, status}] on the catalogue at *path*."""
    store = SQLiteStore(path)
    rm = ReadModel(store, follow=False)
    out: dict[str, list[dict]] = {}
    try:
        for code in SEED_CITIES:
            result = analyse(rm, code, GapOptions(unit="chome"))
            t = result.table
            rows = []
            for info in result.categories:
                sub = t[t["category"] == info.id]
                rows.append({"category": info.id, "label": info.label, "gaps": int(sub["gap"].sum()),
                             "units": len(sub), "share": float(sub["gap"].mean()), "status": info.status})
            out[code] = rows
    finally:
        rm.close()
        store.close()
    return out


def markdown(figs: dict[str, dict[str, int]], before: dict[str, list[dict]], after: dict[str, list[dict]]) -> str:
    lines = ["Figures from `python bench/gap_share.py` (町丁目 units, standard categories and thresholds — the same "
             "for both columns; *before* = the plans alone, `init --seed all --no-open-data`; *after* = plans + the "
             "shipped open data, linked, as `init --seed all` builds it).", "",
             "| city | sites imported | plan nodes linked to a site | links waiting for review |",
             "|---|---:|---:|---:|"]
    for code in SEED_CITIES:
        f = figs[code]
        lines.append(f"| {CITIES[code].name} ({code}) | {f['sites_imported']} | {f['plan_nodes_linked']} | "
                     f"{f['links_proposed']} |")
    lines += ["", "Share of 町丁目 in gap, before → after, and the category's status after:", "",
              "| category | " + " | ".join(CITIES[c].name for c in SEED_CITIES) + " |",
              "|---|" + "---|" * len(SEED_CITIES)]
    cats = [(r["category"], r["label"]) for r in after[SEED_CITIES[0]]]
    for k, (cid, label) in enumerate(cats):
        cells = []
        for code in SEED_CITIES:
            b, a = before[code][k], after[code][k]
            cells.append(f"{100 * b['share']:.0f}% → {100 * a['share']:.0f}% {SHORT[a['status']]}")
        lines.append(f"| {label} (`{cid}`) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write-docs", action="store_true", help="write the tables into docs/directory.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plans, directory = Path(tmp) / "plans.db", Path(tmp) / "directory.db"
        build(plans, open_data=False)
        figs = build(directory, open_data=True)
        text = markdown(figs, shares(plans), shares(directory))
    print(text)
    if args.write_docs:
        doc = ROOT / "docs" / "directory.md"
        body = doc.read_text(encoding="utf-8")
        head, _, rest = body.partition(START)
        _, _, tail = rest.partition(END)
        doc.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")
        print(f"\n{doc} を更新しました。")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
