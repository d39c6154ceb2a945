"""The catalogue the HSDS API tests serve: the five seed catalogues plus what the seeds lack.

The seeds carry no phone, url or opening days and every resource in them is active, so the
catalogue adds five real sites of the MHLW 介護サービス情報公表 open data (as published, two
with malformed URLs and phones in full width or without the leading 0 — values the field rules
refuse today, so they are stored as a catalogue written before the rules holds them, which must
still be served), a node written through the API by a key with a person's name (which must not
leak), and resources that are inactive, planned and defunct (which must not be served).
Then, one second later so the change times differ, a few edits for ``modified_after``.
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.hsds.mapping import ORG_EDGES
from resourcemap.model import Node, Schedule, Targets, stored_node

#: 厚生労働省 介護サービス情報公表システム オープンデータ（2025年6月1日時点）を加工して作成 — five 地域密着型通所介護
#: 事業所, one per seed municipality, copied as published (name, address, point, 電話番号, URL, 利用可能曜日).
MHLW_SITES = [
    {"id": "1393800279", "name": "ジョーバラボしんまち", "address": "東京都府中市新町１丁目２８番地の１", "lat": 35.6855439,
     "lng": 139.4846269, "tel": "０４２－４０７－３０８８", "url": "http://joba-labo.jimdosite.com", "city": "13206",
     "capacity": 10, "days": "MO,TU,WE,TH,FR"},
    {"id": "1394900052", "name": "エンジョイ　LUCK", "address": "東京都武蔵村山市緑ヶ丘1460村山団地４５号棟２号室",
     "lat": 35.7446806, "lng": 139.409719, "tel": "425900455", "url": "https://luck1215.com", "city": "13223",
     "capacity": 18, "days": "MO,TU,WE,TH,FR,SA"},
    {"id": "1374400784", "name": "Ｈａｐｐｙ　Ｆａｍｉｌｙ", "address": "東京都福生市本町１１７－１スプリングバレー福生１０１号",
     "lat": 35.7412585, "lng": 139.3265405, "tel": "０４２－５１３－５７３８", "url": "https://www.happyfamily2020.com/",
     "city": "13218", "capacity": 10, "days": "MO,TU,WE,TH,FR,SA"},
    {"id": "1192800165", "name": "ソンポケアハッピーデイズイルマ", "address": "埼玉県入間市宮前町3-26", "lat": 35.8462185,
     "lng": 139.3811403, "tel": "04-2968-6996", "url": "https//www.sompocare.com/", "city": "11225",
     "capacity": None, "days": "MO,TU,WE,TH,FR,SA"},
    {"id": "1992200095", "name": "ケアハウス花まめ", "address": "山梨県甲州市勝沼町小佐手1015-1", "lat": 35.675786,
     "lng": 138.7260638, "tel": "0553-34-8739", "url": "http://hp.kaipoke..biz/66f/", "city": "19213",
     "capacity": None, "days": "MO,TU,WE,TH,FR,SA"},
]
#: The key name written into ``source``/``verified_by`` by an API edit: must never appear in /hsds.
KEY_NAME = "tanaka-hanako-key"
#: (city, kind) of the first resource (by id) given each status that hides it from the public directory.
HIDDEN = (("13206", "hub", "inactive"), ("11225", "hub", "planned"), ("13223", "hub", "defunct"))


def site_node(row: dict) -> Node:
    """The site as published, held the way a store holds an older record (read back without validation)."""
    return stored_node(dict(
        id=f"mhlw.{row['id']}", kind="place", name=row["name"], city=row["city"], lat=row["lat"], lng=row["lng"],
        location_precision="address", address=row["address"], phone=row["tel"], url=row["url"],
        capacity=row["capacity"], categories=["life_support"], targets=Targets(fields=["高齢"]).model_dump(),
        schedules=[Schedule(freq="WEEKLY", byday=row["days"]).model_dump()],
        source="import:kaigo_jigyosho_5cities.json"))


def prepare(db: Path) -> dict[str, list[str]]:
    """Add the sites and changes above to the catalogue at *db*; returns what the tests look for."""
    store = SQLiteStore(db, create=False)
    try:
        nodes = {n.id: n for n in store.query_nodes()}
        hidden = []
        for city, kind, status in HIDDEN:
            node = next(n for n in nodes.values() if n.city == city and n.kind == kind and n.status == "active")
            store.update_node(node.model_copy(update={"status": status}), expected_version=node.version, actor="test")
            hidden.append(node.id)
        for row in MHLW_SITES:
            store.create_node(site_node(row), actor="test")
        store.create_node(Node(id="fuchu.place.api_written", kind="place", name="API で登録した居場所", city="13206",
                               categories=["ibasho"], source=f"api:{KEY_NAME}", verified_by=KEY_NAME),
                          actor=KEY_NAME)
        time.sleep(1.1)  # the edits below get a later updated_at than everything above
        edited = next(n for n in nodes.values() if n.kind == "place" and n.status == "active" and n.city == "19213")
        store.update_node(edited.model_copy(update={"description": "開催日は市の広報で確認してください。"}),
                          expected_version=edited.version, actor="test")
        org_edges = [e for e in store.query_edges() if e.kind in ORG_EDGES]
        links = Counter(e.target for e in org_edges)
        unlinked = next(e for e in org_edges if nodes[e.target].kind in ("hub", "place") and e.target not in hidden
                        and links[e.target] == 1)  # its service loses its organization
        store.delete_edge(unlinked.id, actor="test")
        return {"hidden": hidden, "edited": [edited.id], "unlinked": [unlinked.target],
                "people": [n.id for n in nodes.values() if n.kind in ("coordinator", "meeting")]}
    finally:
        store.close()
