"""厚生労働省 介護サービス情報公表システム open data: the national CSVs and the five-city reshaped extract.

Why one reader: both carry one row per (事業所, service) — the national files under the
ministry's column names (事業所名, サービスの種類, 方書（ビル名等）, 利用可能曜日 …), the extract under
short English ones (name, serviceType, openDays …; CSV or JSON). A site's external id is
``<事業所番号>:<service code>`` because one 事業所 offers several services, each with its own
定員 and days (はんの木: 訪問介護 定員 30 and 地域密着型通所介護 定員 10).

Known defects of the files as published, repaired and reported (counted in the warnings):
the municipality code lost its leading zero (``11011`` = ``011011`` = 01101 札幌市中央区) and
事業所番号 lost its leading zero (9 digits → zero-padded to 10). 定員 0 means "not stated".
A file covers the service types that occur in it: a re-import inactivates only sites of those
types (the 特養 file does not close the extract's 訪問介護 sites).
"""
from __future__ import annotations

import json
from typing import Any, Iterator

from ..errors import InputError
from .codes import city_code
from .files import Columns, Table, decompress, read_text
from .mapping import load_mapping
from .rows import ReadResult, RowSink, Scope

__all__ = ["read_mhlw_care", "COLUMNS"]

COLUMNS = Columns({
    "code": ("都道府県コード又は市町村コード", "都道府県コード又は市区町村コード", "city_code"),
    "pref": ("都道府県名", "pref"),
    "name": ("事業所名", "name"),
    "kana": ("事業所名カナ", "kana"),
    "service": ("サービスの種類", "serviceType"),
    "address": ("住所", "address"),
    "address_extra": ("方書（ビル名等）", "方書"),
    "lat": ("緯度", "lat"),
    "lng": ("経度", "lng"),
    "phone": ("電話番号", "tel"),
    "id": ("事業所番号", "id"),
    "days": ("利用可能曜日", "openDays"),
    "days_note": ("利用可能曜日特記事項", "openDaysNote"),
    "capacity": ("定員", "capacity"),
    "url": ("URL", "url"),
}, required=("code", "name", "service", "id"))


def _records(data: bytes, name: str, sink: RowSink) -> tuple[dict[str, tuple[Any, str]], Iterator[tuple[int, Any]], bool]:
    """(field → (where, column name), (row number, row) pairs, whether rows are JSON objects)."""
    raw = decompress(data)
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"[":
        try:
            items = json.loads(read_text(raw))
        except json.JSONDecodeError as exc:
            raise InputError(f"{name} の JSON が読めません（{exc.msg}, 行 {exc.lineno}）。") from None
        items = [x for x in items if isinstance(x, dict)]
        keys = {k for x in items[:50] for k in x}
        return COLUMNS.resolve_keys(keys, sink.missing), enumerate(items, start=1), True
    table = Table(read_text(raw), name)
    return COLUMNS.resolve(table, sink.missing), table.rows(), False


def read_mhlw_care(data: bytes, name: str, scope: Scope) -> ReadResult:
    sink = RowSink("mhlw-care", "mhlw-care", scope)
    cols, rows, is_json = _records(data, name, sink)
    if sink.result.errors:
        return sink.finish()
    mapping = load_mapping()
    six = cols["code"][1] != "city_code"  # the ministry's files: 6-digit codes; the extract: 5-digit
    codes: set[str] = set()
    for n, row in rows:
        get = (lambda f, row=row: row.get(cols[f][0]) if f in cols else None) if is_json else \
              (lambda f, row=row: row[cols[f][0]] if f in cols else None)
        sink.result.rows_read += 1
        raw_code = str(get("code") or "").strip()
        try:
            code = city_code(raw_code, pref=get("pref") or None, six=six)
        except ValueError as exc:
            sink.error(n, cols["code"][1], str(exc))
            continue
        if six and len(raw_code) == 5:
            sink.repaired("市区町村コードの先頭の 0 が落ちている行（6 桁に補って読みました）")
        if not scope.accepts(code):
            sink.result.outside += 1
            continue
        number = str(get("id") or "").strip()
        if number.isdigit() and len(number) == 9:
            sink.repaired("事業所番号の先頭の 0 が落ちている行（10 桁に補いました）")
            number = number.zfill(10)
        elif number and len(number) != 10:
            sink.error(n, cols["id"][1], f"事業所番号 {number!r} は 10 桁ではありません")
            continue
        service = str(get("service") or "").strip()
        rule = mapping.care_service(service)
        if rule is not None and rule.code:
            codes.add(rule.code)
        days = get("days")
        if isinstance(days, list):  # the extract's JSON: ["平日", "土曜日", …]
            days = ",".join(str(d) for d in days)
        raw = {f: (get(f), cols[f][1]) for f in ("address", "address_extra", "lat", "lng", "phone", "url", "capacity")
               if f in cols}
        if "days" in cols or "days_note" in cols:
            raw["schedule"] = ({"days": days, "note": get("days_note")}, (cols.get("days") or cols["days_note"])[1])
        raw["description"] = (f"介護サービス: {service}", cols["service"][1])
        sink.site(n, pid=f"{number}:{rule.code}" if number and rule else number, pid_column=cols["id"][1], city=code,
                  name=get("name"), name_column=cols["name"][1], rule=rule, type_value=service,
                  type_column=cols["service"][1], raw=raw, kana=get("kana"), scope_key=rule.code if rule else None)
    sink.result.scope_keys = frozenset(codes)
    return sink.finish()
