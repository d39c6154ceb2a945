"""The service/need taxonomy: a hierarchy of category ids with Japanese labels and synonyms.

Why a module of its own: matching, gap analysis, validation and import all need the same
answer to "which category does this word mean?" and "which categories sit below this one?".
Free text is normalised (:func:`resourcemap.textnorm.normalize`) before lookup, so
「引きこもり」, 「ヒキコモリ」 and 「ひきこもり支援」 land on the same id.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Iterable, Literal

import yaml

from .errors import UnknownCategory
from .textnorm import normalize

__all__ = ["Category", "Taxonomy", "Resolution", "load_taxonomy", "expand_category"]

FitKind = Literal["exact", "label", "synonym"]


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    parent: str | None
    synonyms: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "parent": self.parent,
                "synonyms": list(self.synonyms), "fields": list(self.fields)}


@dataclass(frozen=True)
class Resolution:
    """How a free-text term was understood: the category and whether it was an id, label or synonym."""

    category: Category
    fit: FitKind
    term: str


@dataclass
class Taxonomy:
    categories: dict[str, Category]
    _children: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _index: dict[str, tuple[str, FitKind]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for cat in self.categories.values():
            if cat.parent is not None and cat.parent not in self.categories:
                raise ValueError(f"taxonomy: parent {cat.parent!r} of {cat.id!r} is not defined")
            self._children.setdefault(cat.parent or "", []).append(cat.id)
        # ids win over labels, labels over synonyms; a synonym may not name two categories.
        for cat in self.categories.values():
            self._index[normalize(cat.id)] = (cat.id, "exact")
        for cat in self.categories.values():
            self._index.setdefault(normalize(cat.label), (cat.id, "label"))
        for cat in self.categories.values():
            for syn in cat.synonyms:
                key = normalize(syn)
                prior = self._index.get(key)
                if prior is not None and prior[0] != cat.id and prior[1] == "synonym":
                    raise ValueError(f"taxonomy: synonym {syn!r} names both {prior[0]!r} and {cat.id!r}")
                self._index.setdefault(key, (cat.id, "synonym"))

    # -- lookup -----------------------------------------------------------------------------
    def __contains__(self, category_id: object) -> bool:
        return category_id in self.categories

    def __iter__(self):
        return iter(self.categories.values())

    def __len__(self) -> int:
        return len(self.categories)

    def get(self, category_id: str) -> Category:
        try:
            return self.categories[category_id]
        except KeyError:
            raise UnknownCategory(
                f"分類 {category_id!r} はありません。GET /v1/categories で一覧を確認してください。",
                candidates=self.suggest(category_id),
            ) from None

    def resolve(self, term: str) -> Resolution:
        """Map an id, label or synonym (any spelling) to its category; raise with suggestions otherwise."""
        key = normalize(term)
        hit = self._index.get(key)
        if hit is None and key.endswith(normalize("支援")):
            hit = self._index.get(key[: -len(normalize("支援"))])
        if hit is None:
            hit = self._index.get(key + normalize("支援"))
        if hit is None:
            cands = self.suggest(term)
            hint = f"（候補: {'、'.join(cands)}）" if cands else ""
            raise UnknownCategory(f"「{term}」に当たる分類が見つかりません{hint}。", candidates=cands)
        cat_id, fit = hit
        return Resolution(self.categories[cat_id], fit, term)

    def suggest(self, term: str, n: int = 5) -> list[str]:
        key = normalize(term)
        keys = difflib.get_close_matches(key, list(self._index), n=n * 3, cutoff=0.4)
        key_hits = [k for k in self._index if key and (key in k or k in key)]
        out: list[str] = []
        for k in key_hits + keys:
            cid = self._index[k][0]
            label = self.categories[cid].label
            if label not in out:
                out.append(label)
        return out[:n]

    # -- hierarchy --------------------------------------------------------------------------
    def children(self, category_id: str | None) -> list[str]:
        return list(self._children.get(category_id or "", []))

    def descendants(self, category_id: str, *, include_self: bool = True) -> set[str]:
        self.get(category_id)
        out = {category_id} if include_self else set()
        stack = self.children(category_id)
        while stack:
            c = stack.pop()
            out.add(c)
            stack.extend(self.children(c))
        return out

    def expand(self, term: str) -> set[str]:
        """A category id, label or synonym, and every category below it (what "offers *term*" means)."""
        return self.descendants(self.resolve(term).category.id)

    def ancestors(self, category_id: str) -> list[str]:
        """Parents of *category_id*, nearest first."""
        out = []
        cur = self.get(category_id).parent
        while cur is not None:
            out.append(cur)
            cur = self.categories[cur].parent
        return out

    def roots(self) -> list[str]:
        return self.children(None)

    def validate_ids(self, ids: Iterable[str]) -> list[str]:
        """Return the ids that are not categories (empty when all are known)."""
        return [i for i in ids if i not in self.categories]


def _from_records(records: list[dict]) -> Taxonomy:
    cats = {}
    for r in records:
        cat = Category(id=r["id"], label=r["label"], parent=r.get("parent"),
                       synonyms=tuple(str(s) for s in r.get("synonyms") or ()), fields=tuple(r.get("fields") or ()))
        if cat.id in cats:
            raise ValueError(f"taxonomy: id {cat.id!r} is defined twice")
        cats[cat.id] = cat
    return Taxonomy(cats)


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the package (``resourcemap/data/taxonomy.yaml``)."""
    text = resources.files("resourcemap").joinpath("data/taxonomy.yaml").read_text(encoding="utf-8")
    return _from_records(yaml.safe_load(text))


def expand_category(term: str) -> set[str]:
    """A category id/label/synonym and every category below it, in the shipped taxonomy.

    >>> sorted(expand_category("居場所")) == sorted(load_taxonomy().descendants("ibasho"))
    True
    """
    return load_taxonomy().expand(term)
