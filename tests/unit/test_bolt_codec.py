"""The Bolt codec's JSON text: what it writes reads back as exactly the image it was given."""
from __future__ import annotations

from datetime import UTC, datetime

from resourcemap.graph.stores.bolt_codec import decode_change, encode_change
from resourcemap.model import Change


def test_change_images_read_back_as_written_even_beyond_what_orjson_encodes():
    image = {"name": "居場所「ひだまり」\n\\", "n": 2**70, "x": 0.1 + 0.2, "tags": ["a", None], "m": {"k": {"j": []}}}
    ch = Change(rev=7, at=datetime(2026, 12, 1, tzinfo=UTC), actor="t", op="update", entity="node", entity_id="p1",
                before={"name": "旧", "n": 1}, after=image)
    row = encode_change(1, ch)
    assert isinstance(row["after"], str) and isinstance(row["before"], str)
    back = decode_change(row)
    assert back == ch and back.after == image and type(back.after["n"]) is int
