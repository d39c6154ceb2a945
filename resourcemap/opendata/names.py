"""Is this imported facility the plan's node? Name keys (表記ゆれ folded) and a score per candidate.

Why keys and not raw names: a plan writes 「宮寺・二本木地区センター」 where GSI writes
「宮寺・二本木地区センター」, 「府中市立第六中学校」 where another list writes 「第六中学校」, 「扇町地区センター」
where GSI has 「扇町屋地区センター」. :func:`name_keys` folds width, 旧字, kana and punctuation
(:func:`resourcemap.textnorm.normalize`) and also strips what only says who owns a place (府中市立,
都立, 社会福祉法人…) or a parenthesised aside; :func:`score` then grades a pair:

* 1.0 — a key is equal (the same name);
* 0.7 — one name contains the other (黒須地区センター ⊂ 黒須地区センター 高倉分館);
* ratio × 0.8 — the keys are close (difflib ratio ≥ 0.85: 扇町 vs 扇町屋).

Distance vetoes a pair: a plan node placed at a 町丁目/town/area point more than 3 km away, or an
imported site (an exact point) more than 200 m away, is another place with the same name.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from ..cities import CITIES
from ..geo.distance import haversine_m
from ..model import Node
from ..textnorm import normalize

__all__ = ["name_keys", "score", "Candidate", "PLAN_REACH_M", "SITE_REACH_M", "AUTO", "PROPOSE"]

#: How far a plan node's approximate point may be from the site it names (a town centroid is ~1 km off).
PLAN_REACH_M = 3000.0
#: How far two exact points of one site may be apart in two datasets.
SITE_REACH_M = 200.0
#: Scores: applied without review (and only when unique on both sides) / proposed for review.
AUTO, PROPOSE = 1.0, 0.6

_ASIDE = re.compile(r"[（(][^）)]*[）)]")
_OWNER = re.compile(r"^(社会福祉法人|医療法人|特定非営利活動法人|npo法人|一般社団法人|公益社団法人|学校法人|株式会社|有限会社|"
                    r"都立|道立|府立|県立|市立|区立|町立|村立|私立|国立)")


@lru_cache(maxsize=65536)
def name_keys(name: str, city: str | None = None) -> frozenset[str]:
    """The keys a name is compared by: normalised, without 〇〇市立/法人 prefixes, without an aside in brackets."""
    base = _ASIDE.sub("", name)
    keys = {normalize(name)}
    if base != name:
        keys.add(normalize(base))
    prefixes = []
    if city is not None and city in CITIES:
        c = CITIES[city]
        prefixes = [normalize(c.name + "立"), normalize(c.name), normalize(c.full_name)]
    for k in list(keys):
        for p in prefixes:
            if k.startswith(p) and len(k) > len(p) + 1:
                keys.add(k[len(p):])
        stripped = _OWNER.sub("", k)
        if stripped and stripped != k:
            keys.add(stripped)
    return frozenset(k for k in keys if len(k) >= 2)


def score(a: frozenset[str], b: frozenset[str]) -> tuple[float, str]:
    """(score, evidence) of two facilities' name keys."""
    if a & b:
        return 1.0, "名称が一致"
    best, why = 0.0, ""
    for x in a:
        for y in b:
            if len(x) >= 4 and len(y) >= 4 and (x in y or y in x):
                if best < 0.7:
                    best, why = 0.7, "名称の一方が他方を含む"
            else:
                r = difflib.SequenceMatcher(None, x, y).ratio()
                if r >= 0.85 and r * 0.8 > best:
                    best, why = r * 0.8, f"名称が近い（類似度 {r:.2f}）"
    return best, why


@dataclass(frozen=True)
class Candidate:
    node: Node
    score: float
    evidence: str


def within_reach(node: Node, lat: float | None, lng: float | None) -> bool:
    """False when both are placed and farther apart than the node's precision allows."""
    if lat is None or node.lat is None or node.location_precision in ("city", "none"):
        return True
    reach = SITE_REACH_M if node.location_precision == "exact" else PLAN_REACH_M
    return haversine_m(lat, lng, node.lat, node.lng) <= reach  # type: ignore[arg-type]
