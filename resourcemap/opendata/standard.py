"""自治体標準オープンデータセット: 公共施設一覧, 介護サービス事業所一覧, 子育て施設一覧, 医療機関一覧.

Why one reader for four lists: the standard gives them the same skeleton (code, NO, 名称,
名称_カナ, 住所, 方書, 緯度, 経度, 電話番号, 利用可能曜日, 開始時間, 終了時間, URL …) and differs in the
name column and the type column (実施サービス, 種別, 医療機関の種類; 公共施設一覧 has none — the name
says what a facility is). :data:`SPECS` lists each list's columns under the standard's names;
required (◎) columns that are missing are reported on row 1, and a file may add columns or
order them freely.

The publisher's ``ID`` (else ``NO``) is the stable external id, so a re-import updates instead of
duplicating. Codes may be 6-digit (132063), 5-digit or missing their leading zero; a file without
a code column is read for the municipality given with ``--city``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .codes import city_code
from .files import Columns, Table
from .mapping import TypeRule, load_mapping
from .rows import ReadResult, RowSink, Scope

__all__ = ["SPECS", "read_standard"]

_COMMON: dict[str, tuple[str, ...]] = {
    "code": ("都道府県コード又は市区町村コード", "全国地方公共団体コード", "市区町村コード"),
    "id": ("ID",),
    "no": ("NO",),
    "pref": ("都道府県名",),
    "name": ("名称",),
    "kana": ("名称_カナ",),
    "alternate_name": ("名称_通称",),
    "address": ("住所",),
    "address_extra": ("方書",),
    "lat": ("緯度",),
    "lng": ("経度",),
    "phone": ("電話番号",),
    "email": ("メールアドレス",),
    "url": ("URL",),
    "days": ("利用可能曜日",),
    "opens": ("開始時間",),
    "closes": ("終了時間",),
    "days_note": ("利用可能日時特記事項", "利用可能曜日特記事項"),
    "description": ("説明",),
    "accessibility": ("バリアフリー情報",),
    "capacity": ("定員", "収容定員", "病床数"),
}


@dataclass(frozen=True)
class Spec:
    format: str
    list_name: str
    columns: Columns
    type_field: str | None   # the column holding the publisher's type, if any
    notes: tuple[str, ...] = ()  # extra columns appended to the description (受入年齢, 診療科目 …)


def _spec(fmt: str, list_name: str, *, name: tuple[str, ...] = ("名称",), kana: tuple[str, ...] = ("名称_カナ",),
          type_field: tuple[str, ...] | None = None, required: tuple[str, ...] = ("name", "kana", "address"),
          notes: dict[str, tuple[str, ...]] | None = None) -> Spec:
    names = {**_COMMON, "name": name, "kana": kana, **(notes or {})}
    if type_field:
        names["type"] = type_field
    return Spec(fmt, list_name, Columns(names, required), "type" if type_field else None, tuple(notes or ()))


SPECS: dict[str, Spec] = {s.format: s for s in (
    _spec("std-facilities", "公共施設一覧"),
    _spec("std-care", "介護サービス事業所一覧", name=("介護サービス事業所名称", "名称"),
          kana=("介護サービス事業所名称_カナ", "名称_カナ"), type_field=("実施サービス",),
          required=("name", "kana", "type", "address", "phone")),
    _spec("std-childcare", "子育て施設一覧", type_field=("種別",),
          notes={"受入年齢": ("受入年齢",), "一時預かり": ("一時預かりの有無",)}),
    _spec("std-medical", "医療機関一覧", type_field=("医療機関の種類",), notes={"診療科目": ("診療科目",)}),
)}


def _care_rule(text: str) -> tuple[TypeRule | None, list[str]]:
    """One rule for all services a 事業所 lists (「訪問介護、通所介護」); the unknown ones returned."""
    mapping = load_mapping()
    rules, unknown = [], []
    for part in re.split(r"[、,;；・/／\n]+", unicodedata.normalize("NFKC", text)):
        if part.strip():
            rule = mapping.care_service(part.strip())
            (rules.append(rule) if rule else unknown.append(part.strip()))
    if not rules or unknown:
        return None, unknown
    return TypeRule(type="・".join(r.type for r in rules), kind=rules[0].kind,
                    categories=tuple(dict.fromkeys(c for r in rules for c in r.categories)),
                    fields=rules[0].fields), []


def _rule(spec: Spec, type_value: str, name: str) -> TypeRule | None:
    mapping = load_mapping()
    if spec.format == "std-facilities":
        return mapping.facility_names.find(name)
    if spec.format == "std-care":
        return _care_rule(type_value)[0]
    rules = mapping.childcare_types if spec.format == "std-childcare" else mapping.medical_types
    return rules.find(type_value or name) if (type_value or spec.format == "std-childcare") else None


def read_standard(fmt: str, data: bytes, name: str, scope: Scope) -> ReadResult:
    spec = SPECS[fmt]
    sink = RowSink(fmt, fmt, scope)
    table = Table(data, name)
    cols = spec.columns.resolve(table, sink.missing)
    if "id" not in cols and "no" not in cols:
        sink.missing(1, "NO", "NO か ID の列が必要です（取り込みを繰り返すとき同じ施設を見分けるため）")
    if "code" not in cols and scope.city is None:
        sink.missing(1, "都道府県コード又は市区町村コード", "市区町村コードの列がありません。--city で市区町村を指定してください")
    essential = {"name", "address"} | ({"type"} if fmt in ("std-care", "std-medical") else set())
    if any(e["row"] == 1 and e["column"] in {spec.columns.names[f][0] for f in essential} for e in sink.result.errors) \
            or ("id" not in cols and "no" not in cols) or ("code" not in cols and scope.city is None):
        return sink.finish()  # no row can be read without these
    id_field = "id" if "id" in cols else "no"
    for n, cells in table.rows():
        if not any(c.strip() for c in cells):
            continue
        sink.result.rows_read += 1
        get = lambda f, cells=cells: cells[cols[f][0]] if f in cols else None  # noqa: E731
        if "code" in cols and (code_cell := get("code") or "").strip():
            try:
                code = city_code(code_cell, pref=(get("pref") or "").strip() or None)
            except ValueError as exc:
                sink.error(n, cols["code"][1], str(exc))
                continue
        elif scope.city is not None:
            code = scope.city
        else:
            sink.error(n, cols["code"][1], "市区町村コードがありません")
            continue
        if not scope.accepts(code):
            sink.result.outside += 1
            continue
        pid = unicodedata.normalize("NFKC", get(id_field) or (get("no") or "")).strip()
        site_name = (get("name") or "").strip()
        type_value = (get("type") or "").strip() if spec.type_field else ""
        rule = _rule(spec, type_value, site_name)
        type_column = cols["type"][1] if "type" in cols else None
        if rule is None and fmt == "std-care" and type_value:
            unknown = _care_rule(type_value)[1]
            type_value = "、".join(unknown) or type_value
        if spec.columns.names["kana"] and not (get("kana") or "").strip() and "kana" in cols:
            sink.warn(n, cols["kana"][1], "名称_カナがありません（標準では必須です）")
        if "address" in cols and not (get("address") or "").strip():
            sink.error(n, cols["address"][1], "住所がありません（標準では必須です）")
            continue
        raw = {f: (get(f), cols[f][1]) for f in ("address", "address_extra", "lat", "lng", "phone", "email", "url",
                                                 "capacity", "alternate_name", "accessibility") if f in cols}
        if any(f in cols for f in ("days", "opens", "closes", "days_note")):
            where = next(cols[f][1] for f in ("days", "opens", "closes", "days_note") if f in cols)
            raw["schedule"] = ({"days": get("days"), "opens": get("opens"), "closes": get("closes"),
                                "note": get("days_note")}, where)
        parts = [(get("description") or "").strip()]
        parts += [f"{label}: {note}" for label in spec.notes if label in cols and (note := (get(label) or "").strip())]
        if fmt == "std-care" and type_value:
            parts.insert(0, f"介護サービス: {type_value}")
        if any(parts):
            raw["description"] = ("。".join(p for p in parts if p), cols.get("description", ("", ""))[1])
        extra = ("childcare",) if fmt == "std-childcare" and (get("一時預かり") or "").strip() in ("有", "あり", "○") else ()
        sink.site(n, pid=pid, pid_column=cols[id_field][1], city=code, name=site_name, name_column=cols["name"][1],
                  rule=rule, type_value=type_value or None, type_column=type_column, raw=raw, kana=get("kana"),
                  extra_categories=extra)
    return sink.finish()
