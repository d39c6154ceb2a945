"""Offline 町丁目 geocoder for every municipality of Japan.

Why offline and only to 町丁目: addresses come from households (privacy: the 番地/号 after the
丁目 must never be stored or logged) and from seed files; a 町丁目 point is the finest precision
REFERENCE.md allows. Every coordinate returned is a real data point (or, for a bare town name,
the mean of its real 丁目 points — precision ``town``).

Accepted input (any mix): prefecture and city present or absent (東京都府中市白糸台三丁目,
府中市白糸台3丁目, 白糸台三丁目), kanji / arabic / full-width numbers (白糸台３), 丁目 present or
absent (白糸台3), trailing 番地/号 which is parsed and dropped (白糸台3-5-1, 白糸台三丁目5番1号),
旧字 and ヶ/ケ/が variants, 大字 present or absent (入間市二本木 = 入間市大字二本木), and a 小字
after its 大字 (甲州市塩山下塩後向原).

Resolution, per candidate city: (1) the whole name is a 町丁目 → that point, precision
``chome``; a town/base name with one 町丁目 → that point; with several 丁目 (白糸台, 高倉 =
大字高倉 + 高倉一〜五丁目) → mean of their points, precision ``town``; (2) ``<town><n>丁目…`` →
the n-th 丁目; (3) ``<town><n>`` / ``<town><n>-…`` → the n-th 丁目 when the town has one,
otherwise the number is a 番地 of a 大字 (or of a 大字 + 小字) and that point is used. When no
city is known and a name exists in several cities of the scope (本町一丁目: 府中市 and
武蔵村山市) the call fails and asks for the city.

Which municipalities: one written in the text is found anywhere in Japan (with its 郡 or not,
a ward, or a whole 政令市 — 横浜市鶴見区… reads as the ward, and as 横浜市 14100 with
``city="14100"``; 札幌市北1条西… is also tried in each ward, and 条 numbers may be digits); a
name shared by municipalities (府中市) is tried in each, and the one holding the 町丁目 answers.
Without a municipality in the text or *city*, the *scope* (a catalogue's municipalities; the
five seeds by default) is searched. Each municipality's data is read on first use.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ..cities import CITIES, SEED_CITIES, wards_of
from ..errors import GeocodeError
from ..textnorm import int_to_kanji, kanji_to_int, normalize
from ._common import as_code, city_name, close_names
from .chome import OAZA, Chome, _rows_of, _unit_index, _units_of, base_key, mean_point, resolve_town, town_key

__all__ = ["GeocodeResult", "geocode", "town_centroid", "PREFECTURES"]

Precision = Literal["chome", "town"]

#: The 47 都道府県 (to strip a leading prefecture from an address).
PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)

_WS = re.compile(r"[\s\u3000]+")
_KANJI_NUM = "〇一二三四五六七八九十"
# <town><n>丁目<anything>: the rest (番地, 号, building) is dropped.
_WITH_CHOME = re.compile(rf"^(?P<base>.+?)(?P<num>[0-9]+|[{_KANJI_NUM}]+)丁目?(?P<rest>.*)$")
# <town><n> or <town><n>-<…> / <n>番… / <n>の…: n is the 丁目 if the town has it, else a 番地.
_WITH_NUMBER = re.compile(r"^(?P<base>.+?)(?P<num>[0-9]+)(?P<rest>(?:[-‐‑‒–—―−－ーの番号].*)?)$")
# 北1条西 (札幌市, 旭川市 …): the 条 number, written in kanji by the data.
_JO_NUMBER = re.compile(r"([0-9]+)(?=条)")
# <town><kanji n> at the very end (白糸台三).
_KANJI_TAIL = re.compile(rf"^(?P<base>.+?)(?P<num>[{_KANJI_NUM}]+)$")


@dataclass(frozen=True)
class GeocodeResult:
    """Where a text resolved to.

    ``city`` is the 5-digit code; ``chome`` the 町丁目 name as in the data (``None`` for a
    ``town``-precision result); ``query`` the part of the input that was used — prefecture,
    city, town and 丁目 only, never the 番地/号, so it is safe to store; ``town`` the town
    (base) name, e.g. 白糸台, usable as ``locate: {town: …}``. A 小字 query
    (塩山下塩後向原) gets the 小字 row's own point, with ``chome`` = its 大字 (塩山下塩後).
    """

    city: str
    chome: str | None
    lat: float
    lng: float
    precision: Precision
    query: str
    town: str = ""


@dataclass(frozen=True)
class _CityIndex:
    by_name: dict[str, Chome]                       # 町丁目 key (and 町丁目+小字 key) → point
    by_base: dict[str, dict[int | None, Chome]]     # base key → 丁目 number (None: no 丁目) → unit
    base_name: dict[str, str]                       # base key → display base name
    centroid: dict[str, tuple[float, float]]        # base key → mean of its unit points
    suggest: dict[str, list[str]]                   # key → display names, for candidates


@lru_cache(maxsize=None)
def _index(code: str) -> _CityIndex:
    by_name: dict[str, Chome] = dict(_unit_index(code))
    for c in _rows_of(code):
        if c.koaza:
            by_name.setdefault(town_key(c.town + c.koaza), c)
    by_base: dict[str, dict[int | None, Chome]] = {}
    base_name: dict[str, str] = {}
    for c in _units_of(code):
        k = base_key(c.base)
        by_base.setdefault(k, {}).setdefault(c.number, c)
        base_name.setdefault(k, c.base)
    centroid = {k: mean_point(v.values()) for k, v in by_base.items()}
    suggest: dict[str, list[str]] = {}
    for k, c in by_name.items():
        suggest.setdefault(k, []).append(c.label if k != town_key(c.town) else c.town)
    for k, name in base_name.items():
        if len(by_base[k]) > 1:
            suggest.setdefault(k, []).append(name)
    return _CityIndex(by_name, by_base, base_name, centroid, suggest)


@dataclass(frozen=True)
class _Miss:
    """A name that exists but with a 丁目 number that does not (白糸台九丁目)."""

    message: str
    candidates: list[str]


@dataclass(frozen=True)
class _Numbered:
    """One reading of the text as <town><number>: keys computed once, looked up in every city."""

    key: str              # normalised town part, 大字 removed
    explicit_oaza: bool   # the text wrote 大字: only the 大字 itself may match
    number: int           # 丁目 number, or a 番地 when the town has no such 丁目
    explicit_chome: bool  # 丁目 was written: the number cannot be a 番地
    with_number: str      # the used text when the number is the 丁目
    without_number: str   # the used text when the number is a 番地 (dropped: never stored)


@dataclass(frozen=True)
class _Parsed:
    name: str                      # NFKC text after prefecture/city, no spaces
    key: str                       # normalised whole name
    readings: tuple[_Numbered, ...]


def _parse(name: str, prefix: str) -> _Parsed:
    """Normalise once; list the <town><number> readings (丁目 written, arabic number, kanji tail).

    Numbers before 条 are written in kanji first, as the data does (札幌市の北1条西 → 北一条西).
    """
    name = _JO_NUMBER.sub(lambda m: int_to_kanji(int(m.group(1))) if 0 < int(m.group(1)) < 100 else m.group(1), name)
    readings = []
    for pattern, explicit in ((_WITH_CHOME, True), (_WITH_NUMBER, False), (_KANJI_TAIL, False)):
        m = pattern.match(name)
        n = kanji_to_int(m.group("num")) if m else None
        if m is None or n is None:
            continue
        key = normalize(m.group("base"))
        readings.append(_Numbered(key.removeprefix(OAZA), key.startswith(OAZA), n, explicit,
                                  prefix + m.group("base") + m.group("num") + ("丁目" if explicit else ""),
                                  prefix + m.group("base")))
    return _Parsed(name, normalize(name), tuple(readings))


def _hit(code: str, c: Chome, used: str) -> GeocodeResult:
    return GeocodeResult(code, c.town, c.lat, c.lng, "chome", used, c.base)


def _by_base(code: str, idx: _CityIndex, key: str, used: str) -> GeocodeResult | None:
    """A town/base name without number: the only unit, or the town centroid."""
    bkey = key.removeprefix(OAZA)
    entries = idx.by_base.get(bkey)
    if not entries:
        return None
    if key.startswith(OAZA):
        return _hit(code, entries[None], used) if None in entries else None
    if len(entries) == 1:
        return _hit(code, next(iter(entries.values())), used)
    lat, lng = idx.centroid[bkey]
    return GeocodeResult(code, None, lat, lng, "town", used, idx.base_name[bkey])


def _numbered(code: str, idx: _CityIndex, r: _Numbered) -> GeocodeResult | _Miss | None:
    entries = idx.by_base.get(r.key)
    if not entries:
        if r.explicit_chome:
            return None
        # a 大字 + 小字 followed by a 番地 (東浦町大字緒川明治7-9): the 小字 row's own point
        c = idx.by_name.get(r.key) or idx.by_name.get(OAZA + r.key)
        return GeocodeResult(code, c.town, c.lat, c.lng, "chome", r.without_number, c.base) if c else None
    if r.explicit_oaza and not r.explicit_chome:  # 大字X123: the number is a 番地 (大字X四丁目: a 丁目, 弘前市)
        return _hit(code, entries[None], r.without_number) if None in entries else None
    if r.number in entries:
        return _hit(code, entries[r.number], r.with_number)
    if not r.explicit_chome and None in entries:  # 宮寺2418, 高倉9-1 (no 高倉九丁目): 番地 of the 大字
        return _hit(code, entries[None], r.without_number)
    numbered = sorted((k, c.town) for k, c in entries.items() if k is not None)
    if not numbered:
        return None
    base = idx.base_name[r.key]
    wanted = f"{base}{int_to_kanji(r.number)}丁目" if 0 < r.number < 100 else f"{base}{r.number}丁目"
    first, last = int_to_kanji(numbered[0][0]), int_to_kanji(numbered[-1][0])
    return _Miss(f"{city_name(code)}{base}には{wanted}がありません（{first}丁目〜{last}丁目）。丁目の番号を確認してください。",
                 [t for _, t in numbered])


def _lookup(code: str, p: _Parsed, prefix: str) -> GeocodeResult | _Miss | None:
    """Resolve a parsed name within one city: whole name, then base name, then numbered readings."""
    idx = _index(code)
    if p.key in idx.by_name:
        c = idx.by_name[p.key]
        return GeocodeResult(code, c.town, c.lat, c.lng, "chome", prefix + p.name, c.base)
    found = _by_base(code, idx, p.key, prefix + p.name)
    if found:
        return found
    miss: _Miss | None = None
    for reading in p.readings:
        r = _numbered(code, idx, reading)
        if isinstance(r, GeocodeResult):
            return r
        miss = miss or r
    return miss


def _without_house_number(name: str) -> str:
    """The name part of *name* with any 番地/号 dropped (for messages that may be logged)."""
    for pattern in (_WITH_CHOME, _WITH_NUMBER):
        m = pattern.match(name)
        if m:
            return m.group("base") + m.group("num") + ("丁目" if pattern is _WITH_CHOME else "")
    return name


@dataclass(frozen=True)
class _Target:
    """One way to read the text: this municipality, this remainder, this used prefix text."""

    code: str
    rest: str
    prefix: str


@lru_cache(maxsize=1)
def _prefix_index() -> dict[str, tuple[tuple[str, str], ...]]:
    """First two characters → (municipality name as written, code), longest names first.

    Names: the registry's (府中市, 札幌市中央区), the data's other spellings (龍ヶ崎市) and both
    with their 郡 (西多摩郡瑞穂町). Built once, on the first address that needs it.
    """
    index: dict[str, list[tuple[str, str]]] = {}
    for city in CITIES.values():
        names = {city.name, *city.aliases}
        names |= {city.county + n for n in names if city.county}
        for name in names:
            index.setdefault(name[:2], []).append((name, city.code))
    return {k: tuple(sorted(v, key=lambda t: (-len(t[0]), t[1]))) for k, v in index.items()}


def _city_readings(s: str, pref: str | None, prefix: str) -> list[_Target]:
    """Every municipality whose name *s* starts with (in *pref* when given), with the remainder.

    A ward's name also reads as its whole 政令市 with the ward kept in the remainder
    (横浜市鶴見区朝日町 → 14101 朝日町 and 14100 鶴見区朝日町).
    """
    out: list[_Target] = []
    for name, code in _prefix_index().get(s[:2], ()):
        city = CITIES[code]
        if s.startswith(name) and (pref is None or city.pref == pref):
            out.append(_Target(code, s[len(name):], prefix + name))
    return out


def _targets(text: str, code: str | None, scope: tuple[str, ...]) -> tuple[list[_Target], str | None]:
    """Where to look: (targets, prefecture written). Raises for a prefecture/city that contradicts *code*."""
    s = _WS.sub("", unicodedata.normalize("NFKC", text or ""))
    pref = next((p for p in PREFECTURES if s.startswith(p)), None)
    prefix = pref or ""
    s = s[len(prefix):]
    readings = _city_readings(s, pref, prefix)
    if code:
        if pref and CITIES[code].pref != pref:
            raise GeocodeError(f"{city_name(code)}は{CITIES[code].pref}の市区町村です（入力: {pref}）。都道府県を直してください。",
                               candidates=[], city=code)
        mine = [t for t in readings if t.code == code]
        if mine:
            return mine, pref
        whole = _Target(code, s, prefix)
        if readings and not isinstance(_lookup(code, _parse(s, prefix), prefix), GeocodeResult):
            other = readings[0].code
            raise GeocodeError(f"住所の市区町村（{CITIES[other].full_name}）と指定された市区町村（{CITIES[code].full_name}）が"
                               "一致しません。どちらかを直してください。", candidates=[], city=code)
        return [whole], pref
    if readings:
        inside = [t for t in readings if t.code in scope]
        return inside or readings, pref
    codes = [c for c in scope if pref is None or CITIES[c].pref == pref]
    if not codes:
        raise GeocodeError(f"{pref}の住所は市区町村名から書いてください（例: {pref}○○市△△町一丁目）。", candidates=[])
    return [_Target(c, s, prefix) for c in codes], pref


def _with_wards(t: _Target) -> list[_Target]:
    """A whole 政令市 read without a ward (札幌市北一条西二丁目) is also read in each of its wards."""
    city = CITIES[t.code]
    wards = [w.name.removeprefix(city.name) for w in wards_of(t.code)]
    if not wards or any(t.rest.startswith(w) for w in wards):
        return [t]
    return [t, *(_Target(t.code, w + t.rest, t.prefix) for w in wards)]


def _drop_whole_cities(hits: list[GeocodeResult]) -> list[GeocodeResult]:
    """A ward and its whole 政令市 found at the same point are one answer: keep the ward."""
    wards = {(CITIES[h.city].parent, h.lat, h.lng) for h in hits if CITIES[h.city].parent}
    return [h for h in hits if (h.city, h.lat, h.lng) not in wards]


def geocode(text: str, city: str | None = None, *, scope: Iterable[str] | None = None) -> GeocodeResult:
    """Resolve an address or 町丁目 name to a real 町丁目 point (see the module doc for the rules).

    *city* (code or name) restricts the search; a municipality written in *text* is used as
    well and must agree with it. Without either, the text is looked up in the municipalities of
    *scope* (codes; default: the five seed municipalities) — a catalogue passes its own, so the
    prefecture and city may be left out when it holds one municipality. A municipality written
    in the text is found anywhere in Japan. Raises :class:`GeocodeError` (with ``.candidates``:
    the closest real names) when nothing matches, when a name exists in several municipalities
    and none is given, or when the text names only a prefecture/city (use
    ``boundaries.city_point`` for that).
    """
    code = as_code(city) if city is not None else None
    within = tuple(as_code(c) for c in scope) if scope is not None else tuple(SEED_CITIES)
    targets, pref = _targets(text, code, within)
    if not any(t.rest for t in targets):
        where = city_name(targets[0].code) if len({t.code for t in targets}) == 1 else (pref or "")
        raise GeocodeError(f"「{where}」には町丁目名がありません。町丁目（例: 白糸台三丁目）まで指定するか、市の代表点を使ってください。",
                           candidates=[], city=code)
    rest = targets[0].rest  # as typed (before a ward is tried in front of it)
    targets = [w for t in targets if t.rest for w in _with_wards(t)]

    hits: list[GeocodeResult] = []
    misses: list[_Miss] = []
    parsed: dict[tuple[str, str], _Parsed] = {}
    for t in targets:
        key = (t.rest, t.prefix)
        if key not in parsed:
            parsed[key] = _parse(t.rest, t.prefix)
        r = _lookup(t.code, parsed[key], t.prefix)
        if isinstance(r, GeocodeResult):
            hits.append(r)
        elif r is not None:
            misses.append(r)
    hits = _drop_whole_cities(hits)
    if len(hits) == 1:
        return hits[0]
    shown = _without_house_number(rest)
    if hits:
        several_prefs = len({CITIES[h.city].pref for h in hits}) > 1
        cands = [f"{CITIES[h.city].full_name if several_prefs else city_name(h.city)}{h.chome or h.town}" for h in hits]
        raise GeocodeError(f"「{shown}」は複数の市区町村にあります（{'、'.join(cands)}）。市区町村を指定してください。",
                           candidates=cands)
    if misses:
        raise GeocodeError(misses[0].message, candidates=[n for m in misses for n in m.candidates])
    codes = list(dict.fromkeys(t.code for t in targets))
    cands = _suggestions(codes, shown, with_city=len(codes) > 1)
    hint = f" 候補: {'、'.join(cands)}" if cands else " 町丁目名のつづりと市区町村を確認してください。"
    if code:  # the name may exist in another municipality of the scope: say so (but suggest only this one's names)
        p = _parse(rest, "")
        elsewhere = [r for c in within if c != code and isinstance(r := _lookup(c, p, ""), GeocodeResult)]
        if elsewhere:
            hint += "（" + "、".join(f"{city_name(r.city)}に{r.chome or r.town}があります" for r in elsewhere) + "）"
    where = city_name(codes[0]) if len(codes) == 1 else "対象の市区町村（" + "、".join(city_name(c) for c in codes) + "）"
    raise GeocodeError(f"{where}に「{shown}」という町丁目はありません。{hint}", candidates=cands, city=code)


def _suggestions(codes: list[str], name: str, with_city: bool) -> list[str]:
    merged: dict[str, list[str]] = {}
    for c in codes:
        for k, names in _index(c).suggest.items():
            merged.setdefault(k, []).extend(f"{city_name(c)}{n}" if with_city else n for n in names)
    return close_names(normalize(name), merged)


def town_centroid(city: str, town: str) -> tuple[float, float]:
    """(lat, lng) of a town: the mean of its 丁目 points (白糸台 → 白糸台一〜六丁目), rounded to 1e-6°.

    Accepts base names with or without 大字 and full 町丁目 names (which give that point).
    Raises :class:`GeocodeError` with candidates for an unknown name.
    """
    return mean_point(resolve_town(city, town))
