"""Demand weights per 町丁目 from a municipality's CSV (population or any column it supplies).

Why checked here: a weight file keyed by a misspelt 町丁目 would silently give that 町丁目
zero demand; every name is resolved against the real 町丁目 list and unknown ones are
reported together with suggestions.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from ..errors import GeocodeError, InputError, ValidationFailed
from ..geo import chome_by_name

__all__ = ["read_weights", "parse_weights"]

_TOWN = ("town", "chome", "町丁目", "町丁名")
_WEIGHT = ("weight", "population", "人口", "需要")


def parse_weights(text: str, city: str) -> dict[str, float]:
    """``{町丁目: weight}`` from CSV text with a town column and a weight column (names above)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    cols = reader.fieldnames or []
    town_col = next((c for c in cols if c.strip() in _TOWN), None)
    weight_col = next((c for c in cols if c.strip() in _WEIGHT), None)
    if town_col is None or weight_col is None:
        raise InputError(f"重みの CSV には町丁目の列（{'/'.join(_TOWN)}）と重みの列（{'/'.join(_WEIGHT)}）が必要です。"
                         f"見つかった列: {', '.join(cols) or 'なし'}")
    out: dict[str, float] = {}
    problems = []
    for line, row in enumerate(reader, start=2):
        name = (row.get(town_col) or "").strip()
        try:
            w = float(row.get(weight_col) or "")
            if not math.isfinite(w) or w < 0:
                raise ValueError
        except ValueError:
            problems.append({"field": f"line {line}", "message": f"重み {row.get(weight_col)!r} は 0 以上の数ではありません"})
            continue
        try:
            town = chome_by_name(city, name).town
        except GeocodeError as exc:
            problems.append({"field": f"line {line}", "message": exc.detail})
            continue
        out[town] = out.get(town, 0.0) + w
    if problems:
        raise ValidationFailed("重みの CSV に誤りがあります: " + "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5]),
                               errors=problems)
    return out


def read_weights(path: str | Path, city: str) -> dict[str, float]:
    p = Path(path)
    if not p.exists():
        raise InputError(f"重みの CSV {p} がありません。")
    return parse_weights(p.read_text(encoding="utf-8"), city)
