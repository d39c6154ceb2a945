"""The Bolt codec's JSON text: what it writes reads back as exactly the image it was given."""
from __future__ import annotations

import enum
import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from resourcemap.graph.stores.bolt_codec import decode_change, encode_change
from resourcemap.graph.stores.bolt_dialect import Raw, cypher_literal
from resourcemap.model import Change


def test_change_images_read_back_as_written_even_beyond_what_orjson_encodes():
    image = {"name": "居場所「ひだまり」\n\\", "n": 2**70, "x": 0.1 + 0.2, "tags": ["a", None], "m": {"k": {"j": []}}}
    ch = Change(rev=7, at=datetime(2026, 12, 1, tzinfo=UTC), actor="t", op="update", entity="node", entity_id="p1",
                before={"name": "旧", "n": 1}, after=image)
    row = encode_change(1, ch)
    assert isinstance(row["after"], str) and isinstance(row["before"], str)
    back = decode_change(row)
    assert back == ch and back.after == image and type(back.after["n"]) is int


def _reference_literal(value):
    """The rendering rules spelled out one by one (the oracle of the type-dispatched ``cypher_literal``)."""
    if isinstance(value, Raw):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_reference_literal(v) for v in value) + "]"
    return "{" + ", ".join(f"{_reference_key(k)}: {_reference_literal(v)}" for k, v in value.items()) + "}"


def _reference_key(key):
    return key if re.fullmatch("[A-Za-z_][A-Za-z0-9_]*", key) else "`" + key.replace("`", "``") + "`"


class _Colour(enum.StrEnum):
    RED = "r'ed"


_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(st.characters(blacklist_characters="\x00")) | st.just(_Colour.RED) | st.just(Raw("[1, 2]")))
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner) | st.tuples(inner, inner)
                       | st.dictionaries(st.text(st.sampled_from("aZ_1-` 場")), inner), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(value=_VALUES)
def test_cypher_literal_renders_every_type_and_subclass_as_the_rules_say(value):
    assert cypher_literal(value) == _reference_literal(value)
