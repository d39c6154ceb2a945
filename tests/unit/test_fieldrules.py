"""The field rules (resourcemap.fieldrules) and their place in the models: every writer gets them.

Regression cases of issue 15 ("Fields without limits or checks"): 1 MB values, NUL and RTL
overrides, ``javascript:`` URLs, emails without ``@`` — refused by the model itself, so the API,
the importers and the seeds all refuse them. Property tests: whatever a rule accepts it stores
in a form the rule accepts again unchanged (one canonical form), free of forbidden characters
and within its length.
"""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resourcemap import fieldrules as fr
from resourcemap.errors import ValidationFailed
from resourcemap.model import Edge, Node, parse_edge, parse_node, stored_node

BASE = {"kind": "agency", "name": "相談窓口", "city": "13206", "source": "public"}


def _problems(**fields) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as exc:
        parse_node({**BASE, **fields})
    return {p["field"]: p["message"] for p in exc.value.errors}


@pytest.mark.parametrize("raw, stored", [
    ("042-335-1111", "042-335-1111"),
    ("0423351111", "042-335-1111"),
    ("042(335)1111", "042-335-1111"),
    ("０４２－３３５－１１１１", "042-335-1111"),            # full-width digits and dash
    ("042ー335ー1111", "042-335-1111"),                     # 長音符 typed as a dash
    ("04-2964-1111", "04-2964-1111"),                       # 入間市: area code 04
    ("0429641111", "04-2964-1111"),
    ("0553-32-1111", "0553-32-1111"),                       # 甲州市: 4-digit area code
    ("0120123456", "0120-123-456"),
    ("0120-279-338", "0120-279-338"),
    ("0570064556", "0570-064-556"),
    ("08001234567", "0800-123-4567"),
    ("09012345678", "090-1234-5678"),
    ("050-1234-5678", "050-1234-5678"),
    ("+81 42 335 1111", "042-335-1111"),
    ("042-335-1111 内線123", "042-335-1111 内線123"),
    ("042-335-1111（内線１２３）", "042-335-1111 内線123"),
    ("042-335-1111 ext. 45", "042-335-1111 内線45"),
    ("#8000", "#8000"),
    ("189", "189"),
])
def test_japanese_phone_numbers_are_stored_in_one_form(raw, stored):
    assert fr.phone(raw) == stored
    assert parse_node({**BASE, "phone": raw}).phone == stored
    assert fr.phone(stored) == stored  # the stored form reads back as itself


@pytest.mark.parametrize("raw", ["12", "042-335", "0423351111111", "電話: 042-335-1111", "042-335-1111 または 042-335-2222",
                                 "=HYPERLINK(\"http://x\")"])
def test_bad_phone_numbers_are_refused_with_an_example(raw):
    assert "例: 042-335-1111" in _problems(phone=raw)["phone"]
    assert "40 文字以内" in _problems(phone="0" * 100)["phone"]


@pytest.mark.parametrize("raw, stored", [
    ("soudan@city.fuchu.tokyo.jp", "soudan@city.fuchu.tokyo.jp"),
    ("Soudan@City.Fuchu.Tokyo.JP", "Soudan@city.fuchu.tokyo.jp"),  # domain lower-cased, local part kept
    ("ｓｏｕｄａｎ＠ｅｘａｍｐｌｅ．ｊｐ", "soudan@example.jp"),
    ("a.b+c@sub.example.jp", "a.b+c@sub.example.jp"),
])
def test_emails(raw, stored):
    assert parse_node({**BASE, "email": raw}).email == stored


@pytest.mark.parametrize("raw", ["not-an-email", "a@b", "a@@b.jp", "a b@c.jp", "<a@b.jp>", "a@-b.jp", "a@b.jp\x00"])
def test_bad_emails_are_refused(raw):
    assert "email" in _problems(email=raw)


@pytest.mark.parametrize("raw, stored", [
    ("https://www.city.fuchu.tokyo.jp/kenko/", "https://www.city.fuchu.tokyo.jp/kenko/"),
    ("HTTP://WWW.Example.JP/Path?Q=1#F", "http://www.example.jp/Path?Q=1#F"),
    ("https://例え.jp/", "https://例え.jp/"),
    ("https://example.jp:8443/a", "https://example.jp:8443/a"),
])
def test_urls(raw, stored):
    assert parse_node({**BASE, "url": raw}).url == stored


@pytest.mark.parametrize("raw", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
                                 "vbscript:x", "file:///etc/passwd", "ftp://example.jp/", "//example.jp/", "https://",
                                 "https://user:pw@example.jp/", "https://exa mple.jp/", "www.example.jp",
                                 "https://example.jp:99999/", "https://" + "a" * 2000 + ".jp/"])
def test_bad_urls_are_refused(raw):
    assert "url" in _problems(url=raw)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u202d", "\u2066", "\u200b",
                                  "\u200d", "\u2060", "\ufeff", "\u00ad", "\u2028", "\ufffe", "\n", "\t"])
@pytest.mark.parametrize("field", ["name", "address", "org_type", "alternate_name", "verified_by"])
def test_control_and_format_characters_are_refused_in_single_line_fields(char, field):
    message = _problems(**{field: f"相談{char}窓口"})[field]
    assert f"U+{ord(char):04X}" in message and "削除してください" in message


def test_lone_surrogates_are_refused():
    assert "name" in _problems(name="相談\ud800窓口")  # pydantic refuses them before the rules


def test_multiline_descriptions_keep_newlines_and_tabs_but_not_other_controls():
    node = parse_node({**BASE, "description": "一行目\r\n二行目\r三行目\u2028四行目\t（タブ）"})
    assert node.description == "一行目\n二行目\n三行目\n四行目\t（タブ）"
    assert "U+202E" in _problems(description="説明\u202e")["description"]
    assert "U+0000" in _problems(description="説明\x00")["description"]


def test_text_is_nfc_with_width_folded_and_japanese_punctuation_kept():
    node = parse_node({**BASE, "name": "ＮＰＯ法人ｶﾞﾝﾊﾞﾛｳ（本部）", "address": "府中市宮西町２丁目２４番地",
                       "description": "か\u3099"})  # が as か + combining dakuten
    assert node.name == "NPO法人ガンバロウ（本部）"
    assert node.address == "府中市宮西町2丁目24番地"
    assert node.description == "が"


def test_one_megabyte_values_are_refused_in_every_string_field():
    big = "あ" * 1_000_000
    fields = {"name": big, "alternate_name": big, "description": big, "address": big, "url": "https://a.jp/" + big,
              "email": big + "@a.jp", "phone": big, "pref": big, "org_type": big, "role": big, "level": big,
              "primary_area_level": big, "verified_by": big, "area_id": big, "chome": [big]}
    problems = _problems(**fields)
    assert set(fields) <= set(problems), set(fields) - set(problems)
    with pytest.raises(ValidationFailed):
        parse_node({**BASE, "source": "api:" + big})
    with pytest.raises(ValidationFailed) as exc:
        parse_edge({"kind": "operates", "source": "a", "target": "b", "description": big, "cite": "public#" + big})
    assert {p["field"] for p in exc.value.errors} == {"description", "cite"}


def test_list_lengths_and_schedule_texts_are_bounded():
    assert "chome" in _problems(kind="area", level="福祉エリア", chome=[f"町{i}" for i in range(2001)])
    assert parse_node({**BASE, "kind": "area", "level": "福祉エリア", "chome": ["白糸台一丁目", "白糸台１丁目"]}).chome \
        == ["白糸台一丁目", "白糸台1丁目"]
    assert "schedules" in _problems(schedules=[{"freq": "WEEKLY"}] * 51)
    assert "schedules.0.description" in _problems(schedules=[{"freq": "WEEKLY", "description": "説明\x00"}])
    assert parse_node({**BASE, "targets": {"fields": ["高齢"] * 1000}}).targets.fields == ["高齢"]


def test_prefecture_must_be_one_of_the_47():
    assert parse_node({**BASE, "kind": "municipality", "pref": "東京都"}).pref == "東京都"
    assert "pref" in _problems(kind="municipality", pref="東京")


def test_empty_contact_fields_mean_none():
    node = parse_node({**BASE, "email": " ", "phone": "", "url": ""})
    assert (node.email, node.phone, node.url) == (None, None, None)


def test_a_stored_record_that_breaks_the_rules_still_reads():
    """Reading never re-applies the rules: a record written before them loads unchanged."""
    raw = Node.model_construct(**{**BASE, "id": "agency-legacy", "email": "not-an-email", "name": "相談\x00\u202e窓口",
                                  "url": "javascript:alert(1)", "phone": "0" * 5000}).model_dump_json()
    node = stored_node(raw)
    assert (node.email, node.name, node.url) == ("not-an-email", "相談\x00\u202e窓口", "javascript:alert(1)")
    with pytest.raises(ValidationFailed):
        parse_node(node.public_dict())  # writing it back as it is would be refused


# -- properties ----------------------------------------------------------------------------------
@given(st.text(max_size=300))
def test_line_rule_output_is_canonical_and_clean(text):
    rule = fr.line(200)
    try:
        out = rule(text)
    except ValueError:
        return
    assert rule(out) == out
    assert not fr.bad_chars(out) and len(out) <= 200
    assert unicodedata.is_normalized("NFC", out)


@given(st.text(alphabet=st.sampled_from(list("0123456789-()+ ０１２３４５－（）内線ext.#")), max_size=30))
def test_phone_rule_output_is_canonical(text):
    try:
        out = fr.phone(text)
    except ValueError:
        return
    if out is not None:
        assert fr.phone(out) == out and not fr.bad_chars(out)


@given(st.text(max_size=80))
def test_url_and_email_rules_accept_only_what_they_would_store(text):
    for rule, prefix in ((fr.url, "https://example.jp/"), (fr.email, "")):
        try:
            out = rule(prefix + text)
        except ValueError:
            continue
        if out is not None:
            assert rule(out) == out and not fr.bad_chars(out)
            if rule is fr.url:
                assert out.startswith(("http://", "https://"))


def test_edge_rules_apply_to_edges():
    with pytest.raises(ValidationFailed):
        parse_edge({"kind": "operates", "source": "a\x00", "target": "b"})
    assert Edge.field_rules is fr.EDGE_FIELDS and Node.field_rules is fr.NODE_FIELDS
