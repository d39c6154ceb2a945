"""Field rules: what each stored string may hold — its length, its characters, its format.

Why one module of pure functions: every writer (the API, the CSV/GeoJSON/HSDS importers, the
open-data importers, the seeds) builds its records through the pydantic models of
:mod:`resourcemap.model`, and those models call the rules below from one validator, so a
value is checked once, at the boundary, the same way whoever writes it. A value that passes
is stored in one canonical form (normalised Unicode, one way of writing a phone number), so
pages, exports and spreadsheets never meet a NUL, a right-to-left override, a megabyte URL or
a ``javascript:`` link.

What is checked:

* **Characters.** No control characters (C0/C1, DEL), format characters (bidi overrides such
  as U+202E, zero-width spaces and joiners, soft hyphen, BOM), lone surrogates or
  noncharacters. Free text that may run over several lines (descriptions) keeps ``\\n`` and
  tab; line ends are stored as ``\\n``.
* **Normalisation.** Text is NFC, with full-width letters/digits and half-width katakana
  folded to their usual width (「ＮＰＯ法人ｶﾞﾝﾊﾞﾛｳ」 → 「NPO法人ガンバロウ」); Japanese
  punctuation such as 「（）」「・」 is kept as written. Contact fields (email, phone, URL) are
  NFKC first, so full-width digits and dashes are read.
* **Formats.** Email (the WHATWG form syntax, domain lower-cased); phone (Japanese numbers —
  fixed lines with any 市外局番, 0120/0800/0570, mobiles, 050 — with or without hyphens or
  parentheses, plus 内線; stored as ``042-335-1111`` / ``042-335-1111 内線123``; also the
  short numbers 「#8000」「189」); URL (``http``/``https`` only, a host, no credentials, no
  spaces); prefecture (one of the 47 都道府県).
* **Lengths** in characters after normalisation, and lengths of lists (:data:`NODE_FIELDS` …).

Each rule is a callable ``value -> canonical value`` raising :class:`ValueError` with a
Japanese message that says what to write instead. Records already stored before a rule
existed are still read (a stored record is rebuilt without validation,
:func:`resourcemap.model.stored_node`); ``resourcemap check`` lists them.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "Rule", "text", "line", "email", "phone", "url", "prefecture", "ref", "items", "unique_items", "external_ids",
    "bad_chars", "fold_width", "NODE_FIELDS", "EDGE_FIELDS", "SCHEDULE_FIELDS", "TARGETS_FIELDS",
    "MAX_PHONE", "MAX_EMAIL", "MAX_URL",
]

MAX_EMAIL = 254  # RFC 5321 path limit
MAX_URL = 2000   # what every browser and spreadsheet handles
MAX_PHONE = 40

# -- characters -------------------------------------------------------------------------------
_WIDTH_FOLD = re.compile(r"[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A\uFF61-\uFF9F]+")
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x85]")


def fold_width(value: str) -> str:
    """NFC, with full-width ASCII letters/digits → half width and half-width katakana → full width."""
    return unicodedata.normalize("NFC", _WIDTH_FOLD.sub(lambda m: unicodedata.normalize("NFKC", m.group()), value))


def _is_bad(ch: str, multiline: bool) -> bool:
    if multiline and ch in "\n\t":
        return False
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Cs", "Zl", "Zp"):
        return True
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE  # noncharacters


def bad_chars(value: str, *, multiline: bool = False) -> list[str]:
    """The characters *value* may not hold, as ``U+202E RIGHT-TO-LEFT OVERRIDE`` (each once, in order)."""
    if value.isprintable():  # fast path: isprintable() is False for every category refused here
        return []
    out: dict[str, None] = {}
    for ch in value:
        if _is_bad(ch, multiline):
            out[f"U+{ord(ch):04X} {unicodedata.name(ch, 'control')}"] = None
    return list(out)


def _check_chars(value: str, multiline: bool) -> None:
    bad = bad_chars(value, multiline=multiline)
    if bad:
        where = "（改行・タブ以外）" if multiline else "（改行・タブを含む）"
        raise ValueError(f"使えない制御文字・書式文字があります{where}: {', '.join(bad[:5])}。削除してください")


def _check_length(value: str, max_len: int, *, slack: int = 1) -> None:
    """Refuse *value* over *max_len* characters (over ``slack × max_len`` when checked before normalising)."""
    if len(value) > slack * max_len:
        raise ValueError(f"{max_len:,} 文字以内にしてください（{len(value):,} 文字あります）")


# -- rules ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """One field's rule: a checker, plus the limits the OpenAPI document shows."""

    check: Callable[[Any], Any]
    max_length: int | None = None
    max_items: int | None = None

    def __call__(self, value: Any) -> Any:
        return value if value is None else self.check(value)


def text(max_len: int, *, multiline: bool = False) -> Rule:
    """Free text: no control/format characters (``\\n``/tab allowed when *multiline*), width-folded NFC."""

    def check(value: str) -> str:
        _check_length(value, max_len, slack=4)  # far too long: say so before normalising megabytes
        value = fold_width(_LINE_BREAKS.sub("\n", value) if multiline else value)
        _check_chars(value, multiline)
        _check_length(value, max_len)
        return value
    return Rule(check, max_length=max_len)


def line(max_len: int) -> Rule:
    """A single line of text (a name, an address, a label)."""
    return text(max_len)


_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$")


def _contact(value: str, max_len: int) -> str | None:
    """A contact field read the way people type it: NFKC (full-width digits, ＠), trimmed, checked; '' → None."""
    _check_length(value, max_len, slack=4)
    v = unicodedata.normalize("NFKC", value).strip()
    if not v:
        return None
    _check_chars(v, False)
    _check_length(v, max_len)
    return v


def _email(value: str) -> str | None:
    v = _contact(value, MAX_EMAIL)
    if v is None:
        return None
    m = _EMAIL.match(v)
    if not m:
        raise ValueError(f"メールアドレスの形ではありません（{v[:60]!r}）。例: soudan@city.fuchu.tokyo.jp")
    local, _, domain = v.rpartition("@")
    return f"{local}@{domain.lower()}"


# 内線 / ext.: the extension after the number (kept, written 「内線123」).
_EXTENSION = re.compile(r"\s*[(（]?\s*(?:内線|内|ext\.?|extension|x)\s*[:：.]?\s*(\d{1,6})\s*[)）]?\s*$", re.I)
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u30FC\uFF70\u2500\u2501\uFE63~〜]")
_SHORT = re.compile(r"^(#\d{4}|1\d{2})$")  # #8000 子ども医療電話相談, 189 児童相談所虐待対応ダイヤル


def _phone(value: str) -> str | None:
    import phonenumbers

    v = _contact(value, MAX_PHONE)
    if v is None:
        return None
    v = _DASHES.sub("-", v)
    ext = _EXTENSION.search(v)
    number = v[: ext.start()] if ext else v
    compact = re.sub(r"[\s\-()（）.]", "", number)
    if _SHORT.match(compact) and not ext:
        return compact
    hint = "例: 042-335-1111、0120-123-456、090-1234-5678（内線は「042-335-1111 内線123」）"
    if not re.fullmatch(r"\+?[0-9\s\-()（）.]+", number):
        raise ValueError(f"電話番号に数字・ハイフン・括弧以外の文字があります（{v[:40]!r}）。{hint}")
    try:
        parsed = phonenumbers.parse(number, "JP")
    except phonenumbers.NumberParseException:
        raise ValueError(f"電話番号として読めません（{v[:40]!r}）。{hint}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"電話番号の桁数・局番が正しくありません（{v[:40]!r}）。{hint}")
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if parsed.country_code == 81
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    out = phonenumbers.format_number(parsed, style)
    return f"{out} 内線{ext.group(1)}" if ext else out


def _url(value: str) -> str | None:
    v = _contact(value, MAX_URL)
    if v is None:
        return None
    if re.search(r"\s", v):
        raise ValueError("URL に空白は使えません（%20 と書くか、空白を除いてください）")
    try:
        parts = urlsplit(v)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError(f"URL として読めません（{v[:60]!r}）。例: https://www.city.fuchu.tokyo.jp/") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("URL は http:// か https:// で始めてください（javascript: や data: などは使えません）")
    if not host or "." not in host:
        raise ValueError(f"URL にホスト名がありません（{v[:60]!r}）。例: https://www.city.fuchu.tokyo.jp/")
    if parts.username is not None or parts.password is not None:
        raise ValueError("URL にユーザー名・パスワード（…@）は含めないでください")
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


def _prefecture(value: str) -> str:
    from .geo.geocode import PREFECTURES

    v = fold_width(value).strip()
    if v not in PREFECTURES:
        raise ValueError(f"都道府県 {v[:20]!r} はありません（例: 東京都、埼玉県、山梨県。「都・道・府・県」まで書いてください）")
    return v


_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def _ref(value: str) -> str:
    if not _REF.match(value):
        raise ValueError("id は英数字と . _ : - で 128 文字まで（先頭は英数字）です")
    return value


email = Rule(_email, max_length=MAX_EMAIL)
phone = Rule(_phone, max_length=MAX_PHONE)
url = Rule(_url, max_length=MAX_URL)
prefecture = Rule(_prefecture, max_length=4)
ref = Rule(_ref, max_length=128)


def items(rule: Rule | None, max_items: int) -> Rule:
    """A list of at most *max_items* values, each checked by *rule* (None: only the count)."""

    def check(values: list[Any]) -> list[Any]:
        if len(values) > max_items:
            raise ValueError(f"{max_items:,} 件以内にしてください（{len(values):,} 件あります）")
        if rule is None:
            return values
        out = []
        for i, v in enumerate(values):
            try:
                out.append(rule(v))
            except ValueError as exc:
                raise ValueError(f"{i + 1} 件目: {exc}") from None
        return out
    return Rule(check, max_items=max_items)


def unique_items(rule: Rule | None, max_items: int) -> Rule:
    """As :func:`items`, with repeated values dropped (first one kept) before counting."""
    inner = items(rule, max_items)

    def check(values: list[Any]) -> list[Any]:
        return list(dict.fromkeys(inner.check(list(dict.fromkeys(values)))))
    return Rule(check, max_items=max_items)


_DATASET = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_EXTERNAL_IDS = 20


def _external_ids(value: dict[str, str]) -> dict[str, str]:
    """``{dataset id: the publisher's id}``: dataset ids as ``gsi-evacuation``, ids kept exactly as published."""
    if len(value) > MAX_EXTERNAL_IDS:
        raise ValueError(f"外部ID は {MAX_EXTERNAL_IDS} 件以内にしてください（{len(value)} 件あります）")
    for dataset, pid in value.items():
        if not _DATASET.match(dataset):
            raise ValueError(f"external_ids のデータセット名 {dataset!r} は英小文字・数字・. _ - で書いてください")
        if not pid or len(pid) > 200 or not pid.isprintable():
            raise ValueError(f"external_ids[{dataset!r}] は 1〜200 文字の識別子にしてください（制御文字は使えません）")
    return value


external_ids = Rule(_external_ids, max_items=MAX_EXTERNAL_IDS)


# -- the tables the models apply ------------------------------------------------------------------
_LABEL = line(100)  # 法人種別, 役割, 町丁目名 …

#: :class:`resourcemap.model.Node` field → rule (fields not named here are enums, numbers or ids
#: whose shape the model itself fixes).
NODE_FIELDS: Mapping[str, Rule] = {
    "name": line(200), "alternate_name": line(200), "description": text(4000, multiline=True),
    "address": line(200), "area_id": line(200), "source": line(300), "url": url, "email": email, "phone": phone,
    "verified_by": line(100), "pref": prefecture, "primary_area_level": line(50), "org_type": _LABEL,
    "role": _LABEL, "level": line(50), "chome": unique_items(_LABEL, 2000), "categories": items(None, 50),
    "schedules": items(None, 50), "accessibility": unique_items(line(300), 50), "external_ids": external_ids,
}
#: :class:`resourcemap.model.Edge` field → rule.
EDGE_FIELDS: Mapping[str, Rule] = {
    "source": ref, "target": ref, "description": text(2000, multiline=True), "cite": line(300),
}
#: :class:`resourcemap.model.Schedule` field → rule.
#: (A schedule's note is free text like a description: a publisher's 「年末年始休み（改行）臨時休業あり」 keeps its break.)
SCHEDULE_FIELDS: Mapping[str, Rule] = {"byday": line(100), "description": text(200, multiline=True)}
#: :class:`resourcemap.model.Targets` field → rule.
TARGETS_FIELDS: Mapping[str, Rule] = {"fields": unique_items(None, 5)}
