"""A municipality's own 圏域 table (日常生活圏域, 福祉エリア, 地区 …) → its areas, in one transaction.

Why a table of 町丁目: that is how municipalities publish their areas — a list, per area, of the
町丁目 (or whole 町/大字) it holds, typed by hand, with 表記ゆれ (白糸台３丁目, 白糸台三丁目) and
ranges (白糸台1～3丁目, 1・2丁目). Each cell is read through the offline geocoder (one home for
spelling rules), so every name in the table resolves to real 町丁目 of the municipality or is
reported with its row and the closest real names. The areas of one level must partition the
municipality: a 町丁目 in two areas and one in none are reported (by row where it has one), and
nothing is written until the table is clean. The polygons are the dissolved 町丁目 cells
(:func:`resourcemap.geo.area_polygons`).

A real run replaces the areas of each level in the table: an existing area with the same name
keeps its id (and its edges) and takes the new 町丁目 list, new names are added, and the other
areas of that level are deleted — in ONE store transaction. The same file imported twice
changes nothing the second time.

Table shape (CSV, UTF-8 or Shift_JIS, or .xlsx — first sheet): a header row naming the columns
区域名 (エリア名, 圏域名, 地区名 …), 階層 (区分, level …) and 町丁目 (町名, 町丁目名 …), then one row per
area (several 町丁目 in a cell, separated by 、 , ・ ; / or line breaks) or per 町丁目 (an empty
区域名/階層 cell repeats the one above, as merged Excel cells do).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..catalogue import TOWN_LEVEL, area_id, area_location
from ..cities import CITIES
from ..errors import GeocodeError, InputError, ValidationFailed
from ..graph.stores.base import GraphStore, NodeQuery
from ..model import Node, parse_node
from ..textnorm import kanji_to_int, normalize
from .records import decode_text

__all__ = ["AreaPlan", "read_table", "expand_chome", "plan_areas", "apply_areas", "import_areas", "HEADERS"]

#: Accepted column names (compared after :func:`normalize`) → field.
HEADERS: dict[str, str] = {
    **dict.fromkeys(["区域名", "区域", "エリア名", "エリア", "圏域名", "圏域", "地区名", "地区", "名称", "area", "name"], "name"),
    **dict.fromkeys(["階層", "区分", "圏域の種類", "区域の種類", "種類", "level"], "level"),
    **dict.fromkeys(["町丁目", "町丁目名", "町名", "町丁名", "町丁", "所属町丁目", "chome", "town"], "chome"),
}
_KEYS = {normalize(k): v for k, v in HEADERS.items()}
_SEPARATORS = re.compile(r"[、，,;；/／\n\r\t 　]+")
_NUM = r"[0-9]+|[〇一二三四五六七八九十]+"
_DASH = r"[～〜~\-－‐―ー−]"
#: 白糸台1～3丁目, 白糸台一丁目～三丁目, 白糸台1-3, 2～3丁目 (base carried from the token before).
_RANGE = re.compile(rf"^(?P<base>.*?)(?P<a>{_NUM})(?:丁目)?{_DASH}(?:(?P=base))?(?P<b>{_NUM})(?:丁目)?$")
#: 2丁目, 3 (a 丁目 of the town named just before: 白糸台1・2丁目).
_NUMBER_ONLY = re.compile(rf"^(?P<n>{_NUM})(?:丁目)?$")
_WHOLE_TOWN = re.compile(r"^(?P<base>.+?)[(（]?(?:全域|全部|全体|一円)[)）]?$")


@dataclass
class _Area:
    level: str
    name: str
    rows: list[int] = field(default_factory=list)
    towns: dict[str, int] = field(default_factory=dict)  # 町丁目 → the row that put it here


@dataclass
class AreaPlan:
    """What an area table would do to the catalogue: per level, the areas to add, change, keep, delete."""

    city: str
    label: str
    areas: list[_Area]
    errors: list[dict[str, Any]]
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[Node, dict[str, Any]]] = field(default_factory=list)
    unchanged: list[Node] = field(default_factory=list)
    deletes: list[Node] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self, *, dry_run: bool) -> dict[str, Any]:
        """The CONTRACT's import summary, plus what each area became."""
        listed = [{"action": "added", "id": d["id"], "name": d["name"], "level": d["level"], "chome": len(d["chome"])}
                  for d in self.creates]
        listed += [{"action": "changed", "id": n.id, "name": n.name, "level": n.level, "chome": len(c.get("chome", n.chome))}
                   for n, c in self.updates]
        listed += [{"action": "unchanged", "id": n.id, "name": n.name, "level": n.level, "chome": len(n.chome)}
                   for n in self.unchanged]
        listed += [{"action": "inactivated", "id": n.id, "name": n.name, "level": n.level, "chome": len(n.chome)}
                   for n in self.deletes]
        return {"added": len(self.creates), "changed": len(self.updates), "unchanged": len(self.unchanged),
                "inactivated": len(self.deletes), "errors": self.errors, "format": "areas", "file": self.label,
                "city": self.city, "dry_run": dry_run, "ok": self.ok, "areas": listed}


# -- reading ------------------------------------------------------------------------------------
def read_table(data: bytes, name: str = "upload") -> list[list[str]]:
    """The cells of a CSV or .xlsx file as text rows (row 1 = the first line/row of the sheet)."""
    if data[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm")):
        try:
            import openpyxl

            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            return [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
        except Exception as exc:  # a damaged or non-Excel zip: the sender's to fix
            raise InputError(f"Excel ファイル {name} を読めません（{type(exc).__name__}）。.xlsx で保存し直すか CSV にしてください。") from None
    text = decode_text(data)
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise InputError(f"CSV が読めません（{exc}）。Excel から「CSV UTF-8」で保存し直してください。") from None


def _header(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    """(index of the header row, field → column index); the header is the first row naming a 町丁目 column."""
    for i, row in enumerate(rows[:20]):
        cols: dict[str, int] = {}
        for j, cell in enumerate(row):
            fieldname = _KEYS.get(normalize(cell))
            if fieldname and fieldname not in cols:
                cols[fieldname] = j
        if "chome" in cols:
            missing = [h for h, f in (("区域名", "name"), ("階層", "level")) if f not in cols]
            if missing:
                raise InputError(f"{i + 1} 行目の見出しに {'、'.join(missing)} の列がありません。"
                                 "区域名・階層・町丁目の3列にしてください（docs/geography.md）。")
            return i, cols
    raise InputError("見出し行（区域名・階層・町丁目）が見つかりません。1 行目に列名を書いてください（docs/geography.md）。")


# -- 町丁目 cells -----------------------------------------------------------------------------------
def _units_of_town(code: str, town: str) -> list[str]:
    from ..geo import resolve_town

    return [c.town for c in resolve_town(code, town)]


def _one(code: str, text: str) -> tuple[list[str], str]:
    """One token → (its 町丁目, the town it names, carried to a following bare number)."""
    from ..geo import geocode

    hit = geocode(text, city=code)
    if hit.precision == "town":  # a town with several 丁目 (白糸台): all of them
        return _units_of_town(code, hit.town), hit.town
    return [hit.chome or ""], hit.town


def expand_chome(code: str, cell: str) -> tuple[list[str], list[str]]:
    """The 町丁目 of *code* a table cell names, in cell order, and messages for the parts that name none.

    Accepts full names (白糸台三丁目), town names meaning all their 丁目 (白糸台, 白糸台全域), 大字
    with or without 大字, ranges (白糸台1～3丁目, 白糸台一丁目～三丁目) and numbers after a town
    (白糸台1・2丁目, 白糸台1、3丁目), with every spelling the geocoder accepts.
    """
    found: list[str] = []
    problems: list[str] = []
    carried = ""
    for part in _SEPARATORS.split(unicodedata.normalize("NFKC", cell)):
        pieces = [part] if not part or "・" not in part else _split_dots(code, part)
        for token in pieces:
            if not token:
                continue
            try:
                towns, carried = _token(code, token, carried)
                found += towns
            except GeocodeError as exc:
                hint = f" 候補: {'、'.join(exc.candidates[:5])}" if exc.candidates and "候補" not in exc.detail else ""
                problems.append(f"「{token}」: {exc.detail}{hint}")
    return list(dict.fromkeys(found)), problems


def _split_dots(code: str, part: str) -> list[str]:
    """Split on ・ unless the whole part is a real name (内田・飯塚・宮内入会)."""
    from ..geo import geocode

    try:
        geocode(part, city=code)
        return [part]
    except GeocodeError:
        return part.split("・")


def _token(code: str, token: str, carried: str) -> tuple[list[str], str]:
    """One token → its 町丁目 and its town. A table holds no 番地, so 長岡2-3 is a range here."""
    number = _NUMBER_ONLY.match(token)
    if number and carried:  # 白糸台1・2丁目 → the 2 is 白糸台二丁目
        return _one(code, f"{carried}{number.group('n')}丁目")
    rng = _RANGE.match(token)
    if rng:
        base = rng.group("base") or carried
        a, b = kanji_to_int(rng.group("a")), kanji_to_int(rng.group("b"))
        if base and a is not None and b is not None and 0 < a <= b < 100:
            towns: list[str] = []
            for n in range(a, b + 1):
                got, base_name = _one(code, f"{base}{n}丁目")
                towns += got
            return towns, base_name
    try:
        return _one(code, token)
    except GeocodeError:
        whole = _WHOLE_TOWN.match(token)
        if not whole:
            raise
    return _units_of_town(code, whole.group("base")), whole.group("base")


# -- planning -----------------------------------------------------------------------------------
def _parse(code: str, rows: list[list[str]]) -> tuple[list[_Area], list[dict[str, Any]]]:
    head, cols = _header(rows)
    column = {f: rows[head][j] for f, j in cols.items()}
    areas: dict[tuple[str, str], _Area] = {}
    errors: list[dict[str, Any]] = []
    owner: dict[tuple[str, str], tuple[_Area, int]] = {}  # (level, 町丁目) → first area and row
    name = level = ""
    for i, row in enumerate(rows[head + 1:], start=head + 2):
        cell = {f: (row[j] if j < len(row) else "") for f, j in cols.items()}
        if not any(cell.values()):
            continue
        name, level = cell["name"] or name, cell["level"] or level
        if not name or not level:
            errors.append({"row": i, "column": column["name" if not name else "level"],
                           "message": "区域名と階層を書いてください（空欄は上の行と同じとみなします）"})
            continue
        area = areas.setdefault((level, name), _Area(level, name))
        area.rows.append(i)
        towns, problems = expand_chome(code, cell["chome"])
        errors += [{"row": i, "column": column["chome"], "message": m} for m in problems]
        for town in towns:
            first = owner.setdefault((level, town), (area, i))
            if first[0] is not area:
                errors.append({"row": i, "column": column["chome"],
                               "message": f"{town}は「{first[0].name}」（{first[1]} 行目）と「{name}」（{i} 行目）の両方にあります。"
                                          "どちらか一方にしてください"})
            else:
                area.towns.setdefault(town, i)
    return list(areas.values()), errors + _uncovered(code, list(areas.values()), column["chome"])


def _uncovered(code: str, areas: list[_Area], column: str) -> list[dict[str, Any]]:
    """One error per 町丁目 of the municipality that no area of a level holds (no row to point at)."""
    from ..geo import chome_units

    out = []
    for level in dict.fromkeys(a.level for a in areas):
        held = {t for a in areas if a.level == level for t in a.towns}
        for unit in chome_units(code):
            if unit.town not in held:
                out.append({"row": None, "column": column,
                            "message": f"{unit.town}は階層「{level}」のどの区域にも入っていません。いずれかの区域に加えてください"})
    return out


def _same_name(node: Node, name: str) -> bool:
    key = normalize(name)
    return key in (normalize(node.name), normalize(node.name.removesuffix(node.level or "")))


def plan_areas(store: GraphStore, city: str, data: bytes, *, name: str = "upload") -> AreaPlan:
    """Read the table and compare it with the catalogue's areas of the same levels (nothing written)."""
    from ..geo import area_polygons

    code = city
    areas, errors = _parse(code, read_table(data, name))
    if not areas and not errors:
        errors.append({"row": None, "column": None, "message": "区域の行がありません。"})
    plan = AreaPlan(code, name, areas, errors)
    if errors:
        return plan
    for level in dict.fromkeys(a.level for a in areas):
        mine = [a for a in areas if a.level == level]
        area_polygons(code, {a.name: list(a.towns) for a in mine})  # the partition dissolves (raises if not)
        existing = [n for n in store.query_nodes(NodeQuery(kind="area", city=code)) if n.level == level]
        for a in mine:
            towns = [u for u in _unit_order(code) if u in a.towns]
            values = {"chome": towns, "membership": "municipality", **area_location(code, towns)}
            node = next((n for n in existing if _same_name(n, a.name)), None)
            if node is None:
                plan.creates.append({"id": area_id(code, level, a.name), "kind": "area", "name": a.name,
                                     "level": level, "city": code, "source": f"import:{name}",
                                     "description": f"自治体の圏域表（{name}）から作成。", **values})
                continue
            existing.remove(node)
            changes = {k: v for k, v in values.items() if getattr(node, k) != v}
            if changes:
                plan.updates.append((node, changes))
            else:
                plan.unchanged.append(node)
        plan.deletes += existing
    return plan


def _unit_order(code: str) -> list[str]:
    from ..geo import chome_units

    return [c.town for c in chome_units(code)]


def _checked(store: GraphStore, data: dict[str, Any]) -> Node:
    """*data* validated once and checked against the catalogue (geography, area), as every import does
    (:mod:`resourcemap.io.plan`): the table's own provenance stays (``import:<file>``), unlike an API edit."""
    from ..editing import node_problems, store_lookup

    node = parse_node(data)
    problems = node_problems(node, store_lookup(store))
    if problems:
        raise ValidationFailed(f"区域 {node.name} を書き込めません: "
                               + "; ".join(f"{p['field']}: {p['message']}" for p in problems), errors=problems)
    return node


def apply_areas(store: GraphStore, plan: AreaPlan, *, actor: str) -> None:
    """Write the plan in ONE transaction (all or nothing); the municipality's primary level follows the table."""
    with store.batch():
        for data in plan.creates:
            store.create_node(_checked(store, data), actor=actor)
        for node, changes in plan.updates:
            store.update_node(_checked(store, {**node.public_dict(), **changes}), expected_version=node.version,
                              actor=actor)
        for node in plan.deletes:
            store.delete_node(node.id, expected_version=node.version, actor=actor)
        level = plan.areas[0].level
        for muni in store.query_nodes(NodeQuery(kind="municipality", city=plan.city)):
            if muni.primary_area_level in (None, TOWN_LEVEL) and muni.primary_area_level != level:
                store.update_node(_checked(store, {**muni.public_dict(), "primary_area_level": level}),
                                  expected_version=muni.version, actor=actor)


def import_areas(store: GraphStore, data: bytes, *, name: str = "upload", city: str | None,
                 dry_run: bool = True, actor: str = "import") -> dict[str, Any]:
    """Plan and (unless *dry_run* or with errors) apply an area table; returns the summary.

    *city* is the municipality's code or name, read against the catalogue's municipalities.
    """
    from ..queries import catalogue_city

    if not city:
        raise InputError("区域表の取り込みには市区町村（コードか名前: コマンドでは --city、API では city）が必要です。")
    code = catalogue_city(store, city)
    plan = plan_areas(store, code, data, name=name)
    if plan.ok and not dry_run:
        apply_areas(store, plan, actor=actor)
    out = plan.summary(dry_run=dry_run)
    out["city_name"] = CITIES[code].full_name
    return out
