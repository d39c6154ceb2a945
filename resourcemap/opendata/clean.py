"""Publishers' spelling quirks, normalised before a node is built (the model validates the result).

Why here and not in the model: the model states what a valid phone number or time *is*; the
ways a spreadsheet in Japan gets there wrong — full-width digits (０４２－３３６), a katakana
long-vowel mark or a minus sign used as a dash (042ー362ー1066), ``https;//``, 「（改行）」 in a
note, 「月～金」 for days — are facts about the files, handled once here for every reader. A
contact must also pass the model's own rule (:mod:`resourcemap.fieldrules`): one it refuses is
dropped with a warning, not made an error of the whole row. Nothing is invented: a value that
cannot be read is dropped and reported by the caller.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from .. import fieldrules

__all__ = ["text", "phone", "url", "email", "address", "number", "capacity", "hhmm", "weekdays", "schedule",
           "accessibility", "NOTE_LIMIT"]

#: The longest note kept on a schedule (the model's rule for it; longer notes are cut with 「…」).
NOTE_LIMIT: int = fieldrules.SCHEDULE_FIELDS["description"].max_length or 200

_SPACES = re.compile(r"[\s\u3000]+")
# dashes publishers put between digits: hyphen-minus look-alikes and the katakana long-vowel mark
_DASHES = "‐‑‒–—―−－ーｰ─━"
_DIGIT_DASH = re.compile(rf"(?<=\d)\s*[{_DASHES}-]\s*(?=\d)")
_BARE_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)*\.(jp|com|net|org|info|biz)(/\S*)?$", re.IGNORECASE)
_PHONE_OK = re.compile(r"^\+?[0-9][0-9()\- ]{5,}[0-9]$")


_MESSY = re.compile(r"\s\s|[\u3000\t\r\n\v\f]|改行")
_BLANK_LINES = re.compile(r"\n{2,}")


def text(value: Any, *, limit: int | None = None) -> str | None:
    """Trimmed text with runs of (full-width) spaces as one space and 「（改行）」 as a line break; None if empty."""
    if value is None:
        return None
    s = str(value).strip()
    if _MESSY.search(s):
        s = s.replace("（改行）", "\n").replace("(改行)", "\n")
        s = "\n".join(_SPACES.sub(" ", line).strip() for line in s.splitlines())
        s = _BLANK_LINES.sub("\n", s).strip()
    if not s:
        return None
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


def _accepted(rule: fieldrules.Rule, value: str) -> str | None:
    """*value* when the model's rule accepts it (the model then stores it in its canonical form), else None."""
    try:
        rule(value)
    except ValueError:
        return None
    return value


def _nfkc(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip() if value is not None else ""


def phone(value: Any) -> str | None:
    """``０４２－３６２－１０６６`` / ``042ー362ー1066`` → ``042-362-1066``; None when empty or not a number."""
    s = _nfkc(value)
    s = re.sub(r"^(tel|電話|電話番号)[:.：\s]*", "", s, flags=re.IGNORECASE)
    s = _DIGIT_DASH.sub("-", s)
    s = re.sub(r"\s+", "", s).strip(",、。;")
    s = re.sub(r"^\((0\d{1,4})\)", r"\1-", s)  # (098)956-1161 → 098-956-1161
    if not s:
        return None
    return _accepted(fieldrules.phone, s) if _PHONE_OK.match(s) else None


def url(value: Any) -> str | None:
    """``https;//x`` → ``https://x``; ``www.x.jp`` → ``http://www.x.jp``; None unless it is an http(s) URL."""
    s = _nfkc(value).replace(" ", "")
    if not s:
        return None
    s = re.sub(r"^(https?)[;:]*/+", r"\1://", s, flags=re.IGNORECASE)
    if s.lower().startswith("www.") or _BARE_DOMAIN.match(s):
        s = "http://" + s
    return _accepted(fieldrules.url, s) if re.match(r"^https?://[^/\s]+\.[^/\s]+", s, flags=re.IGNORECASE) else None


def email(value: Any) -> str | None:
    s = _nfkc(value).replace(" ", "")
    return _accepted(fieldrules.email, s) if re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", s) else None


def address(value: Any, extra: Any = None) -> str | None:
    """A public facility address: full-width digits and dashes folded, the 方書 appended unless already there."""
    s = text(_nfkc(value)) if value else None
    if s:
        s = _DIGIT_DASH.sub("-", s)
    more = text(_nfkc(extra)) if extra else None
    if more:
        more = _DIGIT_DASH.sub("-", more)
        if not s:
            return more
        if more.replace(" ", "") not in s.replace(" ", ""):
            s = f"{s} {more}"
    return s


def number(value: Any) -> float | None:
    """A decimal number (``３５．６６``, ``1,200``); None when empty; ValueError when not a number."""
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    s = _nfkc(value).replace(",", "")
    if not s:
        return None
    return float(s)


def capacity(value: Any) -> int | None:
    """定員 as a positive whole number; 0 and empty are "not stated" (MHLW files write 0 for unknown)."""
    n = number(value)
    if n is None or n <= 0:
        return None
    if n != int(n):
        raise ValueError(f"定員 {value!r} は整数で書いてください")
    return int(n)


def hhmm(value: Any) -> str | None:
    """``9:00`` / ``９：００`` / ``9時30分`` / ``0900`` → ``09:00``; None when empty; ValueError otherwise."""
    s = _nfkc(value).replace("時", ":").replace("分", "")
    if not s:
        return None
    m = re.match(r"^(\d{1,2}):?(\d{2})?$", s) if ":" in s or len(s) <= 2 else re.match(r"^(\d{2})(\d{2})$", s)
    if not m:
        raise ValueError(f"時刻 {value!r} は HH:MM で書いてください")
    h, mi = int(m[1]), int(m[2] or 0)
    if h > 24 or mi > 59 or (h == 24 and mi):
        raise ValueError(f"時刻 {value!r} は 00:00〜23:59 で書いてください")
    return "23:59" if h == 24 else f"{h:02d}:{mi:02d}"


_DAY = {"月": "MO", "火": "TU", "水": "WE", "木": "TH", "金": "FR", "土": "SA", "日": "SU"}
_ORDER = list(_DAY.values())
_WORDS = {"平日": ["MO", "TU", "WE", "TH", "FR"], "土曜日": ["SA"], "日曜日": ["SU"], "毎日": _ORDER, "全日": _ORDER,
          "年中無休": _ORDER, "土日": ["SA", "SU"]}


def weekdays(value: Any) -> tuple[list[str], bool | None]:
    """利用可能曜日 → (iCal days in week order, 祝日 open?).

    Accepts the MHLW form 「平日,土曜日,日曜日,祝日」 and the standard's 「月火水木金」「月～金」「月・水・金」「土日祝」.
    ``None`` for 祝日 means the text does not say. ValueError when a part cannot be read.
    """
    s = _nfkc(value)
    if not s:
        return [], None
    days: set[str] = set()
    holiday: bool | None = None
    for part in re.split(r"[,、・/／\s]+", s):
        if not part:
            continue
        if "祝" in part:
            holiday = True
            part = part.replace("祝日", "").replace("祝", "")
            if not part:
                continue
        if part in _WORDS:
            days.update(_WORDS[part])
            continue
        m = re.match(r"^([月火水木金土日])曜?日?[~〜～\-ー]([月火水木金土日])曜?日?$", part)
        if m:
            a, b = _ORDER.index(_DAY[m[1]]), _ORDER.index(_DAY[m[2]])
            days.update(_ORDER[a:b + 1] if a <= b else _ORDER[a:] + _ORDER[:b + 1])
            continue
        letters = part.replace("曜日", "").replace("曜", "")
        if letters and all(ch in _DAY for ch in letters):
            days.update(_DAY[ch] for ch in letters)
            continue
        raise ValueError(f"利用可能曜日 {value!r} が読めません（例: 月火水木金、月～金、平日,土曜日,祝日）")
    return [d for d in _ORDER if d in days], holiday


def schedule(days: Any = None, opens: Any = None, closes: Any = None, note: Any = None) -> list[dict[str, Any]]:
    """One weekly schedule (HSDS/iCal fields) from a row's days, opening times and note; [] when it says nothing."""
    byday, holiday = weekdays(days)
    opens_at, closes_at = hhmm(opens), hhmm(closes)
    remark = text(note)
    if remark in ("特になし", "なし", "無し", "-", "－", "ー"):
        remark = None
    notes = [n for n in (("祝日も利用可" if holiday else None), remark) if n]
    if not (byday or opens_at or closes_at or notes):
        return []
    item: dict[str, Any] = {"freq": "WEEKLY"}
    if byday:
        item["byday"] = ",".join(byday)
    if opens_at:
        item["opens_at"] = opens_at
    if closes_at:
        item["closes_at"] = closes_at
    if notes:
        item["description"] = text("。".join(notes), limit=NOTE_LIMIT)
    return [item]


def accessibility(value: Any) -> list[str]:
    """バリアフリー情報 (「;」区切り in the standard; 、 too) → items."""
    s = text(value)
    if not s:
        return []
    return [p.strip() for p in re.split(r"[;；、\n]", s) if p.strip()]
