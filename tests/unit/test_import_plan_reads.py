"""What planning an import reads from the store: the keys of the file's municipalities and the nodes its rows
name — never every stored node (a one-row file against a large catalogue was a third of a soak's server time).

The store is the real seeded SQLite catalogue; a thin wrapper only records which reads the planner makes.
"""
from __future__ import annotations

from typing import Any

from resourcemap.graph.stores.base import NodeQuery
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.io import plan_import, read_records


class Recorded:
    """The store, with the name and arguments of every read the planner makes."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kw: Any) -> Any:
            self.calls.append((name, [list(a) if isinstance(a, (list, tuple, set)) else a for a in args]))
            return attr(*args, **kw)
        return call

    def named(self, name: str) -> list[Any]:
        return [args for n, args in self.calls if n == name]


def _plan(store: SQLiteStore, csv: str):
    recorded = Recorded(store)
    plan = plan_import(recorded, read_records(csv.encode(), "csv", "t.csv"))  # type: ignore[arg-type]
    return plan, recorded


def test_a_new_row_reads_only_its_municipalitys_keys(seeded_copy):
    store = SQLiteStore(seeded_copy, create=False)
    try:
        assert len({n.city for n in store.query_nodes(NodeQuery())}) > 1  # the catalogue has other municipalities
        plan, recorded = _plan(store, "名称,種別,市区町村,所在町丁目,分類\n新しい居場所,居場所,府中市,白糸台一丁目,居場所\n")
        assert plan.ok and plan.summary()["create"] == 1
        assert recorded.named("query_nodes") == [] and recorded.named("query_edges") == []
        assert recorded.named("node_keys") == [[["13206"]]]
    finally:
        store.close()


def test_an_update_by_name_fetches_its_node_by_id(seeded_copy):
    store = SQLiteStore(seeded_copy, create=False)
    try:
        node = next(n for n in store.query_nodes(NodeQuery(city="13206", kind="place")) if n.description != "改")
        plan, recorded = _plan(store, f"名称,種別,市区町村,説明\n{node.name},居場所,府中市,改\n")
        assert plan.ok and [r.id for r in plan.rows] == [node.id] and plan.rows[0].action == "update"
        assert [node.id] in [args[0] for args in recorded.named("get_nodes")]
        assert recorded.named("query_nodes") == []
    finally:
        store.close()
