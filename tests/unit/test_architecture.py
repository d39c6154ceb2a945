"""The layers of docs/architecture.md, enforced: imports point down (or sideways where listed), never up,
and no two modules import each other, directly or round a loop.

Every import counts — at the top of a module or inside a function — because a lazy import is still
a dependency someone must know about when they change the imported module.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: Lowest layer first; a module belongs to the first layer with a prefix matching its name.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("resourcemap.errors", "resourcemap.textnorm", "resourcemap.config", "resourcemap.sqlitedb",
                    "resourcemap.cities", "resourcemap.taxonomy", "resourcemap.model", "resourcemap.geo",
                    "resourcemap.auxdb", "resourcemap.keys", "resourcemap.render", "resourcemap.fieldrules",
                    "resourcemap.labels", "resourcemap.people")),
    ("graph", ("resourcemap.graph",)),
    ("catalogue", ("resourcemap.catalogue", "resourcemap.seeds", "resourcemap.editing", "resourcemap.queries",
                   "resourcemap.io", "resourcemap.corrections", "resourcemap.freshness", "resourcemap.basemap",
                   "resourcemap.opendata", "resourcemap.hsds")),
    ("features", ("resourcemap.match", "resourcemap.gaps", "resourcemap.network")),
    ("entry points", ("resourcemap.cli", "resourcemap.__main__", "api")),
]
#: Imports between packages of one layer that are allowed (all others are not).
SIDEWAYS = {
    ("resourcemap.gaps", "resourcemap.match"),  # the gap maps read the matcher's unmet-need counters
    ("resourcemap.cli", "api"),                  # `resourcemap serve` builds the app
    ("resourcemap.__main__", "resourcemap.cli"),  # `python -m resourcemap`
}
SAME_LAYER_FREE = {"foundation", "catalogue"}  # small modules that build on one another (still acyclic)


def _modules() -> dict[str, Path]:
    out = {}
    for package in ("resourcemap", "api"):
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the project modules it imports (``from . import x`` counts as importing ``x``)."""
    out: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
                for alias in node.names:
                    targets.append(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            out[name].update(t for t in targets if t in modules and t != name)
    return out


def _layer(module: str) -> tuple[int, str]:
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                return rank, prefix
    return -1, "resourcemap"  # the package itself: its version string


def test_every_module_has_a_layer():
    assert [m for m in _modules() if _layer(m)[0] < 0 and m != "resourcemap"] == []


def test_imports_point_down_the_layers():
    wrong = []
    for src, targets in _imports(_modules()).items():
        (s_rank, s_pkg) = _layer(src)
        for dst in targets:
            (d_rank, d_pkg) = _layer(dst)
            if d_rank > s_rank:
                wrong.append(f"{src} → {dst} (up: {LAYERS[s_rank][0]} → {LAYERS[d_rank][0]})")
            elif d_rank == s_rank and s_pkg != d_pkg and LAYERS[s_rank][0] not in SAME_LAYER_FREE \
                    and (s_pkg, d_pkg) not in SIDEWAYS:
                wrong.append(f"{src} → {dst} (sideways in {LAYERS[s_rank][0]}, not listed)")
    assert wrong == []


def test_no_import_cycles():
    graph = _imports(_modules())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for module in list(graph):
        if module not in index:
            visit(module)
    assert cycles == []


def test_the_checker_sees_what_it_must():
    """The import reader finds relative, lazy and ``from . import x`` imports (or the tests above prove nothing)."""
    found = _imports(_modules())
    assert "resourcemap.graph.stores.base" in found["resourcemap.graph.stores.sqlite"]      # from . import base
    assert "resourcemap.graph.stores.sqlite" in found["resourcemap.graph.stores"]           # inside open_store
    assert "resourcemap.match.unmet" in found["resourcemap.gaps.unmet"]                     # lazy, sideways
    assert _layer("api.routes.nodes")[0] > _layer("resourcemap.editing")[0] > _layer("resourcemap.graph.stores")[0]
