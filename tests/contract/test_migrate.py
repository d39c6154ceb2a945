"""Migration round trips: every seed catalogue, SQLite → Bolt → SQLite, keeps everything.

"Everything" is what :meth:`resourcemap.graph.migrate.Snapshot.as_data` holds: every node and
edge (deleted ones too) with versions and timestamps, the whole change log (revisions,
actors, times, before/after images) and the revision counter.
"""
from __future__ import annotations

import json

import pytest

from resourcemap.catalogue import build_catalogue
from resourcemap.cli import main
from resourcemap.errors import IntegrityError
from resourcemap.graph.migrate import copy_catalogue, snapshot
from resourcemap.graph.stores.base import NodeQuery
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.seeds import seed_files

from .bolt_server import bolt_url, wipe
from .test_store_contract import update

pytestmark = pytest.mark.bolt

SEEDS = [p.stem for p in seed_files("all")]


def _with_history(store) -> None:
    """Give a seeded store more history than creates: an update, a cascading delete, a restore."""
    edges = store.query_edges()
    victim = edges[0].target
    other = next(n for n in store.query_nodes(NodeQuery(limit=5)) if n.id != victim)
    update(store, other.id, {"description": "説明 'quoted' \\ backslash\n二行目"}, actor="editor")
    deleted = store.delete_node(victim, actor="admin")
    store.restore_node(victim, expected_version=deleted.version, actor="admin")


@pytest.fixture
def bolt(request):
    from resourcemap.graph.stores.bolt import BoltStore

    url = bolt_url(request)
    wipe()
    store = BoltStore(url)
    yield store
    store.close()


def test_every_seed_has_a_catalogue():
    assert len(SEEDS) >= 5


@pytest.mark.parametrize("seed", SEEDS)
def test_round_trip_sqlite_bolt_sqlite(seed, tmp_path, bolt):
    src = SQLiteStore(tmp_path / "src.db")
    build_catalogue(src, seed)
    _with_history(src)
    original = snapshot(src)
    assert original.nodes and original.edges and original.revision == len(original.changes)
    assert any(n.deleted for n in original.nodes) or any(e.deleted for e in original.edges)

    there = copy_catalogue(src, bolt)
    back_store = SQLiteStore(tmp_path / "back.db")
    back = copy_catalogue(bolt, back_store)
    try:
        assert there.verified and back.verified
        assert snapshot(bolt).as_data() == original.as_data()
        assert snapshot(back_store).as_data() == original.as_data()
        # the copy is a working store: the next write continues the revision sequence
        live = next(n for n in original.nodes if not n.deleted)
        n = update(bolt, live.id, {"name": "移行後の更新"})
        assert bolt.revision() == original.revision + 1 and n.version == live.version + 1
    finally:
        src.close()
        back_store.close()


def test_migration_refuses_a_non_empty_target(tmp_path, bolt):
    src = SQLiteStore(tmp_path / "src.db")
    build_catalogue(src, SEEDS[0])
    copy_catalogue(src, bolt)
    rev = bolt.revision()
    with pytest.raises(IntegrityError):
        copy_catalogue(src, bolt)
    assert bolt.revision() == rev
    src.close()


def test_cli_migrate_both_ways(tmp_path, bolt, capsys):
    src_path = tmp_path / "src.db"
    src = SQLiteStore(src_path)
    build_catalogue(src, SEEDS[-1])
    want = snapshot(src).as_data()
    src.close()
    url = bolt.url
    assert main(["migrate", "--from", str(src_path), "--to", url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verified"] and report["nodes"] == len(want["nodes"])
    assert main(["migrate", "--from", str(src_path), "--to", url]) == 2  # target not empty
    assert "空ではありません" in capsys.readouterr().err
    back = tmp_path / "back.db"
    assert main(["migrate", "--from", url, "--to", f"sqlite:///{back}"]) == 0
    out = SQLiteStore(back)
    assert snapshot(out).as_data() == want
    out.close()
