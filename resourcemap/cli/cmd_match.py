"""``resourcemap match``: one member's needs → eligible resources nearby, the team and the coordinator."""
from __future__ import annotations

from typing import Any


def register(sub, common) -> None:
    p = sub.add_parser("match", parents=[common], help="match needs to resources near a household",
                       description="世帯の所在地（町丁目か緯度経度）とニーズから、近くの利用できる社会資源を理由つきで示し、"
                                   "支援チームと担当コーディネーターを提案します。結果は保存されません。該当なしのニーズは "
                                   "--record-unmet を付けたときだけ、町丁目・分類・年齢層・月の件数として記録します。")
    p.add_argument("--city", default=None,
                   help="municipality name or code (optional when the address names it or the catalogue holds one)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--address", help="町丁目 (e.g. 白糸台三丁目); 番地 is ignored and never kept")
    where.add_argument("--lat", type=float, help="latitude (with --lng)")
    p.add_argument("--lng", type=float, help="longitude (with --lat)")
    p.add_argument("--need", action="append", required=True, help="category id, label or synonym (repeatable)")
    p.add_argument("--age", type=int, help="the member's age")
    p.add_argument("--field", action="append", default=[], help="分野: 高齢, 障害, 子ども, 困窮, 全世代 (repeatable)")
    p.add_argument("--max-distance", type=float, help="metres (default 2000)")
    p.add_argument("--limit", type=int, help="matches per need (default 5)")
    p.add_argument("--record-unmet", action="store_true",
                   help="count the needs with nothing in range (aggregated cells only; a search alone counts nothing)")
    p.set_defaults(func=run)


def build_body(a) -> dict[str, Any]:
    """The POST /v1/match body the arguments stand for (one member)."""
    loc: dict[str, Any] = {"address": a.address} if a.address else {"lat": a.lat, "lng": a.lng}
    member: dict[str, Any] = {"needs": a.need, "fields": a.field}
    if a.age is not None:
        member["age"] = a.age
    body: dict[str, Any] = {"location": loc, "members": [member], **({"city": a.city} if a.city else {})}
    if a.max_distance is not None:
        body["max_distance_m"] = a.max_distance
    if a.limit is not None:
        body["limit"] = a.limit
    return body


def _contact_lines(entry: dict[str, Any], indent: str) -> list[str]:
    """電話・住所・開館日時・URL of a listed resource, each on its own line, those that are known."""
    from ..model import Schedule
    from ..opendata.site import hours_text

    hours = hours_text([Schedule.model_validate(s) for s in entry["schedules"]])
    parts = [("電話", entry["phone"]), ("住所", entry["address"]), ("日時", hours), ("URL", entry["url"])]
    lines = [f"{indent}{label}: {value}" for label, value in parts if value]
    if entry.get("inquiry"):
        ask = entry["inquiry"]
        lines.append(f"{indent}問い合わせ: {ask['label']} 電話 {ask['phone']}")
    if entry["programs"]:
        lines.append(f"{indent}事業: " + "、".join(p["name"] for p in entry["programs"]))
    if entry["dataset"]:
        lines.append(f"{indent}出典データ: {entry['dataset']}" + (f"（{entry['dataset_date']}）" if entry["dataset_date"] else ""))
    return lines or [f"{indent}連絡先: 未登録"]


def render(data: dict[str, Any]) -> str:
    """A readable Japanese report: location, per need a ranked table with reasons and contacts, the
    programmes without a registered site, unmet, the team with contacts, the credit lines of open data."""
    loc = data["location"]
    where = loc["chome"] or loc["town"]
    area = "、".join(a["name"] for a in loc["areas"]) or "エリア不明"
    out = [f"世帯の所在地: {where}（精度: {loc['precision']}、{area}）", ""]
    for r in data["results"]:
        out.append(f"■ ニーズ「{r['need']}」→ {r['category_label']}（徒歩 {r['walk_speed_m_per_min']:g} m/分で計算）")
        if not r["matches"]:
            out.append(f"  {data['max_distance_m']:g}m 以内に所在地の登録された施設はありません"
                       + ("（未充足として記録しました）" if data.get("unmet_recorded") else
                          "（未充足として数えるには --record-unmet を付けて実行）"))
        for i, m in enumerate(r["matches"], 1):
            op = f"／運営: {m['operator']['name']}" if m["operator"] else ""
            out.append(f"  {i}. {m['name']}  点数 {m['score']:.1f}  {m['distance_m']:.0f}m 徒歩{m['walk_min']}分{op}")
            out.extend(_contact_lines(m, "     "))
            out.append("     理由: " + "、".join(m["reasons"]))
        for u in r.get("unplaced", []):
            op = f"／運営: {u['operator']['name']}" if u["operator"] else ""
            out.append(f"  ・{u['name']}（所在地未登録・距離なし{op}）: 実施場所・利用方法を確認してください")
            out.extend(line for line in _contact_lines(u, "     ") if not line.endswith("未登録"))
        out.append("")
    out.append("■ 支援チーム（提案）")
    for t in data["team"]:
        out.append(f"  ・{t['name']}: {t['reason']}")
        if t["kind"] != "coordinator":
            out.extend(_contact_lines(t, "     "))
    if data["team_uncovered_fields"]:
        out.append("  ※ 担当する相談窓口が見つからない分野: " + "、".join(data["team_uncovered_fields"]))
    if data.get("attribution"):
        out += ["", *data["attribution"]]
    return "\n".join(out)


def run(ctx) -> int:
    from ..errors import InputError
    from ..graph.readmodel import ReadModel
    from ..match import match_household, parse_request
    from ..opendata import Registry
    from ..opendata.listing import dataset_dates
    from .cmd_unmet import open_unmet_log
    from .context import emit

    a = ctx.args
    if a.address is None and (a.lat is None or a.lng is None):
        raise InputError("--lat と --lng は両方指定してください（または --address）。")
    req = parse_request(build_body(a))
    rm = ReadModel(ctx.store(), follow=False)
    dates = dataset_dates(Registry(ctx.aux()))
    if not a.record_unmet:
        data = match_household(rm, req, dataset_dates=dates)
    else:
        log = open_unmet_log(ctx)
        try:
            data = {**match_household(rm, req, unmet_log=log, dataset_dates=dates), "unmet_recorded": True}
        finally:
            log.aux.close()
    emit(ctx, data, render)
    return 0
