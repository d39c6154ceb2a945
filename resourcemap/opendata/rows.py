"""What every reader produces: one :class:`SiteRow` per facility, and problems by row and column.

Why a shared sink: the readers differ in their columns, not in what a row must satisfy — an id,
a name, a type the mapping knows, a point that is a number — nor in how a publisher's phone or
opening days are cleaned (:mod:`.clean`). :class:`RowSink` applies those rules once, records
each problem with the publisher's own column name, and keeps only usable rows.

Errors make a row unusable (or, for its point, unplaceable); warnings say what was dropped or
repaired (an unreadable phone number, 事業所番号 padded to 10 digits) and never block an import.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import clean
from .mapping import TypeRule

__all__ = ["Problem", "SiteRow", "ReadResult", "Scope", "RowSink"]

Problem = dict[str, Any]  # {"row": int | None, "column": str | None, "message": str}


@dataclass(frozen=True)
class Scope:
    """Which municipalities an import covers: one code, a prefecture, or the whole file."""

    city: str | None = None   # 5-digit code
    pref: str | None = None   # 2-digit prefecture code

    def accepts(self, code: str) -> bool:
        if self.city is not None:
            return code == self.city
        if self.pref is not None:
            return code[:2] == self.pref
        return True

    def describe(self) -> str:
        return self.city or (f"都道府県 {self.pref}" if self.pref else "ファイル全体")


@dataclass(slots=True)
class SiteRow:
    """One facility as a publisher lists it, cleaned and mapped, not yet a node."""

    row: int
    pid: str                      # the publisher's id: the site's external id in this dataset
    city: str                     # 5-digit code
    name: str
    rule: TypeRule
    type: str                     # the publisher's type value (or the rule's type, for name rules)
    fields: dict[str, Any]        # node fields: address, lat, lng, phone, url, email, schedules, capacity …
    columns: dict[str, str]       # node field → the publisher's column (for messages)
    categories: tuple[str, ...]   # the rule's categories plus the dataset's own (shelter.*)
    kana: str | None = None
    scope_key: str | None = None  # for files covering only some service types: the type's code
    point_error: bool = False     # the row had a point that could not be used


@dataclass
class ReadResult:
    dataset: str
    format: str
    rows: list[SiteRow]
    errors: list[Problem]
    warnings: list[Problem]
    rows_read: int = 0            # data rows in the file
    outside: int = 0              # rows of municipalities outside the scope
    scope_keys: frozenset[str] | None = None  # the service codes the file covers (None: every row counts)
    date_hint: date | None = None
    present: set[str] = field(default_factory=set)  # every id the file lists, rows with errors included
    error_rows: set[int] = field(default_factory=set)  # data rows with an error (left out, or placed without a point)


class RowSink:
    """Collects a reader's rows and problems; :meth:`site` applies the rules every row shares."""

    def __init__(self, dataset: str, fmt: str, scope: Scope) -> None:
        self.result = ReadResult(dataset=dataset, format=fmt, rows=[], errors=[], warnings=[])
        self.scope = scope
        self._seen: dict[str, int] = {}
        self._repairs: dict[str, int] = {}

    def error(self, row: int | None, column: str | None, message: str, *, header: bool = False) -> None:
        """A problem of a data *row* (or, with *header*, of the file's header row: a missing column)."""
        self.result.errors.append({"row": row, "column": column, "message": message})
        if row is not None and not header:
            self.result.error_rows.add(row)

    def missing(self, row: int, column: str, message: str) -> None:
        """A required column is missing (reported on the header row)."""
        self.error(row, column, message, header=True)

    def warn(self, row: int | None, column: str | None, message: str) -> None:
        self.result.warnings.append({"row": row, "column": column, "message": message})

    def repaired(self, what: str) -> None:
        """Count a known publisher defect repaired on a row (reported once per kind, with the count)."""
        self._repairs[what] = self._repairs.get(what, 0) + 1

    def saw(self, pid: str, row: int) -> None:
        """Note an id the file lists on a row that :meth:`site` does not see (a merged duplicate)."""
        self._seen.setdefault(pid, row)

    def finish(self) -> ReadResult:
        for what, n in self._repairs.items():
            self.warn(None, None, f"{what}: {n} 行")
        self.result.present = set(self._seen)
        return self.result

    def site(self, row: int, *, pid: str, pid_column: str, city: str, name: Any, name_column: str,
             rule: TypeRule | None, type_value: str | None, type_column: str | None,
             raw: dict[str, tuple[Any, str]], extra_categories: tuple[str, ...] = (), kana: str | None = None,
             scope_key: str | None = None) -> SiteRow | None:
        """Check and clean one row; returns None (with errors recorded) when it cannot become a site.

        *raw* maps node fields to (the publisher's value, its column): ``address``, ``lat``, ``lng``,
        ``phone``, ``url``, ``email``, ``capacity``, ``schedule`` (a dict of days/opens/closes/note),
        ``accessibility``, ``alternate_name``, ``description``.
        """
        ok = True
        if not pid:
            self.error(row, pid_column, "識別子がありません。取り込みの突き合わせに使うので必ず書いてください")
            ok = False
        elif pid in self._seen:
            self.error(row, pid_column, f"識別子 {pid} は {self._seen[pid]} 行目と重複しています。1 施設 1 行にしてください")
            ok = False
        else:
            self._seen[pid] = row
        site_name = clean.text(name, limit=200)
        if not site_name:
            self.error(row, name_column, "名称がありません")
            ok = False
        if rule is None:
            self.error(row, type_column or name_column,
                       f"種別「{type_value or site_name}」は対応表にありません（resourcemap/opendata/mapping.yaml に追加してください）")
            ok = False
        if not ok or rule is None or not site_name:  # (each of these was reported above)
            return None
        fields: dict[str, Any] = {}
        columns: dict[str, str] = {}
        point_error = self._point(row, raw, fields, columns)
        for key, fn, what in (("phone", clean.phone, "電話番号"), ("url", clean.url, "URL"), ("email", clean.email, "メールアドレス")):
            if key in raw:
                value, column = raw[key]
                cleaned = fn(value)
                if cleaned:
                    fields[key], columns[key] = cleaned, column
                elif clean.text(value):
                    self.warn(row, column, f"{what} {value!r} が読めないため取り込みません")
        if "address" in raw:
            value, column = raw["address"]
            extra = raw.get("address_extra", (None, ""))[0]
            if (addr := clean.address(value, extra)):
                fields["address"], columns["address"] = addr[:200], column
        if "capacity" in raw:
            value, column = raw["capacity"]
            try:
                if (cap := clean.capacity(value)) is not None:
                    fields["capacity"], columns["capacity"] = cap, column
            except ValueError:
                self.warn(row, column, f"定員 {value!r} は整数ではないため取り込みません")
        if "schedule" in raw:
            spec, column = raw["schedule"]
            try:
                if (sched := clean.schedule(**spec)):
                    fields["schedules"], columns["schedules"] = sched, column
            except ValueError as exc:
                self.warn(row, column, f"{exc}（開設日時は取り込みません）")
        for key, limit in (("alternate_name", 200), ("description", 2000)):
            if key in raw and (v := clean.text(raw[key][0], limit=limit)):
                fields[key], columns[key] = v, raw[key][1]
        if "accessibility" in raw and (items := clean.accessibility(raw["accessibility"][0])):
            fields["accessibility"], columns["accessibility"] = items, raw["accessibility"][1]
        categories = tuple(dict.fromkeys((*rule.categories, *extra_categories)))
        site = SiteRow(row=row, pid=pid, city=city, name=site_name, rule=rule, type=type_value or rule.type,
                       fields=fields, columns=columns, categories=categories, kana=clean.text(kana),
                       scope_key=scope_key, point_error=point_error)
        self.result.rows.append(site)
        return site

    def _point(self, row: int, raw: dict[str, tuple[Any, str]], fields: dict[str, Any], columns: dict[str, str]) -> bool:
        """Read lat/lng; True when the row had a point that is unusable (reported as an error)."""
        if "lat" not in raw and "lng" not in raw:
            return False
        (lat_raw, lat_col), (lng_raw, lng_col) = raw.get("lat", (None, "緯度")), raw.get("lng", (None, "経度"))
        column = lat_col if lat_col == lng_col else f"{lat_col}/{lng_col}"
        try:
            lat, lng = clean.number(lat_raw), clean.number(lng_raw)
        except ValueError:
            self.error(row, column, f"緯度・経度 ({lat_raw}, {lng_raw}) が数値ではありません。位置は取り込みません")
            return True
        if lat is None and lng is None:
            self.warn(row, column, "緯度・経度がないため位置は未登録になります")
            return False
        if lat is None or lng is None or (lat == 0 and lng == 0):
            self.error(row, column, f"緯度・経度 ({lat_raw}, {lng_raw}) が欠けているか 0 です。位置は取り込みません")
            return True
        if not (20.0 <= lat <= 46.0 and 122.0 <= lng <= 154.0):
            self.error(row, column, f"緯度・経度 ({lat}, {lng}) は日本の範囲外です（緯度と経度が逆ではありませんか）。位置は取り込みません")
            return True
        fields.update(lat=lat, lng=lng, location_precision="exact")
        columns["lat"] = columns["lng"] = column
        return False
