"""The reviewed mapping of publishers' types to the taxonomy (``mapping.yaml``), and the dataset registry
definitions (``datasets.yaml``).

Why data files: the tables are what a reviewer reads and corrects — which 種別 is a 居場所, which
service is 通所系 — so they live as YAML beside the code, and tests check every id in them
against ``resourcemap/data/taxonomy.yaml``. Matching compares NFKC keys (:func:`type_key`), so
「児童センター」「児童ｾﾝﾀｰ」 fall under the same rule; service names compare
:func:`resourcemap.textnorm.normalize` keys.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from ..textnorm import normalize

__all__ = ["TypeRule", "Dataset", "Mapping", "load_mapping", "load_datasets", "dataset"]


@dataclass(frozen=True)
class TypeRule:
    """What a publisher's type means here: kind, categories, 対象分野 and the programmes it delivers or may host."""

    type: str
    kind: str
    categories: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    delivers: tuple[str, ...] = ()
    may_host: tuple[str, ...] = ()
    match: tuple[str, ...] = ()
    code: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any], **defaults: Any) -> TypeRule:
        data = {**defaults, **raw}
        return cls(type=str(data["type"]), kind=str(data.get("kind", "place")),
                   categories=tuple(data.get("categories") or ()), fields=tuple(data.get("fields") or ()),
                   delivers=tuple(str(c) for c in data.get("delivers") or ()),
                   may_host=tuple(data.get("may_host") or ()), match=tuple(data.get("match") or ()),
                   code=str(data["code"]) if data.get("code") is not None else None)


def type_key(text: str) -> str:
    """What a type word is looked for in: NFKC (全角/半角 folded) without spaces.

    Lighter than :func:`~resourcemap.textnorm.normalize` on purpose: type words are kanji and
    katakana (公民館, センター), and a national file has 200,000 names to classify.
    """
    return "".join(unicodedata.normalize("NFKC", text).split())


class _Rules:
    """Ordered rules: the first whose word occurs in the text wins; a rule without words is the fallback."""

    def __init__(self, rules: list[TypeRule]) -> None:
        self.rules = [r for r in rules if r.match]
        self.fallback = next((r for r in rules if not r.match), None)
        self._patterns = [(rule, re.compile("|".join(re.escape(type_key(w)) for w in rule.match)))
                          for rule in self.rules]

    def find(self, text: str | None) -> TypeRule | None:
        """The rule for *text* (a name or a publisher's type), else the fallback rule, else None."""
        key = type_key(text or "")
        if key:
            for rule, pattern in self._patterns:
                if pattern.search(key):
                    return rule
        return self.fallback


@dataclass(frozen=True)
class Mapping:
    facility_names: _Rules            # 公共施設一覧: an unknown name is still a public facility
    shelter_names: _Rules             # 国土地理院: an unknown name is an 未分類 shelter
    care_services: dict[str, TypeRule]  # normalised service name → rule
    childcare_types: _Rules
    medical_types: _Rules

    def care_service(self, name: str | None) -> TypeRule | None:
        """A 介護サービス by its name (a leading 介護予防 read past); None when not in the table."""
        key = normalize(name or "")
        rule = self.care_services.get(key)
        if rule is None and key.startswith(normalize("介護予防")):
            rule = self.care_services.get(key[len(normalize("介護予防")):])
        return rule

    def all_rules(self) -> list[TypeRule]:
        fallbacks = [r for r in (self.facility_names.fallback, self.shelter_names.fallback) if r is not None]
        return [*self.facility_names.rules, *fallbacks, *self.care_services.values(), *self.childcare_types.rules,
                *self.medical_types.rules]


def _read_yaml(name: str) -> Any:
    return yaml.safe_load(resources.files("resourcemap.opendata").joinpath(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def load_mapping() -> Mapping:
    raw = _read_yaml("mapping.yaml")
    care_defaults = {"kind": raw.get("care_kind", "agency"), "fields": raw.get("care_fields") or ()}
    care = {normalize(name): TypeRule.of({"type": name, **spec}, **care_defaults)
            for name, spec in raw["care_services"].items()}
    names = [TypeRule.of(r) for r in raw["facility_names"]]
    return Mapping(facility_names=_Rules([*names, TypeRule.of(raw["facility_fallback"])]),
                   shelter_names=_Rules([*names, TypeRule.of(raw["shelter_fallback"])]), care_services=care,
                   childcare_types=_Rules([TypeRule.of(r) for r in raw["childcare_types"]]),
                   medical_types=_Rules([TypeRule.of(r) for r in raw["medical_types"]]))


@dataclass(frozen=True)
class Dataset:
    """A public dataset: its id (the key in ``external_ids``), publisher, terms, and import priority."""

    id: str
    name: str
    publisher: str
    licence: str
    attribution: str
    priority: int
    url: str | None = None

    def render(self, text: str, *, as_of: date | None = None, city_name: str | None = None) -> str:
        """Fill ``{date}`` (2025年6月1日) and ``{city}`` (府中市) in a licence or attribution text."""
        when = f"{as_of.year}年{as_of.month}月{as_of.day}日" if as_of else "日付不明"
        return text.replace("{date}", when).replace("{city}", city_name or "公開元の自治体")


@lru_cache(maxsize=1)
def load_datasets() -> dict[str, Dataset]:
    return {key: Dataset(id=key, name=v["name"], publisher=v["publisher"], licence=v["licence"],
                         attribution=v["attribution"], priority=int(v["priority"]), url=v.get("url"))
            for key, v in _read_yaml("datasets.yaml").items()}


def dataset(dataset_id: str) -> Dataset:
    return load_datasets()[dataset_id]
