"""Open-data imports on every store: ids and accessibility survive the round trip, re-import changes nothing,
a merge of an imported site into a plan's node is one transaction."""
from __future__ import annotations

from resourcemap.graph.stores.base import NodeQuery
from resourcemap.model import Node
from resourcemap.opendata import import_open_data, merge_into, seed_extracts


def _fuchu_gsi() -> list[tuple[str, bytes]]:
    return [(f.path.rsplit("/", 1)[-1], f.read()) for f in seed_extracts("13206") if f.format == "gsi-shelters"]


def _bunka(store) -> Node:
    plan = Node(id="plan.bunka", kind="hub", name="白糸台文化センター", city="13206", source="public",
                categories=["kayoi"], lat=35.668, lng=139.505, location_precision="town")
    return store.create_node(plan)


def test_import_reimport_and_external_ids_on_every_store(store):
    _bunka(store)
    first = import_open_data(store, _fuchu_gsi(), "gsi-shelters", dry_run=False)
    assert (first["added"], first["linked"], first["matched"]) == (75, 1, 23) and first["ok"]
    plan = store.get_node("plan.bunka")
    assert plan.location_precision == "exact" and plan.external_ids == {"gsi-evacuation": "E1320600048111"}
    school = next(n for n in store.query_nodes(NodeQuery(city="13206")) if n.name == "府中市立府中第九小学校")
    assert school.external_ids == {"gsi-evacuation": "E1320600003111", "gsi-emergency": "E1320600003201"}
    rev = store.revision()
    again = import_open_data(store, _fuchu_gsi(), "gsi-shelters", dry_run=False)
    assert (again["added"], again["changed"], again["linked"], again["matched"]) == (0, 0, 0, 0)
    assert store.revision() == rev


def test_accessibility_and_ids_round_trip_and_merge_is_atomic(store):
    site = store.create_node(Node(id="gsi-evacuation.13206.X", kind="place", name="白糸台文化センター分室", city="13206",
                                  source="import:gsi-evacuation", external_ids={"gsi-evacuation": "X"},
                                  accessibility=["車椅子対応", "多目的トイレ"], lat=35.667, lng=139.506,
                                  location_precision="exact", address="東京都府中市白糸台1-60"))
    assert store.get_node(site.id).accessibility == ["車椅子対応", "多目的トイレ"]
    _bunka(store)
    merged = merge_into(store, site.id, "plan.bunka", actor="editor")
    assert merged.external_ids == {"gsi-evacuation": "X"} and merged.accessibility == ["車椅子対応", "多目的トイレ"]
    gone = store.get_node(site.id, include_deleted=True)
    assert gone.deleted and gone.external_ids == {}
    assert {c.actor for c in store.changes(since=store.revision() - 2)} == {"editor"}
