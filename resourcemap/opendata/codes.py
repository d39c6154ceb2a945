"""全国地方公共団体コード as publishers write it: 5 or 6 digits, lost leading zeros, full-width digits.

Why a module: every open-data file names its municipality differently — GSI with ``city_code5``
or not at all, MHLW with a 6-digit code whose leading zero was lost (``11011`` = ``011011`` =
札幌市中央区 ``01101``), the 自治体標準オープンデータセット with the 6-digit code (``132063``),
sometimes the 5-digit one. :func:`city_code` turns any of them into the 5-digit code the
catalogue uses, checking the 6-digit form's check digit and, where the text is ambiguous
(``11011``: 埼玉県 11011 or 北海道 01101?), the prefecture the row names.
"""
from __future__ import annotations

import unicodedata

__all__ = ["PREF_CODES", "check_digit", "city_code", "six_digit", "pref_code"]

#: JIS X 0401 都道府県コード.
PREF_CODES: dict[str, str] = {name: f"{i:02d}" for i, name in enumerate((
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県", "埼玉県",
    "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県",
    "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県",
    "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県",
    "宮崎県", "鹿児島県", "沖縄県"), start=1)}


def check_digit(code5: str) -> str:
    """The 6th digit of a 全国地方公共団体コード (総務省: weights 6..2, modulus 11).

    >>> check_digit("13206"), check_digit("01101")
    ('3', '1')
    """
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2)))
    return str((11 - total % 11) % 10)


def six_digit(code5: str) -> str:
    """The 6-digit code (with its check digit) of a 5-digit municipality code.

    >>> six_digit("13206")
    '132063'
    """
    return code5 + check_digit(code5)


def pref_code(name_or_code: str) -> str | None:
    """The 2-digit prefecture code of a prefecture name (東京都, 東京) or code (13, １３); None when unknown."""
    text = unicodedata.normalize("NFKC", name_or_code or "").strip()
    if text.isdigit() and 1 <= int(text) <= 47:
        return f"{int(text):02d}"
    if text in PREF_CODES:
        return PREF_CODES[text]
    for name, code in PREF_CODES.items():
        if text and name.rstrip("都道府県") == text:
            return code
    return None


def _valid6(code6: str) -> bool:
    return len(code6) == 6 and 1 <= int(code6[:2]) <= 47 and check_digit(code6[:5]) == code6[5]


def city_code(raw: str | int, *, pref: str | None = None, six: bool | None = None) -> str:
    """The 5-digit municipality code written in *raw*.

    *pref* (a prefecture name or code the row also gives) settles a 5-character text that could
    be either a 5-digit code or a 6-digit one that lost its leading zero (``13218`` is 福生市, but
    ``013218`` is a valid 6-digit code too); without it the 5-digit reading wins. *six* says which
    the publisher uses (``True`` for MHLW files, whose codes are always 6-digit). Raises ValueError
    with a message saying what was expected.
    """
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if text.endswith(".0"):  # a spreadsheet that turned the code into a number
        text = text[:-2]
    if not text.isdigit() or not 4 <= len(text) <= 6:
        raise ValueError(f"市区町村コード {raw!r} は 5 桁（例: 13206）か 6 桁（例: 132063）の数字で書いてください")
    pref2 = pref_code(pref) if pref else None
    candidates: list[str] = []
    if len(text) == 6:
        candidates.append(text)
    elif len(text) == 5:  # a 5-digit code, or a 6-digit one that lost its zero: the 5-digit reading first
        as6 = "0" + text
        if six is not True and 1 <= int(text[:2]) <= 47:
            candidates.append(text)
        if six is not False and _valid6(as6):
            candidates.append(as6)
    else:  # 4 characters: a 5-digit code of 北海道…茨城県 that lost its zero
        candidates.append("0" + text)
    fives = []
    for c in candidates:
        if len(c) == 6:
            if not _valid6(c):
                raise ValueError(f"市区町村コード {raw!r} の検査数字が合いません（{c[:5]} なら {six_digit(c[:5])}）")
            fives.append(c[:5])
        else:
            fives.append(c)
    if pref2 is not None:
        fitting = [c for c in fives if c[:2] == pref2]
        if not fitting:
            raise ValueError(f"市区町村コード {raw!r} は都道府県「{pref}」のものではありません")
        fives = fitting
    if not fives or not 1 <= int(fives[0][:2]) <= 47:
        raise ValueError(f"市区町村コード {raw!r} は全国地方公共団体コードではありません")
    return fives[0]
