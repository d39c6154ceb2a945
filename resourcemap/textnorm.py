"""Normalise Japanese free text before any lookup (taxonomy terms, 町丁目 names, node names).

Why: coordinators type 「ひきこもり」「引きこもり」「ヒキコモリ」, 「白糸台３」 or 「旭ヶ丘」; the data says
「ひきこもり支援」「白糸台三丁目」「旭ケ丘」. Lookups compare *keys* made by :func:`normalize`,
never raw strings.

>>> normalize("ＡＢＣ　ヒキコモリ")
'abcひきこもり'
>>> normalize("旭ヶ丘") == normalize("旭ケ丘") == normalize("旭が丘")
True
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "kanji_to_int", "int_to_kanji", "OLD_TO_NEW"]

#: 旧字体・異体字 → 新字体 (those met in place, organisation and service names).
OLD_TO_NEW: dict[str, str] = {
    "澤": "沢", "邊": "辺", "邉": "辺", "髙": "高", "﨑": "崎", "嵜": "崎", "國": "国", "會": "会",
    "廣": "広", "齋": "斎", "齊": "斉", "濱": "浜", "嶋": "島", "嶌": "島", "惠": "恵", "眞": "真",
    "櫻": "桜", "與": "与", "鐵": "鉄", "學": "学", "醫": "医", "壽": "寿", "藝": "芸", "團": "団",
    "體": "体", "關": "関", "舊": "旧", "來": "来", "黑": "黒", "靜": "静", "榮": "栄", "縣": "県",
    "驛": "駅", "區": "区", "圓": "円", "德": "徳", "禮": "礼", "寳": "宝", "寶": "宝", "樂": "楽",
    "藏": "蔵", "兒": "児", "龜": "亀", "萬": "万", "晝": "昼", "燈": "灯", "氣": "気", "佛": "仏",
    "戶": "戸", "渕": "淵", "冨": "富", "圀": "国", "祐": "祐", "󠄀": "",
}

# ヶ/ヵ/ケ/が in place names ("旭ヶ丘" = "旭ケ丘" = "旭が丘"): only between kanji, so that
# words such as "ケア" keep their ケ.
_SMALL_KE = re.compile(r"(?<=[\u4e00-\u9fff])[ヶヵケがガ](?=[\u4e00-\u9fff])")
_SPACE = re.compile(r"[\s\u3000・･,、。.\-‐－―ー~〜～()（）「」『』【】\[\]]+")
_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                 "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}

#: 表記ゆれ of common service words (after kana folding); applied to the key only.
_WORD_VARIANTS: tuple[tuple[str, str], ...] = (
    ("引き籠もり", "ひきこもり"), ("引き篭もり", "ひきこもり"), ("引きこもり", "ひきこもり"),
    ("引籠り", "ひきこもり"), ("子供", "子ども"), ("こども", "子ども"), ("障がい", "障害"),
    ("障碍", "障害"), ("介ご", "介護"), ("居場處", "居場所"),
)


#: Katakana → hiragana (ヴ and the long-vowel mark are kept), as one ``str.translate`` table.
_KANA_TABLE = {code: code - 0x60 for code in range(0x30A1, 0x30F7) if chr(code) not in "ヴヵヶ"}
_OLD_TABLE = str.maketrans(OLD_TO_NEW)


def _fold_kana(text: str) -> str:
    """Katakana → hiragana (ヴ and the long-vowel mark are kept)."""
    return text.translate(_KANA_TABLE)


def normalize(text: str) -> str:
    """Return the lookup key of *text*: NFKC (全角/半角), 旧字→新字, ヶ/ケ, kana folded, no spaces/punctuation, lower case."""
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = s.translate(_OLD_TABLE)
    s = _SMALL_KE.sub("ケ", s)
    s = s.lower()
    s = _SPACE.sub("", s)
    s = _fold_kana(s)
    for variant, canonical in _FOLDED_VARIANTS:
        if variant in s:
            s = s.replace(variant, canonical)
    return s


# Folded once at import (normalize() is on the geocoder's hot path); same pairs as _WORD_VARIANTS.
_FOLDED_VARIANTS: tuple[tuple[str, str], ...] = tuple(
    (_fold_kana(v), _fold_kana(c)) for v, c in _WORD_VARIANTS)


def kanji_to_int(text: str) -> int | None:
    """Parse a kanji or arabic numeral ("三", "十二", "二十一", "12") to an int, or None."""
    t = unicodedata.normalize("NFKC", text)
    if t.isdigit():
        return int(t)
    if not t or any(ch not in _KANJI_DIGITS and ch not in _KANJI_UNITS for ch in t):
        return None
    total, current = 0, 0
    for ch in t:
        if ch in _KANJI_DIGITS:
            current = _KANJI_DIGITS[ch]
        else:
            unit = _KANJI_UNITS[ch]
            total += (current or 1) * unit
            current = 0
    return total + current


def int_to_kanji(n: int) -> str:
    """1 → "一", 12 → "十二", 21 → "二十一" (the way 町丁目 names are written)."""
    if n <= 0 or n >= 100:
        raise ValueError(f"町丁目 numbers are 1–99, got {n}")
    digits = "〇一二三四五六七八九"
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
    return head + (digits[ones] if ones else "")
