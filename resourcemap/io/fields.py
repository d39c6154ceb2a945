"""The columns of the resource spreadsheet: names (Japanese and English), and cell ↔ value rules.

Why one table: CSV, GeoJSON properties and the GeoPackage attribute table carry the same
fields; a municipality's spreadsheet names them in Japanese (「名称」「所在地」「対象分野」…),
other systems in English (``name``, ``targets.fields``). :data:`FIELDS` lists each field
once with the headers accepted for it; :func:`canonical_header` maps any of them (and the
exported form ``名称(name)``) to the field. Cells are text; :func:`parse_cell` turns a cell
into the model's value (accepting Japanese values such as 「拠点」「稼働中」「はい」「令和6年4月1日」)
and :func:`format_cell` writes a value back so that export → import loses nothing.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from ..cities import resolve_city
from ..errors import ResourcemapError
from ..model import NODE_KINDS, PROGRAM_CODES

__all__ = ["Field", "FIELDS", "BY_NAME", "OUTPUT_ONLY", "TEXT_KINDS", "canonical_header", "parse_cell", "format_cell",
           "header_label", "parse_schedules", "format_schedules", "spreadsheet_text", "from_spreadsheet_text"]

Kind = Literal["str", "int", "float", "bool", "date", "list", "kind", "status", "city", "program",
               "categories", "bunya", "schedules", "version", "ids"]


@dataclass(frozen=True)
class Field:
    name: str                 # canonical: a Node field, "targets.<x>", or "locate"
    ja: str                   # the header the export writes (with the name in parentheses)
    kind: Kind = "str"
    aliases: tuple[str, ...] = ()


#: Every column, in export order.
FIELDS: tuple[Field, ...] = (
    Field("id", "ID", "str", ("識別子", "資源id", "ノードid")),
    Field("kind", "種別", "kind", ("種類",)),
    Field("name", "名称", "str", ("名前", "施設名", "事業所名", "団体名", "事業名")),
    Field("alternate_name", "通称", "str", ("別名", "略称")),
    Field("description", "説明", "str", ("概要", "内容")),
    Field("city", "市区町村", "city", ("市区町村コード", "自治体", "市町村")),
    Field("address", "所在地", "str", ("住所",)),
    Field("locate", "所在町丁目", "str", ("町丁目",)),
    Field("lat", "緯度", "float", ("latitude",)),
    Field("lng", "経度", "float", ("longitude", "lon")),
    Field("location_precision", "位置精度", "str", ("位置の精度",)),
    Field("categories", "分類", "categories", ("カテゴリ", "カテゴリー", "支援分類", "提供する支援")),
    Field("targets.fields", "対象分野", "bunya", ("対象", "fields")),
    Field("targets.age_min", "対象年齢下限", "int", ("年齢下限", "age_min")),
    Field("targets.age_max", "対象年齢上限", "int", ("年齢上限", "age_max")),
    Field("targets.residents_only", "市内在住者のみ", "bool", ("在住要件", "residents_only")),
    Field("program", "法定事業区分", "program", ("事業区分",)),
    Field("area_id", "福祉エリア", "str", ("圏域", "区域", "エリア", "area")),
    Field("source", "出典", "str", ("情報源",)),
    Field("status", "状態", "status", ("稼働状況",)),
    Field("url", "URL", "str", ("ホームページ", "ウェブサイト", "website")),
    Field("email", "メール", "str", ("メールアドレス", "電子メール")),
    Field("phone", "電話番号", "str", ("電話", "tel")),
    Field("schedules", "開設日時", "schedules", ("開所日時", "開催日時", "スケジュール", "日時")),
    Field("capacity", "定員", "int"),
    Field("accessibility", "バリアフリー情報", "list", ("バリアフリー", "accessibility")),
    Field("external_ids", "外部ID", "ids", ("外部識別子", "external_ids")),
    Field("accepting_new", "新規受入", "bool", ("受入可否", "新規受付")),
    Field("count", "箇所数", "int", ("件数",)),
    Field("verified_at", "確認日", "date", ("最終確認日", "assured_date")),
    Field("verified_by", "確認者", "str"),
    Field("pref", "都道府県", "str"),
    Field("primary_area_level", "主な区域レベル", "str"),
    Field("org_type", "法人種別", "str", ("組織種別", "運営形態")),
    Field("pillar", "支援の柱", "str", ("柱",)),
    Field("method", "実施方式", "str"),
    Field("role", "役割", "str", ("職種",)),
    Field("level", "区域レベル", "str", ("区域の種類",)),
    Field("chome", "区域の町丁目", "list", ("構成町丁目",)),
    Field("membership", "区域の根拠", "str"),
    Field("version", "版", "version", ("バージョン",)),
)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
#: Columns an export adds that an import reads past (computed or store-managed).
OUTPUT_ONLY = frozenset({"created_at", "updated_at", "deleted", "staleness", "verified_days_ago"})


def _key(text: str) -> str:
    return re.sub(r"[\s\u3000_]+", "", unicodedata.normalize("NFKC", text).strip().lstrip("\ufeff")).lower()


_HEADERS: dict[str, str] = {}
for _f in FIELDS:
    for _h in (_f.name, _f.ja, *_f.aliases):
        _HEADERS[_key(_h)] = _f.name
for _h in OUTPUT_ONLY:
    _HEADERS[_key(_h)] = _h
_PAREN = re.compile(r"^(?P<label>.*?)\((?P<name>[a-z_.]+)\)$")


def header_label(field: Field) -> str:
    """The header an export writes: Japanese, with the canonical name — ``名称(name)``."""
    return field.ja if field.ja == field.name.upper() or field.ja == "ID" else f"{field.ja}({field.name})"


def canonical_header(header: str) -> str | None:
    """The field a header names (any accepted spelling), or None when unknown."""
    key = unicodedata.normalize("NFKC", header).strip().lstrip("\ufeff")
    m = _PAREN.match(key.replace("（", "(").replace("）", ")"))
    if m and _key(m["name"]) in _HEADERS:
        return _HEADERS[_key(m["name"])]
    return _HEADERS.get(_key(key))


# -- values ---------------------------------------------------------------------------------
_KIND_JA = {"機関": "agency", "支援機関": "agency", "法人": "agency", "拠点": "hub", "居場所": "place", "通いの場": "place",
            "場": "place", "補助団体": "subsidy_group", "団体": "subsidy_group", "コーディネーター": "coordinator",
            "事業": "program", "所管課": "department", "部署": "department", "区域": "area", "圏域": "area",
            "エリア": "area", "会議": "meeting", "会議体": "meeting", "市区町村": "municipality", "自治体": "municipality"}
_STATUS_JA = {"稼働中": "active", "実施中": "active", "運営中": "active", "休止": "inactive", "休止中": "inactive",
              "予定": "planned", "計画": "planned", "準備中": "planned", "廃止": "defunct", "終了": "defunct"}
_BOOL = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False, "はい": True, "いいえ": False,
         "○": True, "〇": True, "×": False, "有": True, "無": False, "あり": True, "なし": False, "可": True, "不可": False}
_BUNYA = {"高齢": "高齢", "高齢者": "高齢", "介護": "高齢", "障害": "障害", "障害者": "障害", "障がい": "障害",
          "障がい者": "障害", "子ども": "子ども", "こども": "子ども", "子供": "子ども", "子育て": "子ども", "児童": "子ども",
          "困窮": "困窮", "生活困窮": "困窮", "全世代": "全世代", "全て": "全世代", "すべて": "全世代", "共通": "全世代"}
_IROHA = {"イ": "i", "ロ": "ro", "ハ": "ha", "ニ": "ni", "い": "i", "ろ": "ro", "は": "ha", "に": "ni"}
_LIST_SPLIT = re.compile(r"\s*[、,;；|｜／\n]\s*")
_ERA = {"令和": 2018, "平成": 1988, "昭和": 1925}
_DATE_JA = re.compile(r"^(?P<era>令和|平成|昭和)(?P<y>元|\d+)年(?P<m>\d+)月(?P<d>\d+)日$")
_DATE = re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$")


def _split(text: str) -> list[str]:
    return [p for p in _LIST_SPLIT.split(text.strip()) if p]


def _program(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).strip().replace("号", "").replace("第", "")
    if t in PROGRAM_CODES:
        return t
    m = re.match(r"^(\d)\s*[-‐ー]?\s*([イロハニいろはに]|i|ro|ha|ni)?$", t)
    if m:
        code = m[1] + (f"-{_IROHA.get(m[2], m[2])}" if m[2] else "")
        if code in PROGRAM_CODES:
            return code
    if t in ("独自", "独自事業", "その他"):
        return "other"
    raise ValueError(f"法定事業区分 {text!r} は分かりません（例: 1-i, 1-ro, 2, 3-ha, 4, 5, 6, other、または 1号イ）")


def _date(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).strip()
    m = _DATE_JA.match(t)
    if m:
        y = 1 if m["y"] == "元" else int(m["y"])
        return date(_ERA[m["era"]] + y, int(m["m"]), int(m["d"])).isoformat()
    m = _DATE.match(t)
    if m:
        return date(int(m["y"]), int(m["m"]), int(m["d"])).isoformat()
    raise ValueError(f"日付 {text!r} は YYYY-MM-DD（例: 2025-04-01）か 令和7年4月1日 の形で書いてください")


def parse_cell(field: Field, raw: Any) -> Any:
    """A cell (text from CSV, or a JSON value from GeoJSON) → the model's value; '' → None.

    Raises ValueError with a Japanese message saying what to write instead.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return [] if field.kind in ("list", "categories", "bunya", "schedules") else {} if field.kind == "ids" else None
    if not isinstance(raw, str):  # already typed (GeoJSON/HSDS): light normalisation only
        if field.kind in ("categories", "bunya", "list") and isinstance(raw, list):
            return [_bunya(v) if field.kind == "bunya" else str(v) for v in raw]
        if (field.kind == "schedules" and isinstance(raw, list)) or (field.kind == "ids" and isinstance(raw, dict)):
            return raw
        if field.kind in ("int", "float", "bool", "version") or (field.kind == "str" and isinstance(raw, (int, float))):
            return raw
        raw = str(raw)
    text = raw.strip()
    k = field.kind
    if k == "str":
        return text
    if k in ("int", "version"):
        try:
            return int(unicodedata.normalize("NFKC", text).replace(",", ""))
        except ValueError:
            raise ValueError(f"整数で書いてください（{text!r}）") from None
    if k == "float":
        try:
            return float(unicodedata.normalize("NFKC", text))
        except ValueError:
            raise ValueError(f"数値で書いてください（{text!r}）") from None
    if k == "bool":
        v = _BOOL.get(unicodedata.normalize("NFKC", text).lower())
        if v is None:
            raise ValueError(f"はい/いいえ（true/false）で書いてください（{text!r}）")
        return v
    if k == "date":
        return _date(text)
    if k == "list":
        return _split(text)
    if k == "categories":
        return _split(text)  # resolved against the taxonomy by the planner (needs suggestions)
    if k == "bunya":  # 「高齢・障害」 too: no 分野 name holds a 「・」
        return list(dict.fromkeys(_bunya(v) for part in _split(text) for v in part.split("・") if v.strip()))
    if k == "kind":
        v = _KIND_JA.get(text, text)
        if v not in NODE_KINDS:
            raise ValueError(f"種別 {text!r} はありません（{', '.join(NODE_KINDS)} または 拠点・居場所・機関 など）")
        return v
    if k == "status":
        return _STATUS_JA.get(text, text)
    if k == "city":
        try:
            return resolve_city(text).code
        except ResourcemapError as exc:
            raise ValueError(exc.detail) from None
    if k == "program":
        return _program(text)
    if k == "schedules":
        return parse_schedules(text)
    if k == "ids":
        return _ids(text)
    raise AssertionError(k)


def _ids(text: str) -> dict[str, str]:
    """``gsi-evacuation=E1320600003111、mhlw-care=1373800661:110`` → {dataset: publisher id}."""
    out: dict[str, str] = {}
    for part in _split(text):
        dataset, sep, pid = part.partition("=")
        if not sep or not dataset.strip() or not pid.strip():
            raise ValueError(f"外部ID {part!r} は「データセット=識別子」の形で書いてください（例: gsi-evacuation=E1320600003111）")
        out[dataset.strip()] = pid.strip()
    return out


def _bunya(value: Any) -> str:
    v = _BUNYA.get(str(value).strip())
    if v is None:
        raise ValueError(f"対象分野 {value!r} はありません（高齢・障害・子ども・困窮・全世代）")
    return v


def format_cell(field: Field, value: Any) -> str:
    """A model value → the cell text :func:`parse_cell` reads back to the same value."""
    if value is None:
        return ""
    if field.kind in ("list", "categories", "bunya"):
        return "、".join(str(v) for v in value)
    if field.kind == "schedules":
        return format_schedules(value)
    if field.kind == "ids":
        return "、".join(f"{k}={v}" for k, v in value.items())
    if field.kind == "bool":
        return "true" if value else "false"
    return str(value)


# -- spreadsheets -----------------------------------------------------------------------------
#: Cell kinds written as text (the others are numbers or true/false, which a spreadsheet reads as such).
TEXT_KINDS = frozenset({"str", "date", "list", "kind", "status", "city", "program", "categories", "bunya",
                        "schedules"})
# A text cell that a spreadsheet would read as a formula (OWASP "CSV injection": = + - @, tab, CR,
# also after leading spaces and in full width), or that already starts with the quote we add.
_FORMULA_LIKE = re.compile(r"^(?:'|[\t\r]|\s*[=+\-@＝＋－＠])")


def spreadsheet_text(text: str) -> str:
    """A text cell as a spreadsheet must show it — never run it: a leading ``'`` before a cell that
    would start a formula (``=SUM(…)``, ``+81…``, ``-…``, ``@…``), as OWASP recommends.

    Only text cells are quoted (numbers such as ``-1.5`` stay numbers); a cell that itself
    starts with ``'`` gets a second one, so :func:`from_spreadsheet_text` restores every value.
    """
    return "'" + text if _FORMULA_LIKE.match(text) else text


def from_spreadsheet_text(cell: str) -> str:
    """Undo :func:`spreadsheet_text` when reading a CSV cell back (export → import loses nothing)."""
    return cell[1:] if cell.startswith("'") and _FORMULA_LIKE.match(cell[1:]) else cell


# -- schedules ------------------------------------------------------------------------------
_DAY_JA = {"月": "MO", "火": "TU", "水": "WE", "木": "TH", "金": "FR", "土": "SA", "日": "SU"}
_FREQ_JA = {"毎週": "WEEKLY", "毎月": "MONTHLY", "毎日": "DAILY"}
_SCHED = re.compile(
    r"^(?P<freq>WEEKLY|MONTHLY|DAILY|毎週|毎月|毎日)?\s*"
    r"(?P<byday>(?:-?[1-5]?(?:MO|TU|WE|TH|FR|SA|SU)|第?[1-5]?[月火水木金土日])(?:\s*[,・]\s*(?:-?[1-5]?(?:MO|TU|WE|TH|FR|SA|SU)|第?[1-5]?[月火水木金土日]))*)?\s*"
    r"(?:曜日?)?\s*(?P<opens>\d{1,2}:\d{2})?\s*(?:[-~〜～]\s*(?P<closes>\d{1,2}:\d{2})?)?$")


def _day(token: str) -> str:
    token = token.strip().removeprefix("第")
    if token[-1] in _DAY_JA:
        return token[:-1] + _DAY_JA[token[-1]]
    return token


def parse_schedules(text: str) -> list[dict[str, Any]]:
    """``WEEKLY MO,WE 10:00-15:00「説明」; MONTHLY 2TU 13:00-16:00`` (or 毎週 月・水 10:00〜15:00) → schedules.

    A cell starting with ``[`` is read as the JSON list itself.
    """
    t = text.strip()
    if t.startswith("["):
        try:
            value = json.loads(t)
        except json.JSONDecodeError as exc:
            raise ValueError(f"開設日時の JSON が読めません: {exc.msg}") from None
        if not isinstance(value, list):
            raise ValueError("開設日時の JSON はリスト（[...]）にしてください")
        return value
    out = []
    for part in (p.strip() for p in re.split(r"[;\n]", t)):
        if not part:
            continue
        desc = re.search(r"「(?P<desc>[^」]*)」\s*$", part)  # kept as written (no width folding)
        head = unicodedata.normalize("NFKC", part[: desc.start()] if desc else part).strip()
        m = _SCHED.match(head)
        if not m or not (any(m.group(g) for g in ("freq", "byday", "opens", "closes")) or desc):
            raise ValueError(f"開設日時 {part!r} が読めません（例: WEEKLY MO,WE 10:00-15:00 / 毎月 第2火 13:00-16:00）")
        s: dict[str, Any] = {"freq": _FREQ_JA.get(m["freq"] or "", m["freq"] or "WEEKLY")}
        if m["byday"]:
            s["byday"] = ",".join(_day(d) for d in re.split(r"\s*[,・]\s*", m["byday"]))
        for key, group in (("opens_at", "opens"), ("closes_at", "closes")):
            if m[group]:
                s[key] = m[group].zfill(5)
        if desc:
            s["description"] = desc["desc"]
        out.append(s)
    return out


def format_schedules(schedules: list[Any]) -> str:
    """The compact form when it reads back exactly, else the JSON list."""
    items = [s if isinstance(s, dict) else s.model_dump(mode="json") for s in schedules]
    parts = []
    for s in items:
        desc = s.get("description")
        if s.get("freq") is None or (desc and ("」" in desc or ";" in desc or "\n" in desc)):
            return json.dumps(items, ensure_ascii=False)
        text = s["freq"]
        if s.get("byday"):
            text += " " + s["byday"]
        if s.get("opens_at") or s.get("closes_at"):
            text += f" {s.get('opens_at') or ''}-{s.get('closes_at') or ''}"
        if desc is not None:
            text += f"「{desc}」"
        parts.append(text)
    return "; ".join(parts)
